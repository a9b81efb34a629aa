// The optical unit's fitted twin (units/twin.hpp, units/optical.hpp): the camera frame as the intensity of a
// linear field of the modulator pattern,
//   S_hat = (F A)^2 + (F B)^2 + c    (squares elementwise; n x n_speckle),
// F the pattern (OpticalUnit::modulator_pattern: the encoding is the user's own; the medium is not read),
// A, B (features x n_speckle) and the offset c fitted by Adam on the mean squared error to measured frames.
// It is the model class of the physics: a real pattern e gives |T e|^2 = (e Re T^T)^2 + (e Im T^T)^2 and a
// phase pattern [cos | sin] the same with stacked real matrices, the camera gain folded into A and B; the
// camera's noise, rounding and saturation it does not model. Its unknowns per pixel are 2 features + 1.
#include <algorithm>
#include <cmath>
#include <numeric>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "units/optical.hpp"
#include "units/twin.hpp"

namespace pib::units {
namespace {

struct SquareLaw {
  Eigen::Index features, pixels;
  Eigen::VectorXd flat;  // [A | B] (features x 2 pixels), then c (pixels)

  Eigen::Map<const Matrix> ab() const { return {flat.data(), features, 2 * pixels}; }
  void predict(const Eigen::Ref<const Matrix>& f, Matrix& field, Matrix& out) const {
    field.noalias() = f * ab();
    out = field.leftCols(pixels).array().square() + field.rightCols(pixels).array().square();
    out.rowwise() += flat.tail(pixels).transpose();
  }
};

double r_squared(const Matrix& predicted, const Eigen::Ref<const Matrix>& measured) {
  const double mean = measured.mean();
  const double total = (measured.array() - mean).square().sum();
  return total > 0 ? 1.0 - (predicted - measured).squaredNorm() / total : 0.0;
}

}  // namespace

Eigen::Index optical_twin_min_samples(const nlohmann::json& config) {
  nlohmann::json c = config;
  c.erase("kind");
  return 2 * OpticalConfig::from_json(c).pattern_features() + 1;
}

FittedTwin fit_optical_twin(Unit& unit, const Eigen::Ref<const Matrix>& pool, const TwinSettings& s,
                            const std::string& key, Rng& rng) {
  auto& optical = dynamic_cast<OpticalUnit&>(unit);
  const OpticalConfig& config = optical.config();
  const Eigen::Index f = config.pattern_features(), p = config.n_speckle, n = s.samples;
  require_config(n >= 2 * f + 1, key + ".samples", n,
                 ">= " + std::to_string(2 * f + 1) + " (2 x " + std::to_string(f) +
                     " pattern features + 1: the twin's unknowns per camera pixel)");
  PIB_EXPECTS(pool.rows() > 0 && pool.cols() == config.input_dim, "optical twin: pool of ", pool.rows(),
              " x ", pool.cols(), " inputs, expected ", config.input_dim, " columns");

  // Inputs with the pool's marginals, measured on the device in calls of at most 1,000.
  Matrix x(n, config.input_dim);
  for (Eigen::Index i = 0; i < n; ++i)
    for (Eigen::Index j = 0; j < x.cols(); ++j)
      x(i, j) = pool(static_cast<Eigen::Index>(rng.below(static_cast<std::uint64_t>(pool.rows()))), j);
  Matrix frames(n, p), pattern;
  Measurement m;
  long calls = 0;
  for (Eigen::Index start = 0; start < n; start += 1000, ++calls) {
    const Eigen::Index rows = std::min<Eigen::Index>(1000, n - start);
    optical.measure(x.middleRows(start, rows), m, rng);
    frames.middleRows(start, rows) = m.response;
  }
  optical.modulator_pattern(x, pattern);

  // A tenth held out; the scale of A and B so that the initial mean frame matches the measured one.
  const Eigen::Index held = std::max<Eigen::Index>(1, n / 10), fit_rows = n - held;
  SquareLaw model{f, p, Eigen::VectorXd::Zero(2 * f * p + p)};
  const double pattern_power = pattern.topRows(fit_rows).rowwise().squaredNorm().mean();
  const double sd = std::sqrt(std::max(frames.topRows(fit_rows).mean(), 1e-6) / (2.0 * pattern_power));
  for (Eigen::Index i = 0; i < 2 * f * p; ++i)
    model.flat[i] = sd * rng.normal();

  Eigen::VectorXd grad(model.flat.size());
  AdamState adam;
  adam.reset(model.flat.size());
  std::vector<Eigen::Index> order(static_cast<std::size_t>(fit_rows));
  std::iota(order.begin(), order.end(), 0);
  const Eigen::Index batch = std::min<Eigen::Index>(s.batch_size, fit_rows);
  const long steps_per_epoch = fit_rows / batch, total = steps_per_epoch * s.epochs;
  Matrix fb(batch, f), sb(batch, p), field, pred, dfield(batch, 2 * p);
  long step = 0;
  double mse = 0;
  for (int epoch = 0; epoch < s.epochs; ++epoch) {
    for (std::size_t i = order.size(); i > 1; --i)
      std::swap(order[i - 1], order[static_cast<std::size_t>(rng.below(i))]);
    mse = 0;
    for (long b = 0; b < steps_per_epoch; ++b, ++step) {
      for (Eigen::Index r = 0; r < batch; ++r) {
        const Eigen::Index row = order[static_cast<std::size_t>(b * batch + r)];
        fb.row(r) = pattern.row(row);
        sb.row(r) = frames.row(row);
      }
      model.predict(fb, field, pred);
      pred -= sb;  // the residual
      mse += pred.squaredNorm() / static_cast<double>(pred.size());
      pred *= 2.0 / static_cast<double>(pred.size());  // d mean squared error / d prediction
      dfield.leftCols(p) = 2.0 * pred.array() * field.leftCols(p).array();
      dfield.rightCols(p) = 2.0 * pred.array() * field.rightCols(p).array();
      Eigen::Map<Matrix>(grad.data(), f, 2 * p).noalias() = fb.transpose() * dfield;
      grad.tail(p) = pred.colwise().sum().transpose();
      adam.step(model.flat, grad, s.optimizer.lr * s.optimizer.lr_scale(step, total), s.optimizer);
    }
    mse /= static_cast<double>(std::max<long>(steps_per_epoch, 1));
  }
  model.predict(pattern.bottomRows(held), field, pred);
  const double held_r2 = r_squared(pred, frames.bottomRows(held));
  const double held_mse = (pred - frames.bottomRows(held)).squaredNorm() / static_cast<double>(pred.size());

  CrossbarGeometry g;
  g.in_channels = p;
  g.out_channels = config.output_dim;
  std::shared_ptr<Unit> encoder = unit.clone();  // the modulator's calibrated encoding (and nothing else)
  auto shared = std::make_shared<const SquareLaw>(std::move(model));
  return {[encoder, shared](const Eigen::Ref<const Matrix>& input, Matrix& response) {
            Matrix pat, fld;
            static_cast<OpticalUnit&>(*encoder).modulator_pattern(input, pat);
            shared->predict(pat, fld, response);
          },
          IdealLayer(g, config.activation, config.init),
          {{"samples", n},
           {"measure_calls", calls},
           {"unknowns_per_pixel", 2 * f + 1},
           {"train_mse", mse},
           {"heldout_mse", held_mse},
           {"heldout_r2", held_r2}}};
}

}  // namespace pib::units
