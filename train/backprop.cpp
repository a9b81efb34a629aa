// The backprop-in-silico baseline (train/experiments.hpp).
#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "data/dataset.hpp"
#include "train/experiments.hpp"
#include "train/methods.hpp"
#include "units/ideal.hpp"

namespace pib::train {

using units::IdealLayer;

std::vector<TrainedMethod> train_backprop(Context& ctx) {
  const std::size_t L = ctx.unit_configs.size();
  std::vector<IdealLayer> layers;
  std::vector<Eigen::VectorXd> params;
  std::vector<Adam> adams;
  Rng rng = ctx.stream(Stream::backprop);
  for (std::size_t l = 0; l < L; ++l) {
    layers.push_back(IdealLayer::from_unit_config(ctx.unit_configs[l], "units[" + std::to_string(l) + "]"));
    Rng init(derive_seed(ctx.cfg.seed, Stream::unit, l));  // as the ideal unit of this config initialises
    params.push_back(layers[l].initial_parameters(init));
    adams.emplace_back(layers[l].parameter_count(), ctx.cfg.backprop.optimizer);
  }
  const Eigen::Index d_last = layers.back().output_dim();
  Eigen::VectorXd head = Eigen::VectorXd::Zero(d_last * ctx.n_classes + ctx.n_classes);
  Adam head_adam(head.size(), ctx.cfg.backprop.optimizer);
  std::vector<Eigen::RowVectorXd> means(L);

  // Forward through the ideal network with fixed centring; acts[l] = unit l's centred input.
  std::vector<Matrix> acts(L + 1), zs(L), unpooled(L);  // unpooled: outputs before pooling
  auto forward = [&](const Matrix& x) {
    acts[0] = x;
    for (std::size_t l = 0; l < L; ++l) {
      acts[l].rowwise() -= means[l];
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
  // Centring means on the calibration rows with the current parameters (fixed for the next epoch).
  const Matrix cal = ctx.calibration_inputs();
  auto update_means = [&] {
    Matrix a = cal;
    for (std::size_t l = 0; l < L; ++l) {
      means[l] = ctx.input_mean(a);
      Matrix z;
      layers[l].forward(params[l], centred(a, means[l]), z);
      a = std::move(z);
    }
  };

  data::MiniBatcher batches(ctx.data.train, static_cast<std::size_t>(ctx.cfg.backprop.batch_size), true);
  data::Batch b;
  Matrix g, dz, dx;
  Eigen::VectorXd grad;
  const int epochs = ctx.cfg.backprop.epochs;
  for (int epoch = 0; epoch < epochs; ++epoch) {
    update_means();
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
        if (l > 0) dz = dx;  // centring is a constant shift: dL/dz_{l-1} = dL/dacts[l]
      }
    }
    const double test_acc = accuracy_of(ctx.data.test.features, ctx.data.test.labels);
    ctx.record({{"type", "bp_epoch"},
                {"epoch", epoch + 1},
                {"loss", loss_sum / std::max(count, 1)},
                {"test_accuracy", test_acc}});
    ctx.progress({"backprop", -1, epoch + 1, epochs, 0, 0, 0, 0, 0, test_acc});
    if (epoch + 1 == epochs) ctx.result.bp_ideal = test_acc;
  }

  // Deploy on fresh devices of the same chips, with the same centring constants.
  auto shared = std::make_shared<Chain>(ctx.make_chain(false));
  Chain& chain = *shared;
  Rng dev_rng = ctx.stream(Stream::backprop, 1);
  Matrix in_train = ctx.data.train.features, in_test = ctx.data.test.features;
  for (std::size_t l = 0; l < L; ++l) {
    chain.means[l] = means[l];
    chain.units[l]->deploy(params[l], dev_rng);
    ctx.calibrate(*chain.units[l], means[l], in_train, dev_rng);
    in_train = ctx.measure_split(*chain.units[l], means[l], in_train, dev_rng);
    in_test = ctx.measure_split(*chain.units[l], means[l], in_test, dev_rng);
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
