#include "data/numpy_random.hpp"

#include <cmath>
#include <numeric>

#include "common/error.hpp"

namespace pib::data {

double NumpyRandomState::random_sample() {
  // numpy mt19937_next_double.
  const std::int32_t a = static_cast<std::int32_t>(next_uint32() >> 5);
  const std::int32_t b = static_cast<std::int32_t>(next_uint32() >> 6);
  return (a * 67108864.0 + b) / 9007199254740992.0;
}

double NumpyRandomState::standard_normal() {
  // numpy legacy_gauss.
  if (has_gauss_) {
    has_gauss_ = false;
    const double cached = gauss_;
    gauss_ = 0.0;
    return cached;
  }
  double x1, x2, r2;
  do {
    x1 = 2.0 * random_sample() - 1.0;
    x2 = 2.0 * random_sample() - 1.0;
    r2 = x1 * x1 + x2 * x2;
  } while (r2 >= 1.0 || r2 == 0.0);
  const double f = std::sqrt(-2.0 * std::log(r2) / r2);
  gauss_ = f * x1;
  has_gauss_ = true;
  return f * x2;
}

std::uint64_t NumpyRandomState::interval(std::uint64_t max) {
  // numpy random_interval: smallest all-ones mask >= max, then reject draws above max.
  if (max == 0) return 0;
  std::uint64_t mask = max;
  mask |= mask >> 1;
  mask |= mask >> 2;
  mask |= mask >> 4;
  mask |= mask >> 8;
  mask |= mask >> 16;
  mask |= mask >> 32;
  std::uint64_t value;
  if (max <= 0xFFFFFFFFULL) {
    while ((value = (next_uint32() & mask)) > max) {
    }
  } else {
    // numpy's next_uint64 on MT19937: two 32-bit draws, high word first.
    while ((value = (((static_cast<std::uint64_t>(next_uint32()) << 32) | next_uint32()) & mask)) > max) {
    }
  }
  return value;
}

std::int64_t NumpyRandomState::randint(std::int64_t low, std::int64_t high) {
  PIB_EXPECTS(low < high, "randint needs low < high, got [", low, ", ", high, ")");
  const auto range = static_cast<std::uint64_t>(high - low - 1);
  if (range == 0xFFFFFFFFULL) return low + static_cast<std::int64_t>(next_uint32());
  return low + static_cast<std::int64_t>(interval(range));
}

std::vector<std::int64_t> NumpyRandomState::permutation(std::size_t n) {
  std::vector<std::int64_t> out(n);
  std::iota(out.begin(), out.end(), std::int64_t{0});
  for (std::size_t i = n; i-- > 1;) {
    const auto j = static_cast<std::size_t>(interval(i));
    std::swap(out[i], out[j]);
  }
  return out;
}

}  // namespace pib::data
