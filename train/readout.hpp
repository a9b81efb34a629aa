#pragma once
// A linear softmax classifier on a unit's measured features (the readout of a deep PNN, DESIGN.md 3.6).
//
// Features are standardised with the training split's mean and standard deviation (columns with std below
// 1e-6 become 0), then logits = f W + b; fit() minimises the mean cross-entropy plus l2 |W|^2 / 2 by
// mini-batch Adam with a linearly decaying learning rate. A plain value type; predict() is const and may be
// called from any thread, fit() not concurrently with anything else on the same object.

#include <string>
#include <vector>

#include <Eigen/Core>
#include <nlohmann/json.hpp>

#include "common/random.hpp"
#include "train/optimizer.hpp"

namespace pib::train {

using Matrix = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

struct ReadoutConfig {
  int epochs = 30;
  int batch_size = 256;
  double lr = 0.01;
  double l2 = 1e-4;

  static ReadoutConfig from_json(const nlohmann::json& json, const std::string& path = "readout");
  nlohmann::json to_json() const;
  void validate(const std::string& path = "readout") const;
};

class SoftmaxReadout {
 public:
  SoftmaxReadout() = default;
  // A readout with given weights (d x k) and bias (k) and no standardisation (e.g. a backprop-trained
  // last layer).
  static SoftmaxReadout from_linear(const Matrix& w, const Eigen::RowVectorXd& b);

  // Fits on features (n x d) with labels in [0, n_classes). Throws InvalidArgument on size mismatches, an
  // empty set, or a label out of range.
  void fit(const Eigen::Ref<const Matrix>& features, const std::vector<int>& labels, int n_classes,
           const ReadoutConfig& config, Rng& rng);

  // Logits (n x k) of standardised features.
  Matrix logits(const Eigen::Ref<const Matrix>& features) const;
  std::vector<int> predict(const Eigen::Ref<const Matrix>& features) const;
  // Fraction of rows whose arg-max logit equals the label.
  double accuracy(const Eigen::Ref<const Matrix>& features, const std::vector<int>& labels) const;

  Eigen::Index input_dim() const { return w_.rows(); }
  const Matrix& weights() const { return w_; }
  const Eigen::RowVectorXd& bias() const { return b_; }

 private:
  Eigen::RowVectorXd mean_, inv_std_;  // empty: no standardisation
  Matrix w_;
  Eigen::RowVectorXd b_;
};

// Row-wise softmax cross-entropy of logits against labels: returns the mean loss and writes
// dL/dlogits (mean over rows) into `grad` (resized).
double softmax_cross_entropy(const Eigen::Ref<const Matrix>& logits, const std::vector<int>& labels,
                             Matrix& grad);

// Accuracy of fitting a fresh readout on (train_x, train_y) and testing it on (test_x, test_y).
double readout_accuracy(const Eigen::Ref<const Matrix>& train_x, const std::vector<int>& train_y,
                        const Eigen::Ref<const Matrix>& test_x, const std::vector<int>& test_y, int n_classes,
                        const ReadoutConfig& config, Rng& rng);

}  // namespace pib::train
