#include "bottleneck/simd.hpp"

#include <atomic>

namespace pib::bottleneck::detail {

namespace {
bool cpu_has_avx2() {
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#else
  return false;
#endif
}

// The process-wide switch (tests turn it off to check the portable path); read on every kernel call.
std::atomic<bool>& simd_switch() {
  static std::atomic<bool> on{cpu_has_avx2()};
  return on;
}
}  // namespace

bool simd_enabled() {
  return simd_switch().load(std::memory_order_relaxed);
}

void set_simd_enabled(bool on) {
  simd_switch().store(on && cpu_has_avx2(), std::memory_order_relaxed);
}

}  // namespace pib::bottleneck::detail
