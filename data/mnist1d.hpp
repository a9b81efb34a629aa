#pragma once
// MNIST-1D generated natively, reproducing greydanus/mnist1d (`mnist1d/data.py`, `mnist1d/transform.py`)
// with its default arguments and seed 42 to floating-point precision (DESIGN.md 5).
//
// The reference draws from numpy's legacy RandomState (reproduced by NumpyRandomState) and uses numpy and
// scipy numerics, which are reproduced operation by operation: np.interp (scipy's interp1d 'linear' on 1-D
// float data delegates to it), scipy.ndimage.gaussian_filter (sigma 2, truncate 4, mode 'reflect', the
// symmetric correlate1d loop), np.linspace, and numpy's pairwise summation for means and standard
// deviations (blocks of 8,192 elements, each summed pairwise with an 8-way unrolled leaf of up to 128).
// Compile without FMA contraction (data/CMakeLists.txt sets -ffp-contract=off).

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "data/dataset.hpp"

namespace pib::data {

// Generation parameters; the defaults are the reference's get_dataset_args() and the JSON keys its names.
struct Mnist1dConfig {
  int num_samples = 5000;    // generated class by class, num_samples / 10 per class
  double train_split = 0.8;  // the first int(num_samples * train_split) samples (after the shuffle) train
  int padding_min = 36;      // zeros appended to the 12-point template: uniform in [min, max]
  int padding_max = 60;      //   (reference key "padding": [36, 60])
  double scale_coeff = 0.4;  // amplitude scale 1 + scale_coeff * (U - 0.5)
  int max_translation = 48;  // circular shift right by randint(max_translation)
  double corr_noise_scale = 0.25;  // Gaussian-filtered noise (sigma 2) replacing exact zeros
  double iid_noise_scale = 0.02;   // white noise added everywhere
  double shear_scale = 0.75;       // subtracts shear_scale * (U - 0.5) * linspace(-0.5, 0.5)
  bool shuffle_seq = false;        // also permute the positions (the reference's "shuffled" variant)
  int final_seq_length = 40;       // length of each sample
  std::uint32_t seed = 42;         // RandomState seed

  // Reads the keys above (padding as [min, max]); unknown keys are a ConfigError. Then validate()s.
  static Mnist1dConfig from_json(const nlohmann::json& json, const std::string& path = "mnist1d");
  nlohmann::json to_json() const;
  // Throws ConfigError naming the key for out-of-range values.
  void validate() const;
};

// The generated samples in the reference's order (after its permutation): rows [0, train_count) are the
// train split, the rest the test split. `features` are globally standardised as the reference does it.
struct Mnist1dSamples {
  Matrix features;  // num_samples x final_seq_length
  std::vector<int> labels;
  std::size_t train_count = 0;
  double raw_mean = 0.0;  // mean and std of all samples before the standardisation
  double raw_stddev = 0.0;
};

Mnist1dSamples generate_mnist1d_samples(const Mnist1dConfig& config = {});

// The same as a Dataset (name "mnist1d", shape {final_seq_length}, class names "0" .. "9").
Dataset make_mnist1d(const Mnist1dConfig& config = {});

// The ten 12-point templates after the reference's whitening (row = digit), exposed for tests and plots.
Matrix mnist1d_templates();

namespace numpy_compat {
// numpy's np.sum of a contiguous float64 array (blocks of 8,192, pairwise within each block).
double sum(const double* data, std::size_t n);
// scipy.ndimage.gaussian_filter1d kernel (sigma, truncate 4.0): 2 * int(4 sigma + 0.5) + 1 weights.
std::vector<double> gaussian_kernel(double sigma);
// scipy.ndimage.gaussian_filter on a 1-D signal, mode 'reflect'.
std::vector<double> gaussian_filter(const std::vector<double>& x, double sigma);
// np.interp(np.linspace(0, 1, n), np.linspace(0, 1, len(y)), y).
std::vector<double> interpolate(const std::vector<double>& y, std::size_t n);
// np.linspace(start, stop, n).
std::vector<double> linspace(double start, double stop, std::size_t n);
}  // namespace numpy_compat

}  // namespace pib::data
