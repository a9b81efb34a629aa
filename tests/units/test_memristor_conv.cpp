// Tests of the convolutional crossbar units memristor_conv1d / memristor_conv2d: crossbar conv = direct conv,
// max pooling, tiled = untiled, finite-difference gradients, channel faults, shape errors.
#include <algorithm>
#include <cmath>

#include <catch2/catch.hpp>

#include "common/error.hpp"
#include "tests/units/random_inputs.hpp"
#include "units/memristor.hpp"
#include "units/registry.hpp"

using namespace pib;
using namespace pib::units;
using namespace pib::units::testing;

namespace {

// Direct 2-D convolution (cross-correlation) with zero padding, written independently of im2col:
// z[s][co][oh][ow] = b[co] + sum_{c,kh,kw} K[(c kh_n + kh) kw_n + kw][co] x[s][c][oh sh - ph + kh][ow sw - pw
// + kw].
Matrix direct_conv(const Matrix& x, const Vector& p, Eigen::Index c_in, Eigen::Index h, Eigen::Index w,
                   Eigen::Index c_out, Eigen::Index kh_n, Eigen::Index kw_n, Eigen::Index stride_h,
                   Eigen::Index stride_w, Eigen::Index pad_h, Eigen::Index pad_w, Activation activation) {
  const Eigen::Index oh_n = (h + 2 * pad_h - kh_n) / stride_h + 1,
                     ow_n = (w + 2 * pad_w - kw_n) / stride_w + 1;
  const Eigen::Index rows = c_in * kh_n * kw_n;
  Matrix z(x.rows(), c_out * oh_n * ow_n);
  for (Eigen::Index s = 0; s < x.rows(); ++s)
    for (Eigen::Index co = 0; co < c_out; ++co)
      for (Eigen::Index oh = 0; oh < oh_n; ++oh)
        for (Eigen::Index ow = 0; ow < ow_n; ++ow) {
          double acc = p[rows * c_out + co];
          for (Eigen::Index c = 0; c < c_in; ++c)
            for (Eigen::Index kh = 0; kh < kh_n; ++kh)
              for (Eigen::Index kw = 0; kw < kw_n; ++kw) {
                const Eigen::Index ih = oh * stride_h - pad_h + kh, iw = ow * stride_w - pad_w + kw;
                if (ih < 0 || ih >= h || iw < 0 || iw >= w) continue;
                acc += p[((c * kh_n + kh) * kw_n + kw) * c_out + co] * x(s, (c * h + ih) * w + iw);
              }
          z(s, (co * oh_n + oh) * ow_n + ow) = acc;
        }
  apply_activation(activation, z);
  return z;
}

// Max over non-overlapping ph_n x pw_n windows of each channel's oh_n x ow_n map (trailing rows and columns
// that do not fill a window dropped), written independently of CrossbarGeometry.
Matrix direct_max_pool(const Matrix& z, Eigen::Index channels, Eigen::Index oh_n, Eigen::Index ow_n,
                       Eigen::Index ph_n, Eigen::Index pw_n) {
  const Eigen::Index rh = oh_n / ph_n, rw = ow_n / pw_n;
  Matrix out(z.rows(), channels * rh * rw);
  for (Eigen::Index s = 0; s < z.rows(); ++s)
    for (Eigen::Index c = 0; c < channels; ++c)
      for (Eigen::Index i = 0; i < rh; ++i)
        for (Eigen::Index j = 0; j < rw; ++j) {
          double best = z(s, (c * oh_n + i * ph_n) * ow_n + j * pw_n);
          for (Eigen::Index a = 0; a < ph_n; ++a)
            for (Eigen::Index b = 0; b < pw_n; ++b)
              best = std::max(best, z(s, (c * oh_n + i * ph_n + a) * ow_n + j * pw_n + b));
          out(s, (c * rh + i) * rw + j) = best;
        }
  return out;
}

MemristorConv1dConfig conv1d(Eigen::Index c_in, Eigen::Index length, Eigen::Index c_out, Eigen::Index kernel,
                             Eigen::Index stride, Eigen::Index padding, CrossbarDeviceConfig device,
                             Activation activation = Activation::none) {
  MemristorConv1dConfig c;
  c.in_channels = c_in;
  c.length = length;
  c.out_channels = c_out;
  c.kernel = kernel;
  c.stride = stride;
  c.padding = padding;
  c.activation = activation;
  c.device = device;
  return c;
}

MemristorConv2dConfig conv2d(Eigen::Index c_in, Eigen::Index h, Eigen::Index w, Eigen::Index c_out,
                             Eigen::Index kernel, Eigen::Index stride, Eigen::Index padding,
                             CrossbarDeviceConfig device, Activation activation = Activation::none) {
  MemristorConv2dConfig c;
  c.in_channels = c_in;
  c.height = h;
  c.width = w;
  c.out_channels = c_out;
  c.kernel = kernel;
  c.stride = stride;
  c.padding = padding;
  c.activation = activation;
  c.device = device;
  return c;
}

// Deploys random parameters on `unit` and measures a random batch of `n` samples into `m`; returns the
// parameters.
Vector measure_random(Unit& unit, Eigen::Index n, Measurement& m, Rng& rng) {
  const Vector p = uniform_parameters(unit.parameter_count(), rng);
  unit.deploy(p, rng);
  unit.measure(uniform_matrix(n, unit.input_dim(), rng), m, rng);
  return p;
}

// Central finite differences of L = sum(R . Z) through deploy + measure, against unit.gradient.
void check_gradient(Unit& unit, const Matrix& x, Rng& rng) {
  const Vector p = uniform_parameters(unit.parameter_count(), rng);
  const Matrix r = uniform_matrix(x.rows(), unit.output_dim(), rng);
  unit.deploy(p, rng);
  unit.calibrate(x, rng);
  Measurement m;
  unit.measure(x, m, rng);
  Vector grad(unit.parameter_count());
  unit.gradient(m, r, grad);
  const auto loss = [&](const Vector& q) {
    unit.deploy(q, rng);
    Measurement mm;
    unit.measure(x, mm, rng);
    return (mm.output.array() * r.array()).sum();
  };
  const double h = 1e-5;
  for (Eigen::Index k = 0; k < p.size(); ++k) {
    Vector plus = p, minus = p;
    plus[k] += h;
    minus[k] -= h;
    INFO("parameter " << k);
    CHECK(grad[k] == Approx((loss(plus) - loss(minus)) / (2 * h)).margin(1e-6).epsilon(1e-5));
  }
}

}  // namespace

TEST_CASE("memristor_conv1d: the crossbar equals a direct convolution in the ideal limit",
          "[units][memristor]") {
  Rng rng(1);
  struct Shape {
    Eigen::Index c_in, length, c_out, kernel, stride, padding;
  };
  for (const Shape s : {Shape{3, 20, 4, 5, 2, 2}, Shape{1, 40, 6, 5, 1, 0}, Shape{2, 9, 3, 3, 3, 1}}) {
    for (const Activation act : {Activation::none, Activation::relu}) {
      MemristorConv1dUnit unit(conv1d(s.c_in, s.length, s.c_out, s.kernel, s.stride, s.padding,
                                      CrossbarDeviceConfig::ideal(40), act),
                               7);
      const Vector p = uniform_parameters(unit.parameter_count(), rng);
      REQUIRE(unit.parameter_count() == s.c_in * s.kernel * s.c_out + s.c_out);
      unit.deploy(p, rng);
      const Matrix x = uniform_matrix(4, s.c_in * s.length, rng);
      Measurement m;
      unit.measure(x, m, rng);
      const Eigen::Index out_len = (s.length + 2 * s.padding - s.kernel) / s.stride + 1;
      REQUIRE(m.output.cols() == s.c_out * out_len);
      REQUIRE(unit.output_dim() == s.c_out * out_len);
      const Matrix z = direct_conv(m.response, p, s.c_in, 1, s.length, s.c_out, 1, s.kernel, 1, s.stride, 0,
                                   s.padding, act);
      CHECK((m.output - z).cwiseAbs().maxCoeff() < 1e-9);
    }
  }
}

TEST_CASE("memristor_conv2d: the crossbar equals a direct convolution in the ideal limit",
          "[units][memristor]") {
  Rng rng(2);
  struct Shape {
    Eigen::Index c_in, h, w, c_out, kernel, stride, padding;
  };
  for (const Shape s : {Shape{2, 7, 6, 3, 3, 1, 1}, Shape{1, 8, 8, 4, 3, 2, 0}, Shape{3, 5, 9, 2, 2, 2, 1}}) {
    MemristorConv2dUnit unit(
        conv2d(s.c_in, s.h, s.w, s.c_out, s.kernel, s.stride, s.padding, CrossbarDeviceConfig::ideal(40)), 9);
    const Vector p = uniform_parameters(unit.parameter_count(), rng);
    unit.deploy(p, rng);
    const Matrix x = uniform_matrix(3, s.c_in * s.h * s.w, rng);
    Measurement m;
    unit.measure(x, m, rng);
    const Matrix z = direct_conv(m.response, p, s.c_in, s.h, s.w, s.c_out, s.kernel, s.kernel, s.stride,
                                 s.stride, s.padding, s.padding, Activation::none);
    REQUIRE(m.output.cols() == z.cols());
    CHECK((m.output - z).cwiseAbs().maxCoeff() < 1e-9);
  }
}

TEST_CASE("memristor_conv: max pooling takes each window's maximum of the conv output",
          "[units][memristor]") {
  Rng rng(6);
  SECTION("conv1d, a trailing position dropped") {
    auto c = conv1d(2, 11, 3, 3, 1, 1, CrossbarDeviceConfig::ideal(40), Activation::relu);  // 11 positions
    c.pool = 2;
    MemristorConv1dUnit unit(c, 7);
    REQUIRE(unit.output_dim() == 3 * 5);
    Measurement m;
    const Vector p = measure_random(unit, 4, m, rng);
    const Matrix z = direct_conv(m.response, p, 2, 1, 11, 3, 1, 3, 1, 1, 0, 1, Activation::relu);
    CHECK((m.pre_pool - z).cwiseAbs().maxCoeff() < 1e-9);
    CHECK((m.output - direct_max_pool(z, 3, 1, 11, 1, 2)).cwiseAbs().maxCoeff() < 1e-9);
  }
  SECTION("conv2d, 2 x 2 windows") {
    auto c = conv2d(1, 6, 7, 2, 3, 1, 1, CrossbarDeviceConfig::ideal(40));  // 6 x 7 positions -> 3 x 3
    c.pool = 2;
    MemristorConv2dUnit unit(c, 9);
    REQUIRE(unit.output_dim() == 2 * 3 * 3);
    Measurement m;
    const Vector p = measure_random(unit, 3, m, rng);
    const Matrix z = direct_conv(m.response, p, 1, 6, 7, 2, 3, 3, 1, 1, 1, 1, Activation::none);
    CHECK((m.output - direct_max_pool(z, 2, 6, 7, 2, 2)).cwiseAbs().maxCoeff() < 1e-9);
  }
  SECTION("an unpooled unit leaves pre_pool empty") {
    MemristorConv1dUnit unit(conv1d(1, 8, 2, 3, 1, 1, CrossbarDeviceConfig::ideal(40)), 3);
    Measurement m;
    measure_random(unit, 2, m, rng);
    CHECK(m.pre_pool.size() == 0);
  }
}

TEST_CASE("memristor_conv2d: tiled equals untiled", "[units][memristor]") {
  auto device = CrossbarDeviceConfig::ideal(40);
  MemristorConv2dUnit untiled(conv2d(3, 6, 6, 5, 3, 1, 1, device), 11);
  device.tile_rows = 5;  // 27 kernel rows -> 6 arrays; 5 columns -> 3 arrays
  device.tile_cols = 2;
  MemristorConv2dUnit tiled(conv2d(3, 6, 6, 5, 3, 1, 1, device), 11);
  Rng rng(3);
  const Vector p = uniform_parameters(untiled.parameter_count(), rng);
  untiled.deploy(p, rng);
  tiled.deploy(p, rng);
  const Matrix x = uniform_matrix(4, 108, rng);
  Measurement a, b;
  untiled.measure(x, a, rng);
  tiled.measure(x, b, rng);
  CHECK(tiled.diagnostics().adc_full_scale.rows() == 6);
  CHECK((a.output - b.output).cwiseAbs().maxCoeff() < 1e-9);
}

TEST_CASE("memristor_conv: gradients match finite differences of the device", "[units][memristor]") {
  auto device = CrossbarDeviceConfig::ideal(48);
  device.adc_headroom = 2.0;
  Rng rng(4);
  SECTION("conv1d") {
    MemristorConv1dUnit unit(conv1d(2, 9, 3, 3, 2, 1, device, Activation::relu), 13);
    check_gradient(unit, uniform_matrix(3, 18, rng), rng);
  }
  SECTION("conv2d") {
    MemristorConv2dUnit unit(conv2d(2, 5, 4, 2, 3, 1, 1, device, Activation::relu), 17);
    check_gradient(unit, uniform_matrix(2, 40, rng), rng);
  }
  SECTION("conv1d with max pooling") {
    auto c = conv1d(2, 9, 3, 3, 1, 1, device, Activation::relu);
    c.pool = 3;
    MemristorConv1dUnit unit(c, 13);
    check_gradient(unit, uniform_matrix(3, 18, rng), rng);
  }
  SECTION("conv2d with max pooling") {
    auto c = conv2d(2, 5, 4, 2, 3, 1, 1, device, Activation::relu);
    c.pool = 2;
    MemristorConv2dUnit unit(c, 17);
    check_gradient(unit, uniform_matrix(2, 40, rng), rng);
  }
}

TEST_CASE("memristor_conv1d: an ADC fault hits exactly one output channel at every position",
          "[units][memristor]") {
  MemristorConv1dUnit unit(conv1d(2, 12, 4, 3, 1, 1, CrossbarDeviceConfig::ideal(40)), 19);
  Rng rng(5);
  const Vector p = uniform_parameters(unit.parameter_count(), rng);
  unit.deploy(p, rng);
  const Matrix x = uniform_matrix(3, 24, rng);
  Measurement before, after;
  unit.measure(x, before, rng);
  CrossbarFaults faults;
  faults.adc_channels = {{2, AdcFaultMode::zero}};
  unit.inject_faults(faults, rng);
  unit.measure(x, after, rng);
  const Eigen::Index positions = 12;
  for (Eigen::Index co = 0; co < 4; ++co)
    for (Eigen::Index t = 0; t < positions; ++t)
      for (Eigen::Index s = 0; s < 3; ++s) {
        if (co == 2)
          CHECK(after.output(s, co * positions + t) == Approx(p[2 * 3 * 4 + 2]).margin(1e-12));
        else
          CHECK(after.output(s, co * positions + t) == before.output(s, co * positions + t));
      }
}

TEST_CASE("memristor_conv: shape errors name the key", "[units][memristor]") {
  const auto error_of = [](nlohmann::json config) {
    try {
      make_unit(config, 1);
    } catch (const ConfigError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  using Catch::Matchers::Contains;
  const nlohmann::json c1 = {
      {"kind", "memristor_conv1d"}, {"in_channels", 2}, {"length", 10}, {"out_channels", 3}, {"kernel", 3}};
  CHECK(error_of(c1) == "no error");
  CHECK(make_unit(c1, 1)->output_dim() == 24);
  auto bad = c1;
  bad["kernel"] = 13;
  CHECK_THAT(error_of(bad), Contains("memristor_conv1d.kernel"));
  bad = c1;
  bad["input_dim"] = 21;
  CHECK_THAT(error_of(bad), Contains("memristor_conv1d.input_dim"));
  bad = c1;
  bad["input_dim"] = 20;
  bad["output_dim"] = 24;
  CHECK(error_of(bad) == "no error");
  bad = c1;
  bad["stride"] = 0;
  CHECK_THAT(error_of(bad), Contains("memristor_conv1d.stride"));
  bad = c1;
  bad["pool"] = 4;
  CHECK(make_unit(bad, 1)->output_dim() == 3 * 2);
  bad["pool"] = 0;
  CHECK_THAT(error_of(bad), Contains("memristor_conv1d.pool"));
  bad["pool"] = 9;  // longer than the 8 conv positions
  CHECK_THAT(error_of(bad), Contains("memristor_conv1d.pool"));
  bad = c1;
  bad["faults"] = {{"adc_channels", {{{"channel", 3}}}}};
  CHECK_THAT(error_of(bad), Contains("memristor_conv1d.faults.adc_channels[0].channel"));
  const nlohmann::json c2 = {{"kind", "memristor_conv2d"}, {"in_channels", 1}, {"height", 6},  {"width", 5},
                             {"out_channels", 2},          {"kernel", 3},      {"padding", 1}, {"stride", 2}};
  CHECK(error_of(c2) == "no error");
  CHECK(make_unit(c2, 1)->output_dim() == 2 * 3 * 3);
  bad = c2;
  bad["padding"] = -1;
  CHECK_THAT(error_of(bad), Contains("memristor_conv2d.padding"));
  bad = c2;
  bad["heigth"] = 6;
  CHECK_THAT(error_of(bad), Contains("unknown key 'heigth'"));
  bad = c2;
  bad["pool"] = 4;  // the conv output is 3 x 3
  CHECK_THAT(error_of(bad), Contains("memristor_conv2d.pool"));
  bad = c2;
  bad["output_dim"] = 19;
  CHECK_THAT(error_of(bad), Contains("memristor_conv2d.output_dim"));
}
