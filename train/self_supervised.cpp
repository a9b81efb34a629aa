// Self-supervised PIB with linear probes (train/experiments.hpp).
#include <algorithm>
#include <memory>
#include <string>

#include "data/augment.hpp"
#include "data/dataset.hpp"
#include "train/experiments.hpp"

namespace pib::train {

using units::Unit;

void run_ssl(Context& ctx) {
  Chain chain = ctx.make_chain(false);
  const std::size_t L = chain.units.size();
  Rng rng = ctx.stream(Stream::augment);
  // The probe's training set: a stratified subset of train.
  data::Split probe_train = ctx.data.train;
  if (ctx.cfg.ssl.probe_train_samples > 0 && ctx.cfg.ssl.probe_train_samples < ctx.data.train.size())
    probe_train =
        data::stratified_subset(ctx.data.train, ctx.n_classes, ctx.cfg.ssl.probe_train_samples, rng);
  auto probe = [&](const Matrix& tr, const Matrix& te) {
    SoftmaxReadout r;
    r.fit(tr, probe_train.labels, ctx.n_classes, ctx.cfg.readout, rng);
    return r.accuracy(te, ctx.data.test.labels);
  };
  ctx.result.probe_accuracy_raw_pixels = probe(probe_train.features, ctx.data.test.features);
  ctx.record({{"type", "baseline"},
              {"name", "probe_raw_pixels"},
              {"accuracy", *ctx.result.probe_accuracy_raw_pixels}});

  const bool images = ctx.data.sample_shape.size() == 2;
  std::unique_ptr<data::ImageAugmenter> image_aug;
  std::unique_ptr<data::Mnist1dAugmenter> seq_aug;
  if (images) {
    auto ac = data::ImageAugmentConfig::from_json(ctx.cfg.ssl.augment, "ssl.augment");
    ac.height = static_cast<int>(ctx.data.sample_shape[0]);
    ac.width = static_cast<int>(ctx.data.sample_shape[1]);
    image_aug = std::make_unique<data::ImageAugmenter>(ac);
  } else {
    seq_aug = std::make_unique<data::Mnist1dAugmenter>(
        data::Mnist1dAugmentConfig::from_json(ctx.cfg.ssl.augment, "ssl.augment"));
  }
  auto two_views = [&](const Matrix& x, Matrix& a, Matrix& b) {
    if (images)
      image_aug->two_views(x, a, b, rng);
    else
      seq_aug->two_views(x, a, b, rng);
  };

  Matrix in_probe = probe_train.features, in_test = ctx.data.test.features,
         in_train = ctx.data.train.features;
  data::MiniBatcher batches(ctx.data.train, static_cast<std::size_t>(ctx.cfg.batch_size), true);
  data::Batch b;
  Matrix v1, v2, x1, x2;
  long global_iteration = 0;
  const int iters = ctx.cfg.ssl.iterations_per_unit;
  for (std::size_t l = 0; l < L; ++l) {
    Unit& unit = *chain.units[l];
    chain.norms[l] = ctx.input_norm(in_train, l);
    ctx.calibrate(unit, chain.norms[l], in_train, rng);
    UnitTrainer t(unit, ctx.cfg.optimizer);
    auto run_probe = [&] {
      const Matrix tr = ctx.measure_split(unit, chain.norms[l], in_probe, rng);
      const Matrix te = ctx.measure_split(unit, chain.norms[l], in_test, rng);
      const double acc = probe(tr, te);
      ctx.result.probe_accuracy_by_iteration.emplace_back(global_iteration, acc);
      if (!ctx.result.probe_accuracy_random_init) ctx.result.probe_accuracy_random_init = acc;
      return acc;
    };
    double acc = run_probe();
    ctx.record({{"type", "probe"}, {"unit", l}, {"iteration", global_iteration}, {"accuracy", acc}});
    EpochStats stats;
    double i_z1z2 = 0;
    batches.start_epoch(rng);
    for (int it = 0; it < iters; ++it) {
      if (!batches.next(b)) {
        batches.start_epoch(rng);
        (void)batches.next(b);
      }
      two_views(b.features, v1, v2);
      // Views through the frozen upstream units.
      x1 = v1.rowwise() - ctx.x_mean;
      x2 = v2.rowwise() - ctx.x_mean;
      t.input = v1;
      t.input2 = v2;
      for (std::size_t j = 0; j < l; ++j) {
        chain.units[j]->measure(normalised(t.input, chain.norms[j]), t.m, rng);
        t.input = t.m.output;
        chain.units[j]->measure(normalised(t.input2, chain.norms[j]), t.m2, rng);
        t.input2 = t.m2.output;
      }
      chain.norms[l].apply_inplace(t.input);
      chain.norms[l].apply_inplace(t.input2);
      const auto bt =
          bottleneck::BatchTargets::self_supervised(x1, x2, ctx.sigma_x, ctx.pib.alpha, ctx.pib.estimator);
      unit.measure(t.input, t.m, rng);
      unit.measure(t.input2, t.m2, rng);
      t.dz.resize(t.m.output.rows(), t.m.output.cols());
      t.dz2.resize(t.m2.output.rows(), t.m2.output.cols());
      const auto terms = bottleneck::ssl_loss(bt, t.m.output, t.m2.output, ctx.pib, t.ws, t.dz, t.dz2);
      t.grad2.resize(t.grad.size());
      unit.gradient(t.m, t.dz, t.grad);
      unit.gradient(t.m2, t.dz2, t.grad2);
      t.grad += t.grad2;
      t.adam.step(t.params, t.grad, ctx.lr_scale(it, iters));
      unit.deploy(t.params, rng);
      stats.add(terms);
      i_z1z2 += terms.i_z1z2;
      ++global_iteration;
      if ((it + 1) % ctx.cfg.ssl.probe_every == 0 || it + 1 == iters) {
        ctx.calibrate(unit, chain.norms[l], in_train, rng);
        acc = run_probe();
        auto rec = stats.to_json();
        rec["type"] = "probe";
        rec["unit"] = l;
        rec["iteration"] = global_iteration;
        rec["accuracy"] = acc;
        rec["I_z1z2"] = i_z1z2 / std::max(stats.count, 1);
        ctx.record(rec);
        ctx.progress({"ssl", static_cast<int>(l), it + 1, iters, 0, 0, 0,
                      stats.i_xz / std::max(stats.count, 1), i_z1z2 / std::max(stats.count, 1), acc});
        stats = EpochStats{};
        i_z1z2 = 0;
      }
    }
    if (l + 1 < L) {
      in_probe = ctx.measure_split(unit, chain.norms[l], in_probe, rng);
      in_test = ctx.measure_split(unit, chain.norms[l], in_test, rng);
      in_train = ctx.measure_split(unit, chain.norms[l], in_train, rng);
    }
  }
}

}  // namespace pib::train
