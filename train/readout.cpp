#include "train/readout.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "common/config.hpp"
#include "common/error.hpp"

namespace pib::train {

ReadoutConfig ReadoutConfig::from_json(const nlohmann::json& json, const std::string& path) {
  ReadoutConfig c;
  ConfigReader r(json, path);
  r.get("epochs", c.epochs);
  r.get("batch_size", c.batch_size);
  r.get("lr", c.lr);
  r.get("l2", c.l2);
  r.finish();
  c.validate(path);
  return c;
}

nlohmann::json ReadoutConfig::to_json() const {
  return {{"epochs", epochs}, {"batch_size", batch_size}, {"lr", lr}, {"l2", l2}};
}

void ReadoutConfig::validate(const std::string& path) const {
  require_config(epochs >= 1, path + ".epochs", epochs, ">= 1");
  require_config(batch_size >= 1, path + ".batch_size", batch_size, ">= 1");
  require_config(lr > 0, path + ".lr", lr, "> 0");
  require_config(l2 >= 0, path + ".l2", l2, ">= 0");
}

SoftmaxReadout SoftmaxReadout::from_linear(const Matrix& w, const Eigen::RowVectorXd& b) {
  PIB_EXPECTS(w.cols() == b.size(), "from_linear: bias size ", b.size(), " vs ", w.cols(), " classes");
  SoftmaxReadout r;
  r.w_ = w;
  r.b_ = b;
  return r;
}

double softmax_cross_entropy(const Eigen::Ref<const Matrix>& logits, const std::vector<int>& labels,
                             Matrix& grad) {
  const Eigen::Index n = logits.rows(), k = logits.cols();
  PIB_EXPECTS(static_cast<Eigen::Index>(labels.size()) == n && n > 0,
              "softmax_cross_entropy: ", labels.size(), " labels for ", n, " rows");
  grad.resize(n, k);
  double loss = 0;
  for (Eigen::Index i = 0; i < n; ++i) {
    const double mx = logits.row(i).maxCoeff();
    grad.row(i) = (logits.row(i).array() - mx).exp().matrix();
    const double sum = grad.row(i).sum();
    grad.row(i) /= sum;
    const int y = labels[static_cast<std::size_t>(i)];
    PIB_EXPECTS(y >= 0 && y < k, "softmax_cross_entropy: label ", y, " out of [0, ", k, ")");
    loss -= std::log(std::max(grad(i, y), 1e-300));
    grad(i, y) -= 1.0;
  }
  grad /= static_cast<double>(n);
  return loss / static_cast<double>(n);
}

void SoftmaxReadout::fit(const Eigen::Ref<const Matrix>& features, const std::vector<int>& labels,
                         int n_classes, const ReadoutConfig& config, Rng& rng) {
  const Eigen::Index n = features.rows(), d = features.cols();
  if (n < 1 || d < 1) raise<InvalidArgument>("readout: empty feature matrix (", n, " x ", d, ")");
  if (static_cast<Eigen::Index>(labels.size()) != n)
    raise<InvalidArgument>("readout: ", labels.size(), " labels for ", n, " feature rows");
  if (n_classes < 2) raise<InvalidArgument>("readout: n_classes must be >= 2, got ", n_classes);
  for (int y : labels)
    if (y < 0 || y >= n_classes)
      raise<InvalidArgument>("readout: label ", y, " outside [0, ", n_classes, ")");
  if (!features.allFinite()) raise<InvalidArgument>("readout: features contain NaN or inf");

  mean_ = features.colwise().mean();
  inv_std_.resize(d);
  for (Eigen::Index j = 0; j < d; ++j) {
    const double sd = std::sqrt((features.col(j).array() - mean_(j)).square().mean());
    inv_std_(j) = sd > 1e-6 ? 1.0 / sd : 0.0;
  }
  w_ = Matrix::Zero(d, n_classes);
  b_ = Eigen::RowVectorXd::Zero(n_classes);

  Eigen::VectorXd params = Eigen::VectorXd::Zero(d * n_classes + n_classes), grad(params.size());
  Adam adam(params.size(), AdamConfig{.lr = config.lr});
  std::vector<std::size_t> order(static_cast<std::size_t>(n));
  std::iota(order.begin(), order.end(), 0);
  const std::size_t bs = std::min<std::size_t>(static_cast<std::size_t>(config.batch_size), order.size());
  const std::size_t batches = (order.size() + bs - 1) / bs;
  const double total_steps = static_cast<double>(batches) * config.epochs;
  Matrix xb, logit, g;
  std::vector<int> yb;
  std::int64_t step = 0;
  for (int epoch = 0; epoch < config.epochs; ++epoch) {
    for (std::size_t i = order.size(); i > 1; --i)
      std::swap(order[i - 1], order[rng.below(i)]);
    for (std::size_t start = 0; start < order.size(); start += bs) {
      const std::size_t m = std::min(bs, order.size() - start);
      xb.resize(static_cast<Eigen::Index>(m), d);
      yb.resize(m);
      for (std::size_t i = 0; i < m; ++i) {
        const auto row = static_cast<Eigen::Index>(order[start + i]);
        xb.row(static_cast<Eigen::Index>(i)) = (features.row(row) - mean_).cwiseProduct(inv_std_);
        yb[i] = labels[order[start + i]];
      }
      Eigen::Map<Matrix> w(params.data(), d, n_classes);
      Eigen::Map<Eigen::RowVectorXd> b(params.data() + d * n_classes, n_classes);
      logit.noalias() = xb * w;
      logit.rowwise() += b;
      softmax_cross_entropy(logit, yb, g);
      Eigen::Map<Matrix> gw(grad.data(), d, n_classes);
      gw.noalias() = xb.transpose() * g;
      gw += config.l2 * w;
      grad.tail(n_classes) = g.colwise().sum().transpose();
      const double scale = 1.0 - static_cast<double>(step++) / total_steps;
      adam.step(params, grad, scale);
    }
  }
  w_ = Eigen::Map<Matrix>(params.data(), d, n_classes);
  b_ = params.tail(n_classes).transpose();
}

Matrix SoftmaxReadout::logits(const Eigen::Ref<const Matrix>& features) const {
  PIB_EXPECTS(features.cols() == w_.rows(), "readout: ", features.cols(), " features, expected ", w_.rows());
  Matrix out;
  if (mean_.size() > 0) {
    Matrix x = (features.rowwise() - mean_).array().rowwise() * inv_std_.array();
    out.noalias() = x * w_;
  } else {
    out.noalias() = features * w_;
  }
  out.rowwise() += b_;
  return out;
}

std::vector<int> SoftmaxReadout::predict(const Eigen::Ref<const Matrix>& features) const {
  const Matrix l = logits(features);
  std::vector<int> out(static_cast<std::size_t>(l.rows()));
  for (Eigen::Index i = 0; i < l.rows(); ++i) {
    Eigen::Index arg = 0;
    l.row(i).maxCoeff(&arg);
    out[static_cast<std::size_t>(i)] = static_cast<int>(arg);
  }
  return out;
}

double SoftmaxReadout::accuracy(const Eigen::Ref<const Matrix>& features,
                                const std::vector<int>& labels) const {
  PIB_EXPECTS(static_cast<Eigen::Index>(labels.size()) == features.rows() && !labels.empty(),
              "readout accuracy: ", labels.size(), " labels for ", features.rows(), " rows");
  const auto pred = predict(features);
  std::size_t hits = 0;
  for (std::size_t i = 0; i < pred.size(); ++i)
    hits += pred[i] == labels[i];
  return static_cast<double>(hits) / static_cast<double>(pred.size());
}

double readout_accuracy(const Eigen::Ref<const Matrix>& train_x, const std::vector<int>& train_y,
                        const Eigen::Ref<const Matrix>& test_x, const std::vector<int>& test_y, int n_classes,
                        const ReadoutConfig& config, Rng& rng) {
  SoftmaxReadout r;
  r.fit(train_x, train_y, n_classes, config, rng);
  return r.accuracy(test_x, test_y);
}

}  // namespace pib::train
