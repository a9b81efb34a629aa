#include "data/augment.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

#include "common/config.hpp"
#include "common/error.hpp"

namespace pib::data {

namespace {

struct Box {
  int top, left, h, w;
};

// A box of area fraction U[scale_min, scale_max] and log-uniform aspect ratio w/h inside an H x W image;
// nullopt-like {-1} when none of `tries` fits.
Box random_box(int height, int width, double scale_min, double scale_max, double ratio_min, double ratio_max,
               pib::Rng& rng, int tries) {
  const double area = static_cast<double>(height) * width;
  for (int t = 0; t < tries; ++t) {
    const double target = area * rng.uniform(scale_min, scale_max);
    const double ratio = std::exp(rng.uniform(std::log(ratio_min), std::log(ratio_max)));
    const int w = static_cast<int>(std::lround(std::sqrt(target * ratio)));
    const int h = static_cast<int>(std::lround(std::sqrt(target / ratio)));
    if (w < 1 || h < 1 || w > width || h > height) continue;
    const int top = static_cast<int>(rng.below(static_cast<std::uint64_t>(height - h + 1)));
    const int left = static_cast<int>(rng.below(static_cast<std::uint64_t>(width - w + 1)));
    return {top, left, h, w};
  }
  return {-1, -1, 0, 0};
}

// Bilinear resize of the box of `src` to the full H x W `dst` (pixel centres aligned, edges clamped).
void resize_box(const double* src, double* dst, int height, int width, const Box& b) {
  const double sy = static_cast<double>(b.h) / height;
  const double sx = static_cast<double>(b.w) / width;
  for (int y = 0; y < height; ++y) {
    const double fy = std::clamp((y + 0.5) * sy - 0.5, 0.0, b.h - 1.0);
    const int y0 = static_cast<int>(fy);
    const int y1 = std::min(y0 + 1, b.h - 1);
    const double wy = fy - y0;
    for (int x = 0; x < width; ++x) {
      const double fx = std::clamp((x + 0.5) * sx - 0.5, 0.0, b.w - 1.0);
      const int x0 = static_cast<int>(fx);
      const int x1 = std::min(x0 + 1, b.w - 1);
      const double wx = fx - x0;
      auto at = [&](int yy, int xx) { return src[(b.top + yy) * width + (b.left + xx)]; };
      dst[y * width + x] = (1 - wy) * ((1 - wx) * at(y0, x0) + wx * at(y0, x1)) +
                           wy * ((1 - wx) * at(y1, x0) + wx * at(y1, x1));
    }
  }
}

}  // namespace

ImageAugmentConfig ImageAugmentConfig::from_json(const nlohmann::json& json, const std::string& path) {
  ImageAugmentConfig c;
  ConfigReader r(json, path);
  r.get("height", c.height);
  r.get("width", c.width);
  r.get("crop_probability", c.crop_probability);
  r.get("crop_scale_min", c.crop_scale_min);
  r.get("crop_scale_max", c.crop_scale_max);
  r.get("crop_ratio_min", c.crop_ratio_min);
  r.get("crop_ratio_max", c.crop_ratio_max);
  r.get("max_translation_px", c.max_translation_px);
  r.get("erase_probability", c.erase_probability);
  r.get("erase_area_min", c.erase_area_min);
  r.get("erase_area_max", c.erase_area_max);
  r.get("erase_ratio_min", c.erase_ratio_min);
  r.get("erase_ratio_max", c.erase_ratio_max);
  r.get("erase_value", c.erase_value);
  r.get("noise_std", c.noise_std);
  r.finish();
  c.validate();
  return c;
}

nlohmann::json ImageAugmentConfig::to_json() const {
  return {{"height", height},
          {"width", width},
          {"crop_probability", crop_probability},
          {"crop_scale_min", crop_scale_min},
          {"crop_scale_max", crop_scale_max},
          {"crop_ratio_min", crop_ratio_min},
          {"crop_ratio_max", crop_ratio_max},
          {"max_translation_px", max_translation_px},
          {"erase_probability", erase_probability},
          {"erase_area_min", erase_area_min},
          {"erase_area_max", erase_area_max},
          {"erase_ratio_min", erase_ratio_min},
          {"erase_ratio_max", erase_ratio_max},
          {"erase_value", erase_value},
          {"noise_std", noise_std}};
}

void ImageAugmentConfig::validate() const {
  require_config(height >= 1, "augment.height", height, ">= 1");
  require_config(width >= 1, "augment.width", width, ">= 1");
  require_config(crop_probability >= 0 && crop_probability <= 1, "augment.crop_probability", crop_probability,
                 "in [0, 1]");
  require_config(crop_scale_min > 0 && crop_scale_min <= crop_scale_max && crop_scale_max <= 1,
                 "augment.crop_scale_min", crop_scale_min, "0 < crop_scale_min <= crop_scale_max <= 1");
  require_config(crop_ratio_min > 0 && crop_ratio_min <= crop_ratio_max, "augment.crop_ratio_min",
                 crop_ratio_min, "0 < crop_ratio_min <= crop_ratio_max");
  require_config(max_translation_px >= 0 && max_translation_px < std::min(height, width),
                 "augment.max_translation_px", max_translation_px, "in [0, min(height, width))");
  require_config(erase_probability >= 0 && erase_probability <= 1, "augment.erase_probability",
                 erase_probability, "in [0, 1]");
  require_config(erase_area_min > 0 && erase_area_min <= erase_area_max && erase_area_max <= 1,
                 "augment.erase_area_min", erase_area_min, "0 < erase_area_min <= erase_area_max <= 1");
  require_config(erase_ratio_min > 0 && erase_ratio_min <= erase_ratio_max, "augment.erase_ratio_min",
                 erase_ratio_min, "0 < erase_ratio_min <= erase_ratio_max");
  require_config(noise_std >= 0, "augment.noise_std", noise_std, ">= 0");
}

ImageAugmenter::ImageAugmenter(ImageAugmentConfig config) : config_(config) {
  config_.validate();
}

void ImageAugmenter::apply(const Matrix& in, Matrix& out, pib::Rng& rng) const {
  const int H = config_.height, W = config_.width;
  PIB_EXPECTS(in.cols() == static_cast<Eigen::Index>(H) * W, "images of ", in.cols(), " pixels, configured ",
              H, " x ", W);
  PIB_EXPECTS(&in != &out, "apply(in, out) must not alias");
  out.resize(in.rows(), in.cols());
  std::vector<double> work(static_cast<std::size_t>(H) * W);
  for (Eigen::Index r = 0; r < in.rows(); ++r) {
    const double* src = in.row(r).data();
    double* dst = out.row(r).data();
    std::copy(src, src + work.size(), work.begin());
    if (config_.crop_probability > 0 && rng.uniform() < config_.crop_probability) {
      const Box b = random_box(H, W, config_.crop_scale_min, config_.crop_scale_max, config_.crop_ratio_min,
                               config_.crop_ratio_max, rng, 10);
      if (b.h > 0) resize_box(src, work.data(), H, W, b);
    }
    if (config_.max_translation_px > 0) {
      const int m = config_.max_translation_px;
      const int dy = static_cast<int>(rng.below(static_cast<std::uint64_t>(2 * m + 1))) - m;
      const int dx = static_cast<int>(rng.below(static_cast<std::uint64_t>(2 * m + 1))) - m;
      for (int y = 0; y < H; ++y)
        for (int x = 0; x < W; ++x) {
          const int sy = y - dy, sx = x - dx;
          dst[y * W + x] =
              (sy >= 0 && sy < H && sx >= 0 && sx < W) ? work[static_cast<std::size_t>(sy * W + sx)] : 0.0;
        }
    } else {
      std::copy(work.begin(), work.end(), dst);
    }
    if (config_.erase_probability > 0 && rng.uniform() < config_.erase_probability) {
      const Box b = random_box(H, W, config_.erase_area_min, config_.erase_area_max, config_.erase_ratio_min,
                               config_.erase_ratio_max, rng, 10);
      for (int y = b.top; b.h > 0 && y < b.top + b.h; ++y)
        for (int x = b.left; x < b.left + b.w; ++x)
          dst[y * W + x] = config_.erase_value;
    }
    if (config_.noise_std > 0)
      for (std::size_t i = 0; i < work.size(); ++i)
        dst[i] += config_.noise_std * rng.normal();
  }
}

Mnist1dAugmentConfig Mnist1dAugmentConfig::from_json(const nlohmann::json& json, const std::string& path) {
  Mnist1dAugmentConfig c;
  ConfigReader r(json, path);
  r.get("remove_mean", c.remove_mean);
  r.get("remove_trend", c.remove_trend);
  r.get("max_shift", c.max_shift);
  r.get("slope_std", c.slope_std);
  r.get("offset_std", c.offset_std);
  r.finish();
  c.validate();
  return c;
}

nlohmann::json Mnist1dAugmentConfig::to_json() const {
  return {{"remove_mean", remove_mean},
          {"remove_trend", remove_trend},
          {"max_shift", max_shift},
          {"slope_std", slope_std},
          {"offset_std", offset_std}};
}

void Mnist1dAugmentConfig::validate() const {
  require_config(max_shift >= 0, "augment.max_shift", max_shift, ">= 0");
  require_config(slope_std >= 0, "augment.slope_std", slope_std, ">= 0");
  require_config(offset_std >= 0, "augment.offset_std", offset_std, ">= 0");
}

Mnist1dAugmenter::Mnist1dAugmenter(Mnist1dAugmentConfig config) : config_(config) {
  config_.validate();
}

void Mnist1dAugmenter::apply(const Matrix& in, Matrix& out, pib::Rng& rng) const {
  PIB_EXPECTS(&in != &out, "apply(in, out) must not alias");
  PIB_EXPECTS(in.cols() >= 2, "MNIST-1D samples of ", in.cols(), " positions");
  const Eigen::Index n = in.cols();
  out.resize(in.rows(), n);
  Eigen::RowVectorXd t(n);
  for (Eigen::Index i = 0; i < n; ++i)
    t(i) = static_cast<double>(i) - (static_cast<double>(n) - 1.0) / 2.0;
  const double tt = t.squaredNorm();
  Eigen::RowVectorXd x(n);
  for (Eigen::Index r = 0; r < in.rows(); ++r) {
    x = in.row(r);
    if (config_.remove_mean) x.array() -= x.mean();
    if (config_.remove_trend) x -= (in.row(r).dot(t) / tt) * t;  // sum(t) = 0: the slope ignores the mean
    const Eigen::Index shift =
        config_.max_shift > 0
            ? static_cast<Eigen::Index>(rng.below(static_cast<std::uint64_t>(config_.max_shift)))
            : 0;
    for (Eigen::Index i = 0; i < n; ++i)
      out(r, (i + shift) % n) = x(i);
    const double slope = config_.slope_std * rng.normal();
    const double offset = config_.offset_std * rng.normal();
    out.row(r) += slope * t;
    out.row(r).array() += offset;
  }
}

}  // namespace pib::data
