// Physical local learning, the comparison method "phyll" (train/methods.hpp): forward-forward training
// (Hinton 2022) of physical units as in Momeni et al. 2023, with both passes measured on the devices.
//
// The label is overlaid on the input: x + s onehot(y) on its first `classes` features, s the training inputs'
// range (max - min); the neutral embedding adds s / classes to each. Every step measures a positive pass (the
// true labels) and a negative pass (a uniformly drawn wrong label per sample) through the chain, each unit on
// the previous unit's measured outputs of the same pass. Unit l's local loss on its goodness G = mean_j z_j^2
// of each row is mean softplus(theta - G_pos) + mean softplus(G_neg - theta); its dL/dZ goes through the
// unit's own model at the measured input and output (Unit::gradient), Adam steps, the device is programmed.
// No signal passes between units. The deployed system embeds the neutral label and a softmax readout is
// fitted on the last unit's measured training features (as PIB's is).
#include "train/forward_forward.hpp"

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "common/config.hpp"
#include "data/dataset.hpp"
#include "train/methods.hpp"

namespace pib::train {
namespace {

double softplus(double t) {
  return t > 30 ? t : std::log1p(std::exp(t));
}
double sigmoid(double t) {
  return 1.0 / (1.0 + std::exp(-t));
}

}  // namespace

double goodness_loss(const Matrix& z, double theta, double sign, Matrix& dz) {
  const auto n = static_cast<double>(z.rows()), d = static_cast<double>(z.cols());
  dz.resize(z.rows(), z.cols());
  double loss = 0;
  for (Eigen::Index i = 0; i < z.rows(); ++i) {
    const double t = sign * (z.row(i).squaredNorm() / d - theta);
    loss += softplus(t) / n;
    dz.row(i) = (sigmoid(t) * sign * 2.0 / (d * n)) * z.row(i);
  }
  return loss;
}

std::vector<TrainedMethod> train_phyll(Context& ctx) {
  const auto& s = ctx.cfg.phyll;
  const Eigen::Index k = ctx.n_classes;
  const auto& train_x = ctx.data.train.features;
  require_config(
      train_x.cols() >= k, "phyll", train_x.cols(),
      "inputs with at least as many features as classes (the label is overlaid on the first ones)");
  const double scale = train_x.maxCoeff() - train_x.minCoeff();
  auto embed = [k, scale](const Matrix& x, const std::vector<int>* labels) {
    Matrix out = x;
    if (labels) {
      for (Eigen::Index i = 0; i < out.rows(); ++i)
        out(i, (*labels)[static_cast<std::size_t>(i)]) += scale;
    } else {
      out.leftCols(k).array() += scale / static_cast<double>(k);
    }
    return out;
  };
  auto chain = std::make_shared<Chain>(ctx.make_chain(false));
  const std::size_t L = chain->units.size();
  Rng rng = ctx.stream(Stream::measured_forward, 2);
  std::vector<Adam> adams;
  std::vector<Eigen::VectorXd> params;
  for (const auto& u : chain->units) {
    adams.emplace_back(u->parameter_count(), s.optimizer);
    params.push_back(u->parameters());
  }
  // Input maps and calibration on the neutral embedding of the calibration rows.
  const Matrix cal = embed(ctx.calibration_inputs(), nullptr);
  auto calibrate = [&] { ctx.calibrate_chain(*chain, cal, rng); };

  data::MiniBatcher batches(ctx.data.train, static_cast<std::size_t>(s.batch_size), true);
  const long total = static_cast<long>(batches.batches_per_epoch()) * s.epochs;
  long step = 0;
  data::Batch b;
  std::vector<int> wrong;
  units::Measurement pos, neg;
  Matrix in_pos, in_neg, dz_pos, dz_neg;
  Eigen::VectorXd grad, grad_neg;
  for (int epoch = 0; epoch < s.epochs; ++epoch) {
    calibrate();
    batches.start_epoch(rng);
    double loss = 0;
    int count = 0;
    while (batches.next(b)) {
      const double lr_scale = Context::lr_scale(step++, total, s.optimizer);
      wrong.resize(b.labels.size());
      for (std::size_t i = 0; i < wrong.size(); ++i)  // a uniformly drawn wrong label
        wrong[i] = static_cast<int>(
            (static_cast<std::uint64_t>(b.labels[i]) + 1 + rng.below(static_cast<std::uint64_t>(k - 1))) %
            static_cast<std::uint64_t>(k));
      in_pos = embed(b.features, &b.labels);
      in_neg = embed(b.features, &wrong);
      for (std::size_t l = 0; l < L; ++l) {
        auto& u = *chain->units[l];
        u.measure(normalised(in_pos, chain->norms[l]), pos, rng);
        u.measure(normalised(in_neg, chain->norms[l]), neg, rng);
        loss += goodness_loss(pos.output, s.threshold, -1.0, dz_pos) +
                goodness_loss(neg.output, s.threshold, 1.0, dz_neg);
        grad.resize(u.parameter_count());
        grad_neg.resize(u.parameter_count());
        u.gradient(pos, dz_pos, grad);
        u.gradient(neg, dz_neg, grad_neg);
        grad += grad_neg;
        adams[l].step(params[l], grad, lr_scale);
        u.deploy(params[l], rng);
        in_pos = pos.output;
        in_neg = neg.output;
      }
      ++count;
    }
    ctx.record({{"type", "epoch"},
                {"stage", "phyll"},
                {"epoch", epoch + 1},
                {"loss", loss / std::max<double>(count * static_cast<double>(L), 1.0)}});
    ctx.progress({"phyll", -1, epoch + 1, s.epochs, 0, 0, 0, 0, 0, std::nullopt});
  }
  calibrate();
  // The readout on the last unit's measured features of the neutral embedding.
  Matrix tr = embed(train_x, nullptr), te = embed(ctx.data.test.features, nullptr);
  for (std::size_t l = 0; l < L; ++l) {
    tr = ctx.measure_split(*chain->units[l], chain->norms[l], tr, rng);
    te = ctx.measure_split(*chain->units[l], chain->norms[l], te, rng);
  }
  SoftmaxReadout readout;
  const double accuracy = ctx.fit_readout(tr, te, rng, &readout);
  ctx.record({{"type", "method"}, {"method", "phyll"}, {"accuracy", accuracy}});
  return {{"phyll", chain, [embed](const Matrix& x) { return embed(x, nullptr); }, readout, accuracy,
           device_ledgers(*chain)}};
}

}  // namespace pib::train
