// Augmentations: deterministic per seed, within their configured ranges.
#include <catch2/catch.hpp>
#include <cmath>

#include "common/error.hpp"
#include "data/augment.hpp"

using namespace pib::data;

namespace {
// Images with a distinct value per pixel (1 + index), so shifts can be read back.
Matrix ramp_images(int n) {
  Matrix m(n, 28 * 28);
  for (int r = 0; r < n; ++r)
    for (int i = 0; i < 28 * 28; ++i)
      m(r, i) = 1.0 + i + r * 1000.0;
  return m;
}
ImageAugmentConfig only_translation() {
  ImageAugmentConfig c;
  c.crop_probability = 0;
  c.erase_probability = 0;
  c.noise_std = 0;
  c.max_translation_px = 2;
  return c;
}
}  // namespace

TEST_CASE("Image augmentation is deterministic per seed and two views differ", "[data][augment]") {
  const ImageAugmenter aug(ImageAugmentConfig{});
  const Matrix x = ramp_images(8) / 9000.0;
  Matrix a1, b1, a2, b2;
  pib::Rng r1(11), r2(11), r3(12);
  aug.two_views(x, a1, b1, r1);
  aug.two_views(x, a2, b2, r2);
  CHECK(a1 == a2);
  CHECK(b1 == b2);
  CHECK(a1 != b1);
  aug.apply(x, a2, r3);
  CHECK(a1 != a2);
}

TEST_CASE("Translation moves each image by at most max_translation_px with zero fill", "[data][augment]") {
  const ImageAugmenter aug(only_translation());
  const Matrix x = ramp_images(50);
  Matrix y;
  pib::Rng rng(4);
  aug.apply(x, y, rng);
  int moved = 0;
  for (Eigen::Index r = 0; r < y.rows(); ++r) {
    // The centre pixel (14, 14) must come from (14 - dy, 14 - dx) with |dx|, |dy| <= 2.
    const double v = y(r, 14 * 28 + 14) - 1.0 - r * 1000.0;
    const int src = static_cast<int>(std::lround(v));
    const int dy = 14 - src / 28, dx = 14 - src % 28;
    CHECK(std::abs(dx) <= 2);
    CHECK(std::abs(dy) <= 2);
    moved += (dx != 0 || dy != 0);
    for (int yy = 0; yy < 28; ++yy)
      for (int xx = 0; xx < 28; ++xx) {
        const int sy = yy - dy, sx = xx - dx;
        const double expected = (sy >= 0 && sy < 28 && sx >= 0 && sx < 28) ? x(r, sy * 28 + sx) : 0.0;
        REQUIRE(y(r, yy * 28 + xx) == expected);
      }
  }
  CHECK(moved > 30);
}

TEST_CASE("Gaussian noise has the configured standard deviation", "[data][augment]") {
  ImageAugmentConfig c = only_translation();
  c.max_translation_px = 0;
  c.noise_std = 0.2;
  const ImageAugmenter aug(c);
  const Matrix x = Matrix::Constant(20, 784, 0.5);
  Matrix y;
  pib::Rng rng(8);
  aug.apply(x, y, rng);
  const Eigen::ArrayXXd d = (y - x).array();
  CHECK(d.mean() == Approx(0.0).margin(0.01));
  CHECK(std::sqrt(d.square().mean()) == Approx(0.2).epsilon(0.03));
}

TEST_CASE("Random erasing blanks one box within the configured area", "[data][augment]") {
  ImageAugmentConfig c = only_translation();
  c.max_translation_px = 0;
  c.erase_probability = 1.0;
  c.erase_value = -1.0;
  const ImageAugmenter aug(c);
  const Matrix x = Matrix::Constant(40, 784, 0.5);
  Matrix y;
  pib::Rng rng(2);
  aug.apply(x, y, rng);
  for (Eigen::Index r = 0; r < y.rows(); ++r) {
    const auto erased = (y.row(r).array() == -1.0).count();
    CHECK(erased >= 1);
    CHECK(erased <= static_cast<Eigen::Index>(std::ceil(0.15 * 784 * 1.2)));
    CHECK((y.row(r).array() == 0.5).count() + erased == 784);
  }
}

TEST_CASE("Random resized crop keeps the value range and the image size", "[data][augment]") {
  ImageAugmentConfig c = only_translation();
  c.max_translation_px = 0;
  c.crop_probability = 1.0;
  const ImageAugmenter aug(c);
  const Matrix x = ramp_images(10);
  Matrix y;
  pib::Rng rng(6);
  aug.apply(x, y, rng);
  REQUIRE(y.cols() == 784);
  int changed = 0;
  for (Eigen::Index r = 0; r < y.rows(); ++r) {
    CHECK(y.row(r).minCoeff() >= x.row(r).minCoeff() - 1e-9);
    CHECK(y.row(r).maxCoeff() <= x.row(r).maxCoeff() + 1e-9);
    changed += (y.row(r) != x.row(r));
  }
  CHECK(changed > 0);
  ImageAugmentConfig bad;
  bad.crop_scale_min = 0.0;
  CHECK_THROWS_AS(ImageAugmenter{bad}, pib::ConfigError);
  CHECK_THROWS_AS(ImageAugmentConfig::from_json({{"noise", 0.1}}), pib::ConfigError);
}

TEST_CASE("MNIST-1D augmentation: detrend, circular shift below max_shift, slope and offset",
          "[data][augment]") {
  Matrix x(30, 40);
  for (Eigen::Index r = 0; r < 30; ++r)
    for (Eigen::Index i = 0; i < 40; ++i)
      x(r, i) = std::sin(0.3 * i + r) + 0.05 * i + 0.7;
  Mnist1dAugmentConfig c;
  c.slope_std = 0;
  c.offset_std = 0;
  c.max_shift = 0;
  Matrix y;
  pib::Rng rng(1);
  Mnist1dAugmenter(c).apply(x, y, rng);
  Eigen::RowVectorXd t(40);
  for (int i = 0; i < 40; ++i)
    t(i) = i - 19.5;
  for (Eigen::Index r = 0; r < 30; ++r) {
    CHECK(y.row(r).mean() == Approx(0.0).margin(1e-12));
    CHECK(y.row(r).dot(t) == Approx(0.0).margin(1e-10));  // no linear trend left
  }
  // The shift is a roll right by s in [0, max_shift).
  c.max_shift = 10;
  Matrix shifted;
  Mnist1dAugmenter(c).apply(x, shifted, rng);
  for (Eigen::Index r = 0; r < 30; ++r) {
    int found = -1;
    for (int s = 0; s < 40 && found < 0; ++s) {
      bool ok = true;
      for (int i = 0; i < 40 && ok; ++i)
        ok = std::abs(shifted(r, (i + s) % 40) - y(r, i)) < 1e-12;
      if (ok) found = s;
    }
    CHECK(found >= 0);
    CHECK(found < 10);
  }
  // Slope and offset: with no shift and a detrended input, what is added is slope * t + offset.
  c.max_shift = 0;
  c.slope_std = 0.04;
  c.offset_std = 0.3;
  Matrix a, b;
  pib::Rng r1(3), r2(3);
  const Mnist1dAugmenter aug(c);
  aug.two_views(x, a, b, r1);
  Matrix a2, b2;
  aug.two_views(x, a2, b2, r2);
  CHECK(a == a2);
  CHECK(b == b2);
  CHECK(a != b);
  double slope_sq = 0, offset_sq = 0;
  for (Eigen::Index r = 0; r < 30; ++r) {
    const Eigen::RowVectorXd added = a.row(r) - y.row(r);
    const double offset = added.mean();
    const double slope = added.dot(t) / t.squaredNorm();
    CHECK((added - slope * t - Eigen::RowVectorXd::Constant(40, offset)).cwiseAbs().maxCoeff() < 1e-12);
    slope_sq += slope * slope;
    offset_sq += offset * offset;
  }
  CHECK(std::sqrt(slope_sq / 30) == Approx(0.04).epsilon(0.4));
  CHECK(std::sqrt(offset_sq / 30) == Approx(0.3).epsilon(0.4));
}
