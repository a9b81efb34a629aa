// Training from measured forward passes (train/measured_forward.hpp): the methods "dfa", "pat" and
// "pib_dfa".
#include "train/measured_forward.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "data/dataset.hpp"
#include "train/methods.hpp"

namespace pib::train {

MeasuredForwardTrainer::MeasuredForwardTrainer(Context& ctx, Feedback feedback,
                                               const MethodSettings& settings, Rng& feedback_rng)
    : ctx_(ctx),
      mode_(feedback),
      chain_(std::make_shared<Chain>(ctx.make_chain(false))),
      head_(Eigen::VectorXd::Zero((chain_->units.back()->output_dim() + 1) * ctx.n_classes)),
      head_adam_(head_.size(), settings.optimizer) {
  const std::size_t L = chain_->units.size();
  // The error's width: the classes (direct_alignment) or the last unit's output (pib_alignment).
  const Eigen::Index k =
      mode_ == Feedback::pib_alignment ? chain_->units.back()->output_dim() : ctx.n_classes;
  const double sd = 1.0 / std::sqrt(static_cast<double>(k));
  for (std::size_t l = 0; l < L; ++l) {
    auto& u = *chain_->units[l];
    if (mode_ == Feedback::direct_alignment || (mode_ == Feedback::pib_alignment && l + 1 < L)) {
      Matrix b(k, u.output_dim());
      for (Eigen::Index i = 0; i < b.size(); ++i)
        b.data()[i] = sd * feedback_rng.normal();
      b_.push_back(std::move(b));
    } else if (mode_ == Feedback::twin && l > 0) {  // the first unit's twin would only carry the error down
      const std::string path = "units[" + std::to_string(l) + "]";
      twins_.push_back(units::IdealLayer::from_unit_config(ctx.unit_configs[l], path));
    }
    adams_.emplace_back(u.parameter_count(), settings.optimizer);
    params_.push_back(u.parameters());
  }
  m_.resize(L);
  in_.resize(L);
  dz_.resize(L);
}

void MeasuredForwardTrainer::calibrate(Rng& rng) {
  ctx_.calibrate_chain(*chain_, ctx_.calibration_inputs(), rng);
}

double MeasuredForwardTrainer::step(const Matrix& x, const std::vector<int>& labels, double lr_scale,
                                    Rng& rng) {
  const std::size_t L = chain_->units.size();
  const Eigen::Index k = ctx_.n_classes;
  const Matrix* in = &x;
  for (std::size_t l = 0; l < L; ++l) {
    in_[l] = normalised(*in, chain_->norms[l]);
    chain_->units[l]->measure(in_[l], m_[l], rng);
    in = &m_[l].output;
  }
  const Matrix& z = m_[L - 1].output;
  if (mode_ == Feedback::pib_alignment) {
    const auto bt = bottleneck::BatchTargets::supervised(in_[0], ctx_.sigma_x, labels, static_cast<int>(k),
                                                         ctx_.pib.alpha, ctx_.pib.estimator);
    e_.resize(z.rows(), z.cols());
    const double loss = bottleneck::pib_loss(bt, z, ctx_.pib, ws_, e_).loss;
    for (std::size_t l = L; l-- > 0;) {
      if (l + 1 < L)
        dz_[l].noalias() = e_ * b_[l];
      else
        dz_[l] = e_;
      update(l, lr_scale, rng);
    }
    return loss;
  }
  const Eigen::Index d = z.cols();
  const Eigen::Map<const Matrix> w(head_.data(), d, k);
  Matrix logits = z * w;
  logits.rowwise() += head_.tail(k).transpose();
  Matrix& e = e_;  // dL/dlogits of the mean cross-entropy: (softmax - onehot) / n
  const double loss = softmax_cross_entropy(logits, labels, e);
  head_grad_.resize(head_.size());
  Eigen::Map<Matrix>(head_grad_.data(), d, k).noalias() = z.transpose() * e;
  head_grad_.tail(k) = e.colwise().sum().transpose();
  if (mode_ == Feedback::twin) dz_[L - 1].noalias() = e * w.transpose();  // through the head before its step
  head_adam_.step(head_, head_grad_, lr_scale);
  for (std::size_t l = L; l-- > 0;) {
    if (mode_ == Feedback::direct_alignment) {
      dz_[l].noalias() = e * b_[l];
    } else if (l > 0) {  // the signal of unit l - 1: unit l's twin at its measured input and output
      const auto& twin = twins_[l - 1];
      twin_grad_.resize(twin.parameter_count());
      const Matrix* unpooled = m_[l].pre_pool.size() > 0 ? &m_[l].pre_pool : nullptr;
      twin.backward(params_[l], in_[l], m_[l].output, dz_[l], twin_grad_, &dz_[l - 1], unpooled);
      const auto& gain = chain_->norms[l].gain;  // through unit l's fixed input map
      if (gain.size() > 0) dz_[l - 1].array().rowwise() *= gain.array();
    }
    update(l, lr_scale, rng);
  }
  return loss;
}

void MeasuredForwardTrainer::update(std::size_t l, double lr_scale, Rng& rng) {
  auto& u = *chain_->units[l];
  grad_.resize(u.parameter_count());
  u.gradient(m_[l], dz_[l], grad_);
  adams_[l].step(params_[l], grad_, lr_scale);
  u.deploy(params_[l], rng);
}

Matrix MeasuredForwardTrainer::features(const Matrix& x, Rng& rng) {
  Matrix in = x;
  for (std::size_t l = 0; l < chain_->units.size(); ++l)
    in = ctx_.measure_split(*chain_->units[l], chain_->norms[l], in, rng);
  return in;
}

SoftmaxReadout MeasuredForwardTrainer::head() const {
  const Eigen::Index k = ctx_.n_classes, d = chain_->units.back()->output_dim();
  return SoftmaxReadout::from_linear(Eigen::Map<const Matrix>(head_.data(), d, k), head_.tail(k).transpose());
}

std::vector<TrainedMethod> train_measured_forward(Context& ctx, Feedback feedback, const MethodSettings& s,
                                                  const std::string& name) {
  Rng feedback_rng = ctx.stream(Stream::measured_forward, 0), rng = ctx.stream(Stream::measured_forward, 1);
  MeasuredForwardTrainer trainer(ctx, feedback, s, feedback_rng);
  data::MiniBatcher batches(ctx.data.train, static_cast<std::size_t>(s.batch_size), true);
  const long total = static_cast<long>(batches.batches_per_epoch()) * s.epochs;
  long step = 0;
  data::Batch b;
  for (int epoch = 0; epoch < s.epochs; ++epoch) {
    trainer.calibrate(rng);
    batches.start_epoch(rng);
    double loss = 0;
    int count = 0;
    while (batches.next(b)) {
      loss += trainer.step(b.features, b.labels, Context::lr_scale(step++, total, s.optimizer), rng);
      ++count;
    }
    ctx.record(
        {{"type", "epoch"}, {"stage", name}, {"epoch", epoch + 1}, {"loss", loss / std::max(count, 1)}});
    ctx.progress({name, -1, epoch + 1, s.epochs, 0, 0, 0, 0, 0, std::nullopt});
  }
  trainer.calibrate(rng);
  const Matrix test = trainer.features(ctx.data.test.features, rng);
  SoftmaxReadout head = trainer.head();
  const double accuracy =
      feedback == Feedback::pib_alignment
          ? ctx.fit_readout(trainer.features(ctx.data.train.features, rng), test, rng, &head)
          : head.accuracy(test, ctx.data.test.labels);
  ctx.record({{"type", "method"}, {"method", name}, {"accuracy", accuracy}});
  return {{name, trainer.shared_chain(), {}, head, accuracy, device_ledgers(trainer.chain())}};
}

std::vector<TrainedMethod> train_dfa(Context& ctx) {
  return train_measured_forward(ctx, Feedback::direct_alignment, ctx.cfg.dfa, "dfa");
}

std::vector<TrainedMethod> train_pib_dfa(Context& ctx) {
  return train_measured_forward(ctx, Feedback::pib_alignment, ctx.cfg.pib_dfa, "pib_dfa");
}

std::vector<TrainedMethod> train_pat(Context& ctx) {
  return train_measured_forward(ctx, Feedback::twin, ctx.cfg.pat, "pat");
}

}  // namespace pib::train
