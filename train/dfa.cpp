// Direct feedback alignment on the devices (train/dfa.hpp), the comparison method "dfa" (train/methods.hpp).
#include "train/dfa.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "data/dataset.hpp"
#include "train/methods.hpp"

namespace pib::train {

DfaTrainer::DfaTrainer(Context& ctx, Rng& feedback_rng)
    : ctx_(ctx),
      chain_(std::make_shared<Chain>(ctx.make_chain(false))),
      head_adam_(1, ctx.cfg.dfa.optimizer) {
  const std::size_t L = chain_->units.size();
  const Eigen::Index k = ctx.n_classes;
  const double sd = 1.0 / std::sqrt(static_cast<double>(k));
  for (std::size_t l = 0; l < L; ++l) {
    auto& u = *chain_->units[l];
    Matrix b(k, u.output_dim());
    for (Eigen::Index i = 0; i < b.size(); ++i)
      b.data()[i] = sd * feedback_rng.normal();
    b_.push_back(std::move(b));
    adams_.emplace_back(u.parameter_count(), ctx.cfg.dfa.optimizer);
    params_.push_back(u.parameters());
  }
  const Eigen::Index d = chain_->units.back()->output_dim();
  head_ = Eigen::VectorXd::Zero(d * k + k);
  head_adam_ = Adam(head_.size(), ctx.cfg.dfa.optimizer);
  m_.resize(L);
  in_.resize(L);
  dz_.resize(L);
}

void DfaTrainer::calibrate(Rng& rng) {
  Matrix in(static_cast<Eigen::Index>(ctx_.calibration_rows.size()), ctx_.data.num_features());
  for (std::size_t i = 0; i < ctx_.calibration_rows.size(); ++i)
    in.row(static_cast<Eigen::Index>(i)) =
        ctx_.data.train.features.row(static_cast<Eigen::Index>(ctx_.calibration_rows[i]));
  units::Measurement m;
  for (std::size_t l = 0; l < chain_->units.size(); ++l) {
    chain_->means[l] = ctx_.input_mean(in);
    const Matrix c = centred(in, chain_->means[l]);
    chain_->units[l]->calibrate(c, rng);
    chain_->units[l]->measure(c, m, rng);
    in = m.output;
  }
}

double DfaTrainer::step(const Matrix& x, const std::vector<int>& labels, double lr_scale, Rng& rng) {
  const std::size_t L = chain_->units.size();
  const Eigen::Index k = ctx_.n_classes;
  const Matrix* in = &x;
  for (std::size_t l = 0; l < L; ++l) {
    in_[l] = centred(*in, chain_->means[l]);
    chain_->units[l]->measure(in_[l], m_[l], rng);
    in = &m_[l].output;
  }
  const Matrix& z = m_[L - 1].output;
  const Eigen::Index d = z.cols();
  const Eigen::Map<const Matrix> w(head_.data(), d, k);
  Matrix logits = z * w;
  logits.rowwise() += head_.tail(k).transpose();
  Matrix& e = e_;  // dL/dlogits of the mean cross-entropy: (softmax - onehot) / n
  const double loss = softmax_cross_entropy(logits, labels, e);
  Eigen::VectorXd hg(head_.size());
  Eigen::Map<Matrix>(hg.data(), d, k).noalias() = z.transpose() * e;
  hg.tail(k) = e.colwise().sum().transpose();
  head_adam_.step(head_, hg, lr_scale);
  for (std::size_t l = 0; l < L; ++l) {
    auto& u = *chain_->units[l];
    dz_[l].noalias() = e * b_[l];
    grad_.resize(u.parameter_count());
    u.gradient(m_[l], dz_[l], grad_);
    adams_[l].step(params_[l], grad_, lr_scale);
    u.deploy(params_[l], rng);
  }
  return loss;
}

Matrix DfaTrainer::features(const Matrix& x, Rng& rng) {
  Matrix in = x;
  for (std::size_t l = 0; l < chain_->units.size(); ++l)
    in = ctx_.measure_split(*chain_->units[l], chain_->means[l], in, rng);
  return in;
}

SoftmaxReadout DfaTrainer::head() const {
  const Eigen::Index k = ctx_.n_classes, d = chain_->units.back()->output_dim();
  return SoftmaxReadout::from_linear(Eigen::Map<const Matrix>(head_.data(), d, k), head_.tail(k).transpose());
}

std::vector<TrainedMethod> train_dfa(Context& ctx) {
  const auto& s = ctx.cfg.dfa;
  Rng feedback_rng = ctx.stream(Stream::dfa, 0), rng = ctx.stream(Stream::dfa, 1);
  DfaTrainer dfa(ctx, feedback_rng);
  data::MiniBatcher batches(ctx.data.train, static_cast<std::size_t>(s.batch_size), true);
  const long total = static_cast<long>(batches.batches_per_epoch()) * s.epochs;
  const double final_fraction = s.optimizer.lr_final > 0.0 ? s.optimizer.lr_final / s.optimizer.lr : 1.0;
  long step = 0;
  data::Batch b;
  for (int epoch = 0; epoch < s.epochs; ++epoch) {
    dfa.calibrate(rng);
    batches.start_epoch(rng);
    double loss = 0;
    int count = 0;
    while (batches.next(b)) {
      const double t = total > 1 ? static_cast<double>(step) / static_cast<double>(total - 1) : 0.0;
      loss += dfa.step(b.features, b.labels, 1.0 - (1.0 - final_fraction) * t, rng);
      ++step;
      ++count;
    }
    ctx.record({{"type", "dfa_epoch"}, {"epoch", epoch + 1}, {"loss", loss / std::max(count, 1)}});
    ctx.progress({"dfa", -1, epoch + 1, s.epochs, 0, 0, 0, 0, 0, std::nullopt});
  }
  dfa.calibrate(rng);
  const Matrix test = dfa.features(ctx.data.test.features, rng);
  const auto head = dfa.head();
  const double accuracy = head.accuracy(test, ctx.data.test.labels);
  ctx.record({{"type", "dfa"}, {"dfa", accuracy}});
  return {{"dfa", dfa.shared_chain(), head, accuracy, device_ledgers(dfa.chain())}};
}

}  // namespace pib::train
