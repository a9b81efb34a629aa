#pragma once
// Helpers shared by the replay tests.

#include <array>
#include <cstddef>

#include "tests/temp_dir.hpp"

namespace pib::replay::test {

// obs = {i, -i, 0.5 i, 1}, next_obs = obs + 1, so every field tells which push it came from.
inline std::array<float, 4> obs_of(int i) {
  const auto f = static_cast<float>(i);
  return {f, -f, 0.5f * f, 1.0f};
}
inline std::array<float, 4> next_obs_of(int i) {
  auto o = obs_of(i);
  for (auto& v : o)
    v += 1.0f;
  return o;
}

// Pushes transition number i (action i % 3, reward i, terminated every 7th, truncated every 11th,
// discount 0.99^(i % 3)) into any buffer with the push() signature.
template <typename Buffer>
std::size_t push_numbered(Buffer& buffer, int i) {
  const auto o = obs_of(i);
  const auto n = next_obs_of(i);
  double discount = 1.0;
  for (int k = 0; k < i % 3; ++k)
    discount *= 0.99;
  return buffer.push(o, i % 3, static_cast<double>(i), n, i % 7 == 0, i % 11 == 0, discount);
}

using ::pib::test::TempDir;

}  // namespace pib::replay::test
