#pragma once
// Random inputs and parameter vectors shared by the units tests.

#include "common/random.hpp"
#include "units/unit.hpp"

namespace pib::units::testing {

// Entries uniform in [lo, hi).
inline Matrix uniform_matrix(Eigen::Index rows, Eigen::Index cols, Rng& rng, double lo = -1.0,
                             double hi = 1.0) {
  Matrix m(rows, cols);
  for (Eigen::Index k = 0; k < m.size(); ++k)
    m.data()[k] = rng.uniform(lo, hi);
  return m;
}

inline Matrix normal_matrix(Eigen::Index rows, Eigen::Index cols, Rng& rng) {
  Matrix m(rows, cols);
  for (Eigen::Index k = 0; k < m.size(); ++k)
    m.data()[k] = rng.normal();
  return m;
}

// A parameter vector uniform in [-1, 1).
inline Vector uniform_parameters(Eigen::Index count, Rng& rng) {
  Vector p(count);
  for (Eigen::Index k = 0; k < count; ++k)
    p[k] = rng.uniform(-1.0, 1.0);
  return p;
}

}  // namespace pib::units::testing
