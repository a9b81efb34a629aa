// Supervised PIB: the cascade and parallel schedules and unit selection (train/experiments.hpp).
#include <algorithm>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <tbb/task_group.h>

#include "data/dataset.hpp"
#include "train/experiments.hpp"
#include "train/methods.hpp"

namespace pib::train {
namespace {

using units::Measurement;
using units::Unit;

// The held-out score of unit l: a readout fitted on its measured features of the training split, scored
// on its measured features of the held-out split (`val_input`: the unit's uncentred inputs there). Its own
// generator, the same for every call on unit l, so scoring leaves training's random stream alone and
// epochs are compared under the same readout initialisation.
double validation_score(const Context& ctx, Chain& chain, std::size_t l, const Matrix& input,
                        const Matrix& val_input) {
  Rng rng = ctx.stream(Stream::evaluation, l);
  Unit& unit = *chain.units[l];
  const Matrix tr = ctx.measure_split(unit, chain.norms[l], input, rng);
  const Matrix va = ctx.measure_split(unit, chain.norms[l], val_input, rng);
  SoftmaxReadout r;
  r.fit(tr, ctx.data.train.labels, ctx.n_classes, ctx.cfg.readout, rng);
  return r.accuracy(va, ctx.validation.labels);
}

void parallel_task(Context& ctx, Chain& chain, std::size_t l, const std::string& stage) {
  Rng rng = ctx.stream(Stream::deploy, l);
  Unit& unit = *chain.units[l];
  UnitTrainer t(unit, ctx.cfg.optimizer);
  data::MiniBatcher batches(ctx.data.train, static_cast<std::size_t>(ctx.cfg.batch_size), true);
  const int epochs = ctx.cfg.epochs_of(l);
  const long total = static_cast<long>(batches.batches_per_epoch()) * epochs;
  long step = 0;
  data::Batch b;
  Matrix xb, cal;
  Measurement up;
  // Input of unit l for raw inputs x: measured through units 0 .. l-1 as they are now.
  auto upstream = [&](const Matrix& x, Matrix& in_centred) {
    in_centred = x;
    for (std::size_t j = 0; j < l; ++j) {
      chain.units[j]->measure(normalised(in_centred, chain.norms[j]), up, rng);
      in_centred = up.output;
    }
    chain.norms[l].apply_inplace(in_centred);
  };
  const Matrix cal_raw = ctx.calibration_inputs();
  for (int epoch = 0; epoch < epochs; ++epoch) {
    if (epoch > 0) {
      upstream(cal_raw, cal);
      unit.calibrate(cal, rng);
    }
    EpochStats stats;
    batches.start_epoch(rng);
    while (batches.next(b)) {
      upstream(b.features, t.input);
      xb = b.features.rowwise() - ctx.x_mean;
      stats.add(ctx.pib_step(t, xb, b.labels, ctx.lr_scale(step++, total), rng));
    }
    auto rec = stats.to_json();
    rec["type"] = "epoch";
    rec["stage"] = stage;
    rec["schedule"] = "parallel";
    rec["unit"] = l;
    rec["epoch"] = epoch + 1;
    ctx.record(rec);
    ctx.progress({stage, static_cast<int>(l), epoch + 1, epochs, 0, 0, 0,
                  stats.i_xz / std::max(stats.count, 1), stats.i_yz / std::max(stats.count, 1),
                  std::nullopt});
  }
}

// The parallel schedule: an initialisation pass (input maps and calibration of every unit on the initial
// upstream outputs), then one oneTBB task per unit. Task l owns unit l's optimiser and writes only unit l
// (deploy, calibrate); it measures the upstream units concurrently with their own tasks (allowed by the
// Unit contract). chain.norms is read-only while the tasks run.
void train_parallel(Context& ctx, Chain& chain, const std::string& stage) {
  Rng init_rng = ctx.stream(Stream::calibration, 1);
  Matrix in = ctx.data.train.features;
  for (std::size_t l = 0; l < chain.units.size(); ++l) {
    chain.norms[l] = ctx.input_norm(in, l);
    ctx.calibrate(*chain.units[l], chain.norms[l], in, init_rng);
    if (l + 1 < chain.units.size()) in = ctx.measure_split(*chain.units[l], chain.norms[l], in, init_rng);
  }
  tbb::task_group group;
  for (std::size_t l = 0; l < chain.units.size(); ++l)
    group.run([&ctx, &chain, &stage, l] { parallel_task(ctx, chain, l, stage); });
  group.wait();
}

}  // namespace

EpochStats pib_epoch(Context& ctx, UnitTrainer& t, const Matrix& input, const InputNorm& norm,
                     data::MiniBatcher& batches, long& step, long total, Rng& rng,
                     const std::function<void(const EpochStats&)>& every_20_steps) {
  EpochStats stats;
  data::Batch b;
  Matrix xb;
  batches.start_epoch(rng);
  while (batches.next(b)) {
    const auto rows = static_cast<Eigen::Index>(b.indices.size());
    t.input.resize(rows, input.cols());
    xb.resize(rows, ctx.data.num_features());
    for (Eigen::Index i = 0; i < rows; ++i) {
      const auto r = static_cast<Eigen::Index>(b.indices[static_cast<std::size_t>(i)]);
      t.input.row(i) = input.row(r);
      xb.row(i) = b.features.row(i) - ctx.x_mean;
    }
    norm.apply_inplace(t.input);
    stats.add(ctx.pib_step(t, xb, b.labels, ctx.lr_scale(step++, total), rng));
    if (stats.count % 20 == 0 && every_20_steps) every_20_steps(stats);
  }
  return stats;
}

std::pair<int, std::optional<double>> train_unit(Context& ctx, Chain& chain, std::size_t l,
                                                 const Matrix& input, int epochs, const std::string& stage,
                                                 Rng& rng,
                                                 const std::function<std::optional<double>(int)>& after_epoch,
                                                 const Matrix* val_input) {
  Unit& unit = *chain.units[l];
  UnitTrainer t(unit, ctx.cfg.optimizer);
  data::MiniBatcher batches(ctx.data.train, static_cast<std::size_t>(ctx.cfg.batch_size), true);
  const long total = static_cast<long>(batches.batches_per_epoch()) * epochs;
  long step = 0;
  after_epoch(0);
  int best_epoch = 0, trained = 0;
  std::vector<double> scores;  // held-out score after 0, 1, ... epochs; the best is scores[best_epoch]
  Eigen::VectorXd best_params = t.params;
  if (val_input) scores.push_back(validation_score(ctx, chain, l, input, *val_input));
  for (int epoch = 0; epoch < epochs; ++epoch) {
    if (val_input && ctx.cfg.validation.patience > 0 && epoch - best_epoch >= ctx.cfg.validation.patience)
      break;
    trained = epoch + 1;
    if (epoch > 0) ctx.calibrate(unit, chain.norms[l], input, rng);
    const EpochStats stats = pib_epoch(ctx, t, input, chain.norms[l], batches, step, total, rng,
                                       [&](const EpochStats& running) {
                                         ctx.progress({stage, static_cast<int>(l), epoch, epochs, running.count,
                                                       static_cast<int>(batches.batches_per_epoch()), 0,
                                                       running.i_xz / running.count,
                                                       running.i_yz / running.count, std::nullopt});
                                       });
    ctx.calibrate(unit, chain.norms[l], input, rng);
    const auto acc = after_epoch(epoch + 1);
    auto rec = stats.to_json();
    rec["type"] = "epoch";
    rec["stage"] = stage;
    rec["unit"] = l;
    rec["epoch"] = epoch + 1;
    if (acc) rec["readout_accuracy"] = *acc;
    if (val_input) {
      const double score = validation_score(ctx, chain, l, input, *val_input);
      scores.push_back(score);
      rec["validation_accuracy"] = score;
      if (score > scores[static_cast<std::size_t>(best_epoch)]) {
        best_epoch = epoch + 1;
        best_params = t.params;
      }
    }
    ctx.record(rec);
    ctx.progress({stage, static_cast<int>(l), epoch + 1, epochs, 0, 0, 0,
                  stats.i_xz / std::max(stats.count, 1), stats.i_yz / std::max(stats.count, 1), acc});
  }
  if (!val_input) return {trained, std::nullopt};
  const double best_score = scores[static_cast<std::size_t>(best_epoch)];
  nlohmann::json rec = {{"type", "unit_selected"},
                        {"stage", stage},
                        {"unit", l},
                        {"epoch", best_epoch},
                        {"epochs_trained", trained},
                        {"validation_accuracy", best_score},
                        {"validation_accuracy_by_epoch", scores}};
  if (best_epoch != trained) {  // back to the best epoch's parameters: programmed again, recalibrated
    unit.deploy(best_params, rng);
    ctx.calibrate(unit, chain.norms[l], input, rng);
    rec["validation_accuracy_redeployed"] = validation_score(ctx, chain, l, input, *val_input);
  }
  ctx.record(rec);
  return {best_epoch, best_score};
}

PipelineOut pib_pipeline(Context& ctx, bool ideal, const std::string& stage) {
  PipelineOut out;
  out.chain = ctx.make_chain(ideal);
  Rng rng = ctx.stream(Stream::measure, ideal ? 1 : 0);
  const std::size_t L = out.chain.units.size();
  out.accuracy_by_epochs.resize(L);
  if (ctx.cfg.schedule == Schedule::parallel) train_parallel(ctx, out.chain, stage);
  Matrix in_train = ctx.data.train.features, in_test = ctx.data.test.features,
         in_val = ctx.validation.features;
  const bool select = ctx.cfg.validation.enabled();
  for (std::size_t l = 0; l < L; ++l) {
    Unit& unit = *out.chain.units[l];
    out.chain.norms[l] = ctx.input_norm(in_train, l);
    ctx.calibrate(unit, out.chain.norms[l], in_train, rng);
    if (l == 0 && !ideal && ctx.cfg.compare_raw_readout && unit.has_raw_response()) {
      const Matrix s_train = ctx.measure_split(unit, out.chain.norms[0], in_train, rng, true);
      const Matrix s_test = ctx.measure_split(unit, out.chain.norms[0], in_test, rng, true);
      ctx.result.raw_speckle_readout = ctx.fit_readout(s_train, s_test, rng);
      ctx.record({{"type", "baseline"},
                  {"name", "raw_speckle_readout"},
                  {"accuracy", *ctx.result.raw_speckle_readout}});
    }
    if (ctx.cfg.schedule == Schedule::cascade) {
      const auto [epoch, score] = train_unit(
          ctx, out.chain, l, in_train, ctx.cfg.epochs_of(l), stage, rng,
          [&](int) -> std::optional<double> {
            if (!ctx.cfg.track_readout_every_epoch) return std::nullopt;
            const Matrix tr = ctx.measure_split(unit, out.chain.norms[l], in_train, rng);
            const Matrix te = ctx.measure_split(unit, out.chain.norms[l], in_test, rng);
            const double acc = ctx.fit_readout(tr, te, rng);
            out.accuracy_by_epochs[l].push_back(acc);
            return acc;
          },
          select ? &in_val : nullptr);
      if (score) {
        out.selected_epoch.push_back(epoch);
        out.validation_accuracy.push_back(*score);
      }
    }
    out.train.push_back(ctx.measure_split(unit, out.chain.norms[l], in_train, rng));
    out.test.push_back(ctx.measure_split(unit, out.chain.norms[l], in_test, rng));
    const bool last = l + 1 == L;
    out.unit_accuracy.push_back(
        ctx.fit_readout(out.train.back(), out.test.back(), rng, last ? &out.readout : nullptr));
    ctx.record({{"type", "unit_done"},
                {"stage", stage},
                {"unit", l},
                {"readout_accuracy", out.unit_accuracy.back()}});
    ctx.progress({stage, static_cast<int>(l), ctx.cfg.epochs_of(l), ctx.cfg.epochs_of(l), 0, 0, 0, 0, 0,
                  out.unit_accuracy.back()});
    in_train = out.train.back();
    in_test = out.test.back();
    if (select && l + 1 < L) in_val = ctx.measure_split(unit, out.chain.norms[l], in_val, rng);
  }
  return out;
}

std::vector<TrainedMethod> train_pib(Context& ctx) {
  auto dev = pib_pipeline(ctx, false, "pib");
  auto chain = std::make_shared<Chain>(std::move(dev.chain));
  return {{"pib", chain, {}, dev.readout, dev.unit_accuracy.back(), device_ledgers(*chain)}};
}

}  // namespace pib::train
