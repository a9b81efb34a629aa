#pragma once
// NumpyRandomState: numpy's legacy `numpy.random.RandomState` algorithms on MT19937, reproduced bit for bit
// so that MNIST-1D (greydanus/mnist1d, generated with RandomState(42)) can be regenerated natively.
//
// Only what the reference uses is implemented, each with the numpy routine it reproduces (numpy 1.x
// `mtrand.pyx` / `distributions.c` / `legacy-distributions.c`):
//   * seeding: RandomState(seed) = MT19937 init_genrand(seed) = std::mt19937(seed);
//   * random_sample / rand: 53-bit double from two 32-bit draws, (a >> 5) * 2^26 + (b >> 6), over 2^53;
//   * standard_normal / randn: legacy polar method; each accepted pair returns f * x2 and caches f * x1;
//   * randint(low, high) and choice(n): bounded integers by masked rejection on 32-bit draws;
//   * permutation(n): arange(n) shuffled Fisher-Yates from the top, j = interval(i) for i = n-1 .. 1.
// pib's own randomness uses pib::Rng; this type exists for reference compatibility only.

#include <cstdint>
#include <random>
#include <vector>

namespace pib::data {

class NumpyRandomState {
 public:
  explicit NumpyRandomState(std::uint32_t seed) : mt_(seed) {}

  // One raw 32-bit MT19937 output (numpy's next_uint32).
  std::uint32_t next_uint32() { return static_cast<std::uint32_t>(mt_()); }

  // Uniform double in [0, 1) (RandomState.random_sample / rand).
  double random_sample();
  // Uniform double in [low, high) (RandomState.uniform: low + (high - low) * random_sample()).
  double uniform(double low, double high) { return low + (high - low) * random_sample(); }
  // Standard normal (RandomState.standard_normal / randn), legacy polar method with the cached value.
  double standard_normal();
  // Normal with mean `loc` and standard deviation `scale` (RandomState.normal: loc + scale * gauss).
  double normal(double loc, double scale) { return loc + scale * standard_normal(); }
  // Uniform integer in [0, max] by masked rejection (numpy's random_interval / bounded masked uint32).
  std::uint64_t interval(std::uint64_t max);
  // Uniform integer in [low, high) (RandomState.randint(low, high)); precondition low < high.
  std::int64_t randint(std::int64_t low, std::int64_t high);
  // A permutation of 0 .. n-1 (RandomState.permutation(n)).
  std::vector<std::int64_t> permutation(std::size_t n);

 private:
  std::mt19937 mt_;
  bool has_gauss_ = false;
  double gauss_ = 0.0;
};

}  // namespace pib::data
