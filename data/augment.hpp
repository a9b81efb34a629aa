#pragma once
// Augmentations for the self-supervised objective: two random views of the same batch (DESIGN.md 5).
//
// Each augmenter is a small value type built from a config struct (defaults below, JSON keys = field names);
// `apply` transforms every row of a batch independently with draws from the caller's pib::Rng, so the same
// seed gives the same views. `two_views` calls apply twice on the same input (view a first, then view b).

#include <string>

#include <nlohmann/json.hpp>

#include "common/random.hpp"
#include "data/dataset.hpp"

namespace pib::data {

// Image augmentations, applied in this order to each (height x width, row-major) image:
//   random resized crop  with probability crop_probability: a box of area fraction U[crop_scale_min,
//                        crop_scale_max] and aspect ratio log-uniform in [crop_ratio_min, crop_ratio_max]
//                        (10 tries, else the whole image), resized back bilinearly (pixel centres aligned);
//   translation          by integers dx, dy uniform in [-max_translation_px, max_translation_px], zero fill;
//   random erasing       with probability erase_probability: a box of area fraction U[erase_area_min,
//                        erase_area_max], aspect ratio log-uniform in [erase_ratio_min, erase_ratio_max],
//                        set to erase_value;
//   Gaussian noise       N(0, noise_std^2) added to every pixel.
// A probability, max_translation_px or noise_std of 0 switches that step off.
struct ImageAugmentConfig {
  int height = 28;
  int width = 28;
  double crop_probability = 0.5;
  double crop_scale_min = 0.6;
  double crop_scale_max = 1.0;
  double crop_ratio_min = 0.75;
  double crop_ratio_max = 4.0 / 3.0;
  int max_translation_px = 2;
  double erase_probability = 0.25;
  double erase_area_min = 0.02;
  double erase_area_max = 0.15;
  double erase_ratio_min = 0.3;
  double erase_ratio_max = 3.3;
  double erase_value = 0.0;
  double noise_std = 0.05;

  static ImageAugmentConfig from_json(const nlohmann::json& json, const std::string& path = "augment");
  nlohmann::json to_json() const;
  void validate() const;  // ConfigError naming the key
};

class ImageAugmenter {
 public:
  explicit ImageAugmenter(ImageAugmentConfig config);

  // out = augmented copy of `in` (rows = images of height * width pixels). `out` is resized if needed and
  // must not alias `in`.
  void apply(const Matrix& in, Matrix& out, pib::Rng& rng) const;
  void two_views(const Matrix& in, Matrix& view_a, Matrix& view_b, pib::Rng& rng) const {
    apply(in, view_a, rng);
    apply(in, view_b, rng);
  }
  const ImageAugmentConfig& config() const { return config_; }

 private:
  ImageAugmentConfig config_;
};

// MNIST-1D augmentations, after the reference's self-supervised notebook (greydanus/mnist1d,
// notebooks/self-supervised-learning.ipynb, `augment`): with t_i = i - (n - 1) / 2,
//   remove the sample's mean (remove_mean) and its least-squares slope along t (remove_trend);
//   roll right by an integer uniform in [0, max_shift) (the reference's randint(0, maxshift); 0 = off);
//   add slope * t + offset with slope ~ N(0, slope_std^2) per position and offset ~ N(0, offset_std^2).
struct Mnist1dAugmentConfig {
  bool remove_mean = true;
  bool remove_trend = true;
  int max_shift = 10;
  double slope_std = 0.04;
  double offset_std = 0.3;

  static Mnist1dAugmentConfig from_json(const nlohmann::json& json, const std::string& path = "augment");
  nlohmann::json to_json() const;
  void validate() const;
};

class Mnist1dAugmenter {
 public:
  explicit Mnist1dAugmenter(Mnist1dAugmentConfig config);

  void apply(const Matrix& in, Matrix& out, pib::Rng& rng) const;
  void two_views(const Matrix& in, Matrix& view_a, Matrix& view_b, pib::Rng& rng) const {
    apply(in, view_a, rng);
    apply(in, view_b, rng);
  }
  const Mnist1dAugmentConfig& config() const { return config_; }

 private:
  Mnist1dAugmentConfig config_;
};

}  // namespace pib::data
