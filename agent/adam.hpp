#pragma once
// The agent's optimiser state (pib::AdamState, shared with the trainers) and its schedules.

#include <cstdint>

#include "common/adam.hpp"

namespace pib::agent {

using Adam = AdamState;

// Linear interpolation from `start` to `end` over `steps` (constant `end` afterwards).
inline double linear_schedule(double start, double end, std::int64_t steps, std::int64_t t) {
  if (steps <= 0 || t >= steps) return end;
  return start + (end - start) * static_cast<double>(t) / static_cast<double>(steps);
}

}  // namespace pib::agent
