// The backprop-in-silico baseline (train/experiments.hpp).
#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "data/dataset.hpp"
#include "train/experiments.hpp"
#include "train/methods.hpp"
#include "units/ideal.hpp"
#include "units/registry.hpp"

namespace pib::train {

using units::IdealLayer;

std::vector<TrainedMethod> train_backprop(Context& ctx) {
  const std::size_t L = ctx.unit_configs.size();
  std::vector<IdealLayer> layers;
  std::vector<Eigen::VectorXd> params;
  std::vector<Adam> adams;
  Rng rng = ctx.stream(Stream::backprop);
  // The devices it deploys on, fresh, of the same chips. A first unit without an ideal model trains in silico
  // on a twin fitted from its measured responses (units/twin.hpp): the twin is fixed, so every split's
  // predicted responses are computed once and the unit's trainable layer sees them uncentred, as on the
  // device.
  auto shared = std::make_shared<Chain>(ctx.make_chain(false));
  Chain& chain = *shared;
  Rng dev_rng = ctx.stream(Stream::backprop, 1);
  const Matrix raw_cal = ctx.calibration_inputs();
  const InputNorm input_norm = ctx.input_norm(raw_cal, 0);
  const data::Split* train = &ctx.data.train;
  data::Split twin_train;  // the training split's predicted responses, with its labels
  Matrix test = ctx.data.test.features, cal = raw_cal;
  bool twin_first = false;
  for (std::size_t l = 0; l < L; ++l) {
    const std::string path = "units[" + std::to_string(l) + "]";
    const auto kind = units::unit_kind_of(ctx.unit_configs[l], path);
    if (l == 0 && !kind.ideal && kind.twin) {
      ctx.calibrate(*chain.units[0], input_norm, ctx.data.train.features, dev_rng);
      auto twin = kind.twin.fit(*chain.units[0], normalised(ctx.data.train.features, input_norm),
                                ctx.cfg.twin, "twin", dev_rng);
      nlohmann::json rec = {{"type", "twin"}, {"method", "backprop"}, {"unit", 0}};
      rec.update(twin.report);
      ctx.record(rec);
      twin_train.labels = ctx.data.train.labels;
      twin.response(normalised(ctx.data.train.features, input_norm), twin_train.features);
      train = &twin_train;
      for (Matrix* m : {&test, &cal}) {
        Matrix r;
        twin.response(normalised(*m, input_norm), r);
        *m = std::move(r);
      }
      layers.push_back(twin.layer);
      twin_first = true;
    } else {
      layers.push_back(IdealLayer::from_unit_config(ctx.unit_configs[l], path));
    }
    Rng init(derive_seed(ctx.cfg.seed, Stream::unit, l));  // as the ideal unit of this config initialises
    params.push_back(layers[l].initial_parameters(init));
    adams.emplace_back(layers[l].parameter_count(), ctx.cfg.backprop.optimizer);
  }
  const Eigen::Index d_last = layers.back().output_dim();
  Eigen::VectorXd head = Eigen::VectorXd::Zero(d_last * ctx.n_classes + ctx.n_classes);
  Adam head_adam(head.size(), ctx.cfg.backprop.optimizer);
  std::vector<InputNorm> norms(L);

  // Forward through the ideal network with fixed input maps; acts[l] = unit l's mapped input.
  std::vector<Matrix> acts(L + 1), zs(L), unpooled(L);  // unpooled: outputs before pooling
  auto forward = [&](const Matrix& x) {
    acts[0] = x;
    for (std::size_t l = 0; l < L; ++l) {
      norms[l].apply_inplace(acts[l]);
      layers[l].forward(params[l], acts[l], zs[l], &unpooled[l]);
      acts[l + 1] = zs[l];
    }
  };
  auto head_logits = [&](const Matrix& z) {
    const Eigen::Map<const Matrix> w(head.data(), d_last, ctx.n_classes);
    Matrix lg = z * w;
    lg.rowwise() += head.tail(ctx.n_classes).transpose();
    return lg;
  };
  auto accuracy_of = [&](const Matrix& x, const std::vector<int>& labels) {
    std::size_t hits = 0;
    for (Eigen::Index start = 0; start < x.rows(); start += 2000) {
      const Eigen::Index rows = std::min<Eigen::Index>(2000, x.rows() - start);
      forward(x.middleRows(start, rows));
      const Matrix lg = head_logits(acts[L]);
      for (Eigen::Index i = 0; i < rows; ++i) {
        Eigen::Index arg = 0;
        lg.row(i).maxCoeff(&arg);
        hits += arg == labels[static_cast<std::size_t>(start + i)];
      }
    }
    return static_cast<double>(hits) / static_cast<double>(labels.size());
  };
  // Input maps on the calibration rows with the current parameters (fixed for the next epoch).
  auto update_norms = [&] {
    Matrix a = cal;
    for (std::size_t l = 0; l < L; ++l) {
      norms[l] = l == 0 && twin_first ? InputNorm::zero(a.cols()) : ctx.input_norm(a, l);
      Matrix z;
      layers[l].forward(params[l], normalised(a, norms[l]), z);
      a = std::move(z);
    }
  };

  data::MiniBatcher batches(*train, static_cast<std::size_t>(ctx.cfg.backprop.batch_size), true);
  data::Batch b;
  Matrix g, dz, dx;
  Eigen::VectorXd grad;
  const int epochs = ctx.cfg.backprop.epochs;
  for (int epoch = 0; epoch < epochs; ++epoch) {
    update_norms();
    batches.start_epoch(rng);
    double loss_sum = 0;
    int count = 0;
    while (batches.next(b)) {
      forward(b.features);
      const Matrix lg = head_logits(acts[L]);
      loss_sum += softmax_cross_entropy(lg, b.labels, g);
      ++count;
      Eigen::VectorXd hg(head.size());
      Eigen::Map<Matrix>(hg.data(), d_last, ctx.n_classes).noalias() = acts[L].transpose() * g;
      hg.tail(ctx.n_classes) = g.colwise().sum().transpose();
      const Eigen::Map<const Matrix> w(head.data(), d_last, ctx.n_classes);
      dz = g * w.transpose();
      head_adam.step(head, hg);
      for (std::size_t l = L; l-- > 0;) {
        grad.resize(layers[l].parameter_count());
        layers[l].backward(params[l], acts[l], zs[l], dz, grad, l > 0 ? &dx : nullptr, &unpooled[l]);
        adams[l].step(params[l], grad);
        if (l == 0) continue;
        dz = dx;  // the input map is affine and fixed: dL/dz_{l-1} = dL/dacts[l] gain_l
        if (norms[l].gain.size() > 0) dz.array().rowwise() *= norms[l].gain.array();
      }
    }
    const double test_acc = accuracy_of(test, ctx.data.test.labels);
    ctx.record({{"type", "bp_epoch"},
                {"epoch", epoch + 1},
                {"loss", loss_sum / std::max(count, 1)},
                {"test_accuracy", test_acc}});
    ctx.progress({"backprop", -1, epoch + 1, epochs, 0, 0, 0, 0, 0, test_acc});
    if (epoch + 1 == epochs) ctx.result.bp_ideal = test_acc;
  }

  // Deploy with the same input maps (unit 0's input mapped as the twin's was).
  if (twin_first) norms[0] = input_norm;
  Matrix in_train = ctx.data.train.features, in_test = ctx.data.test.features;
  for (std::size_t l = 0; l < L; ++l) {
    chain.norms[l] = norms[l];
    chain.units[l]->deploy(params[l], dev_rng);
    ctx.calibrate(*chain.units[l], norms[l], in_train, dev_rng);
    in_train = ctx.measure_split(*chain.units[l], norms[l], in_train, dev_rng);
    in_test = ctx.measure_split(*chain.units[l], norms[l], in_test, dev_rng);
  }
  const auto bp_head = SoftmaxReadout::from_linear(
      Eigen::Map<const Matrix>(head.data(), d_last, ctx.n_classes), head.tail(ctx.n_classes).transpose());
  ctx.result.bp_deployed = bp_head.accuracy(in_test, ctx.data.test.labels);
  SoftmaxReadout refit;
  ctx.result.bp_deployed_readout_refit = ctx.fit_readout(in_train, in_test, dev_rng, &refit);
  ctx.record({{"type", "backprop"},
              {"bp_ideal", *ctx.result.bp_ideal},
              {"bp_deployed", *ctx.result.bp_deployed},
              {"bp_deployed_readout_refit", *ctx.result.bp_deployed_readout_refit}});
  const auto device = device_ledgers(chain);
  return {{"bp_deployed", shared, {}, bp_head, *ctx.result.bp_deployed, device},
          {"bp_deployed_readout_refit", shared, {}, refit, *ctx.result.bp_deployed_readout_refit, device}};
}

}  // namespace pib::train
