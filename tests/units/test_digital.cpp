#include <string>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "common/error.hpp"
#include "common/random.hpp"
#include "tests/units/random_inputs.hpp"
#include "units/digital.hpp"
#include "units/head.hpp"

using pib::Rng;
using pib::units::DigitalDenseConfig;
using pib::units::DigitalDenseUnit;
using pib::units::LinearHead;
using pib::units::Matrix;
using pib::units::Measurement;
using pib::units::Vector;
using pib::units::testing::normal_matrix;

namespace {
double weighted_sum(const Matrix& z, const Matrix& g) {
  return (z.array() * g.array()).sum();
}
}  // namespace

TEST_CASE("digital_dense measures act(X W + b) with the flat [W row-major, b] layout", "[digital]") {
  DigitalDenseUnit unit(
      DigitalDenseConfig::from_json({{"input_dim", 3}, {"output_dim", 2}, {"activation", "none"}}), 1);
  Vector p(8);
  p << 1, 2, 3, 4, 5, 6, 0.5, -0.5;  // W = [[1, 2], [3, 4], [5, 6]], b = [0.5, -0.5]
  Rng rng(1);
  unit.deploy(p, rng);
  CHECK(unit.version() == 1);
  Matrix x(1, 3);
  x << 1, 0, -1;
  Measurement m;
  unit.measure(x, m, rng);
  CHECK(m.output(0, 0) == Approx(1 - 5 + 0.5));
  CHECK(m.output(0, 1) == Approx(2 - 6 - 0.5));
  CHECK(m.response == x);
  CHECK(m.version == 1);
  CHECK(unit.parameters() == p);
}

TEST_CASE("digital_dense initialisation is seeded with the documented scale", "[digital]") {
  const auto config = DigitalDenseConfig::from_json({{"input_dim", 400}, {"output_dim", 100}});
  DigitalDenseUnit a(config, 5), b(config, 5), c(config, 6);
  CHECK(a.parameters() == b.parameters());
  CHECK(a.parameters() != c.parameters());
  const Vector w = a.parameters().head(400 * 100);
  const double variance = w.squaredNorm() / static_cast<double>(w.size());
  CHECK(variance == Approx(2.0 / 400.0).epsilon(0.05));  // He: 2 / fan_in for relu
  CHECK(a.parameters().tail(100).isZero());
}

TEST_CASE("digital_dense gradient matches finite differences", "[digital]") {
  for (const std::string activation : {"none", "tanh", "relu"}) {
    DigitalDenseUnit unit(
        DigitalDenseConfig::from_json({{"input_dim", 4}, {"output_dim", 3}, {"activation", activation}}), 3);
    Rng rng(7);
    const Matrix x = normal_matrix(6, 4, rng), g = normal_matrix(6, 3, rng);
    Measurement m;
    unit.measure(x, m, rng);
    Vector grad(unit.parameter_count());
    unit.gradient(m, g, grad);
    const Vector p0 = unit.parameters();
    const double h = 1e-6;
    for (Eigen::Index k = 0; k < p0.size(); ++k) {
      Vector p = p0;
      p[k] += h;
      unit.deploy(p, rng);
      unit.measure(x, m, rng);
      const double up = weighted_sum(m.output, g);
      p[k] -= 2 * h;
      unit.deploy(p, rng);
      unit.measure(x, m, rng);
      const double down = weighted_sum(m.output, g);
      CHECK(grad[k] == Approx((up - down) / (2 * h)).margin(1e-6));
    }
  }
}

TEST_CASE("digital_dense clone is independent and starts from the same parameters", "[digital]") {
  DigitalDenseUnit unit(DigitalDenseConfig::from_json({{"input_dim", 2}, {"output_dim", 2}}), 9);
  auto copy = unit.clone();
  CHECK(copy->parameters() == unit.parameters());
  Rng rng(1);
  unit.deploy(Vector::Zero(6), rng);
  CHECK(copy->parameters() != unit.parameters());
  CHECK_THROWS_AS(unit.deploy(Vector::Zero(5), rng), pib::InvalidArgument);
  Measurement m;
  CHECK_THROWS_AS(unit.measure(Matrix::Zero(2, 3), m, rng), pib::InvalidArgument);
}

TEST_CASE("linear head forward and backward match finite differences", "[head]") {
  LinearHead head(5, 3, 4);
  CHECK(head.parameter_count() == 18);
  Rng rng(2);
  const Matrix z = normal_matrix(7, 5, rng), g = normal_matrix(7, 3, rng);
  Matrix out, dL_dz;
  Vector grad(head.parameter_count());
  head.forward(z, out);
  head.backward(z, g, grad, dL_dz);
  const double h = 1e-6;
  const Vector p0 = head.parameters();
  for (Eigen::Index k = 0; k < p0.size(); ++k) {
    Vector p = p0;
    p[k] += h;
    head.set_parameters(p);
    head.forward(z, out);
    const double up = weighted_sum(out, g);
    p[k] -= 2 * h;
    head.set_parameters(p);
    head.forward(z, out);
    const double down = weighted_sum(out, g);
    CHECK(grad[k] == Approx((up - down) / (2 * h)).margin(1e-6));
  }
  head.set_parameters(p0);
  for (Eigen::Index i = 0; i < z.rows(); ++i)
    for (Eigen::Index j = 0; j < z.cols(); ++j) {
      Matrix zp = z;
      zp(i, j) += h;
      head.forward(zp, out);
      const double up = weighted_sum(out, g);
      zp(i, j) -= 2 * h;
      head.forward(zp, out);
      const double down = weighted_sum(out, g);
      CHECK(dL_dz(i, j) == Approx((up - down) / (2 * h)).margin(1e-6));
    }
  CHECK_THROWS_AS(head.set_parameters(Vector::Zero(3)), pib::InvalidArgument);
}
