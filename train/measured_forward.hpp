#pragma once
// Training a chain end to end from measured forward passes (internal to train/): the comparison methods
// "dfa" and "pat" (train/methods.hpp). Every step measures a minibatch forward through the devices and fits
// the softmax head on the last unit's measured features with its true gradient; what differs is the signal
// dL/dZ_l each unit receives, which its own model turns into a parameter gradient at the measured input and
// output (Unit::gradient) before Adam steps and the device is programmed:
//   direct_alignment  direct feedback alignment (Noekland 2016): the output error e = (softmax - onehot) / n
//                     through a fixed random matrix B_l (classes x d_l, entries N(0, 1 / classes));
//   twin              physics-aware training (Wright et al. 2022): backpropagation from the head down through
//                     the digital twin of each unit after the first, evaluated at the unit's measured input
//                     and output. The twin is the unit kind's ideal model (units/ideal.hpp); a kind without
//                     one after the first unit is a ConfigError. The first unit needs none: its own gradient
//                     comes from its measurement, as every unit's does (an optical unit's trainable layer
//                     acts on the measured frame, so PAT on a one-unit optical network is exact).
//   pib_alignment     PIB with direct feedback alignment (the paper's Supplementary Note 4): no head; the PIB
//                     objective -I(Y; Z_L) + beta I(X; Z_L) on the last unit's measured output (the run's
//                     pib settings, X the centred raw input), its gradient g = dL/dZ_L given to the last unit
//                     and, through a fixed random matrix B_l (d_L x d_l, entries N(0, 1 / d_L)), to every
//                     unit before it; the deployed network's readout is fitted on measured features. With
//                     one unit it is PIB on that unit from measured forward passes.
// Settings: MethodSettings (train/config.hpp keys "dfa", "pat" and "pib_dfa").

#include <memory>
#include <string>
#include <vector>

#include "train/context.hpp"
#include "train/methods.hpp"
#include "units/ideal.hpp"

namespace pib::train {

enum class Feedback { direct_alignment, twin, pib_alignment };

class MeasuredForwardTrainer {
 public:
  // A chain of fresh devices (ctx.make_chain(false)); with direct_alignment the feedback matrices come from
  // `feedback_rng`, with twin the twins from the unit configs.
  MeasuredForwardTrainer(Context& ctx, Feedback feedback, const MethodSettings& settings, Rng& feedback_rng);

  // Input maps and calibration of every unit on the calibration rows, measured through the chain.
  void calibrate(Rng& rng);
  // One step on raw inputs x (n x features) with labels; returns the batch's cross-entropy (pib_alignment:
  // its PIB loss).
  double step(const Matrix& x, const std::vector<int>& labels, double lr_scale, Rng& rng);
  // The chain measured on raw inputs x: the last unit's features.
  Matrix features(const Matrix& x, Rng& rng);

  // The last step's output error e (n x classes; pib_alignment: dL/dZ_L), the signal unit l received, its
  // centred input and its measurement; the feedback matrix B_l (direct_alignment, pib_alignment l < L - 1).
  const Matrix& error() const { return e_; }
  const Matrix& signal(std::size_t l) const { return dz_[l]; }
  const Matrix& input(std::size_t l) const { return in_[l]; }
  const units::Measurement& measurement(std::size_t l) const { return m_[l]; }
  const Matrix& feedback(std::size_t l) const { return b_[l]; }
  SoftmaxReadout head() const;
  Chain& chain() { return *chain_; }
  std::shared_ptr<Chain> shared_chain() const { return chain_; }

 private:
  // Unit l's parameter gradient from its signal dz_[l] at its measurement, an Adam step, the deploy.
  void update(std::size_t l, double lr_scale, Rng& rng);

  Context& ctx_;
  Feedback mode_;
  std::shared_ptr<Chain> chain_;
  std::vector<Matrix> b_;                 // direct_alignment: classes x d_l; pib_alignment: d_L x d_l
  std::vector<units::IdealLayer> twins_;  // twin: units 1 .. L-1
  std::vector<Adam> adams_;
  std::vector<Eigen::VectorXd> params_;
  Eigen::VectorXd head_;  // [W (d_L x classes, row-major) | b]
  Adam head_adam_;
  std::vector<units::Measurement> m_;
  std::vector<Matrix> in_, dz_;
  Matrix e_;
  Eigen::VectorXd grad_, twin_grad_, head_grad_;
  bottleneck::Workspace ws_;  // pib_alignment
};

// Trains with `feedback` for settings.epochs epochs (the learning rate decays linearly to
// settings.optimizer.lr_final) and returns the variant `name`: the trained head on the measured test
// features (pib_alignment: a readout fitted on the measured training features).
std::vector<TrainedMethod> train_measured_forward(Context& ctx, Feedback feedback,
                                                  const MethodSettings& settings, const std::string& name);

}  // namespace pib::train
