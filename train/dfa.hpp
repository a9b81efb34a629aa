#pragma once
// Direct feedback alignment on the devices (Noekland 2016; DfaSettings in train/config.hpp), internal to
// train/. Every step measures a minibatch forward through the chain, fits the softmax head on the last
// unit's measured features with its true gradient, and gives unit l the error e = softmax - onehot (mean
// over rows) through its fixed random feedback matrix B_l (classes x d_l) as dL/dZ_l; the unit's own model
// turns that into its parameter gradient at the measured input and output (Unit::gradient), Adam steps and
// the device is programmed. No gradient flows between units.

#include <memory>
#include <vector>

#include "train/context.hpp"

namespace pib::train {

class DfaTrainer {
 public:
  // A chain of fresh devices (ctx.make_chain(false)) and the feedback matrices from `feedback_rng`.
  DfaTrainer(Context& ctx, Rng& feedback_rng);

  // Centring means and calibration of every unit on the calibration rows, measured through the chain.
  void calibrate(Rng& rng);
  // One DFA step on raw inputs x (n x features) with labels; returns the batch's cross-entropy.
  double step(const Matrix& x, const std::vector<int>& labels, double lr_scale, Rng& rng);
  // The chain measured on raw inputs x: the last unit's features.
  Matrix features(const Matrix& x, Rng& rng);
  // The last step's output error e (n x classes), the signal unit l received (e B_l) and its measurements.
  const Matrix& error() const { return e_; }
  const Matrix& feedback_signal(std::size_t l) const { return dz_[l]; }
  const units::Measurement& measurement(std::size_t l) const { return m_[l]; }
  const Matrix& input(std::size_t l) const { return in_[l]; }  // unit l's centred input in the last step
  const Matrix& feedback(std::size_t l) const { return b_[l]; }
  SoftmaxReadout head() const;
  Chain& chain() { return *chain_; }
  std::shared_ptr<Chain> shared_chain() const { return chain_; }

 private:
  Context& ctx_;
  std::shared_ptr<Chain> chain_;
  std::vector<Matrix> b_;  // feedback matrices, classes x d_l
  std::vector<Adam> adams_;
  std::vector<Eigen::VectorXd> params_;
  Eigen::VectorXd head_;  // [W (d_L x classes, row-major) | b]
  Adam head_adam_;
  std::vector<units::Measurement> m_;
  std::vector<Matrix> in_, dz_;
  Matrix e_;
  Eigen::VectorXd grad_;
};

}  // namespace pib::train
