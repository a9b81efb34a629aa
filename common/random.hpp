#pragma once
// The random number generator every random thing in pib takes by reference (no global RNG anywhere).
//
// Rng is xoshiro256++ (Blackman & Vigna, 2019) seeded through splitmix64: fast, 256 bits of state, a plain
// value type that can be copied, compared, saved and restored (checkpoints store `state()`). It satisfies
// std::uniform_random_bit_generator, but prefer the member helpers below: std::*_distribution results differ
// between standard libraries, these are the same everywhere.
//
// Streams are derived, never added: every random stream of a run comes from `derive_seed(seed, stream,
// index)` (or `Rng::derive`), a SplitMix64 hash chain over the three, so the stream of one purpose can never
// coincide with another's (unit 0's programming noise is not episode 1's reset, seed 1's unit 0 is not seed
// 0's unit 1000). Nothing in pib adds to or multiplies a seed; a new purpose is a new Stream enumerator.

#include <array>
#include <cmath>
#include <cstdint>
#include <limits>

namespace pib {

// What a random stream is for. The numeric values are part of the results (they feed the hash): append new
// enumerators at the end, never reorder.
enum class Stream : std::uint64_t {
  // Units: what a unit's seed fixes.
  unit = 1,      // a unit's own seed within a network (index: the unit's position)
  unit_physics,  // transmission matrix, chip defects
  unit_init,     // initial trainable parameters
  unit_drift,    // optical medium drift
  head,          // a local head's initial parameters (index: the unit's position)
  // Devices at run time.
  deploy,         // programming noise of a unit's online device (index: unit)
  target_deploy,  // programming noise of a unit's target device (index: unit)
  measure,        // read / camera noise of measurements (index: which measurement stream)
  calibration,    // calibration passes
  fault,          // random fault choices (index: the fault's position)
  // RL.
  episode,              // an episode's environment reset seed (index: episode number)
  calibration_episode,  // reset seed of the calibration episodes
  actor,                // exploration and acting noise
  replay,               // replay sampling
  evaluation,           // greedy evaluation's measurement noise
  evaluation_episode,   // a greedy evaluation episode's reset seed (index: episode number)
  // Supervised and self-supervised training.
  split,        // data splits and subsets
  shuffle,      // minibatch order
  augment,      // augmentations
  probe,        // probes and readouts
  backprop,     // the backprop baseline
  device,       // devices built for a baseline or a comparison (index: unit)
  policy,       // a random policy (pib env random)
  solve_check,  // the greedy check before a solved run stops (index: the step it runs at)
  // A decentralised run (index: the rank).
  rank_init,        // the initialisation pass of a rank's unit
  rank_training,    // a rank's training of its unit
  rank_evaluation,  // a rank's part of the final measurement and its readout
  // Distributed RL (index: the actor, 0-based; Stream::actor index a + 1 is actor a's exploration).
  actor_envs,    // the reset seed of an actor's vector of environments
  actor_deploy,  // the programming noise of an actor's device clones
  // RL, appended (earlier values keep their numbers).
  recalibration,  // the learner's k-th recalibration: its replay sample and its passes (index: k)
  // The PIB objectives, appended.
  features,  // the random features of the feature-space estimator (bottleneck/features.hpp; index: the set)
  // Supervised training, appended.
  generalisation,    // generalisation tests: 0 the data subset, 1 test-time input noise, 2 its measurements
  measured_forward,  // dfa and pat (train/measured_forward.hpp): 0 feedback matrices, 1 training; 2 phyll
};

// A SplitMix64 finaliser (Steele, Lea & Flood 2014; the constants of Vigna's splitmix64.c).
constexpr std::uint64_t splitmix64(std::uint64_t z) {
  z += 0x9E3779B97F4A7C15ULL;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

// The seed of stream `stream`, number `index`, of a run seeded `seed`: a hash chain in the style of
// numpy's SeedSequence, so distinct (seed, stream, index) triples give unrelated seeds.
constexpr std::uint64_t derive_seed(std::uint64_t seed, Stream stream, std::uint64_t index = 0) {
  std::uint64_t h = splitmix64(seed ^ 0x6A09E667F3BCC908ULL);
  h = splitmix64(h ^ splitmix64(static_cast<std::uint64_t>(stream) + 0xBB67AE8584CAA73BULL));
  h = splitmix64(h ^ splitmix64(index + 0x3C6EF372FE94F82BULL));
  return h;
}

class Rng {
 public:
  using result_type = std::uint64_t;

  explicit Rng(std::uint64_t seed = 0) { reseed(seed); }

  // The generator of stream `stream`, number `index`, of a run seeded `seed` (see derive_seed).
  static Rng derive(std::uint64_t seed, Stream stream, std::uint64_t index = 0) {
    return Rng(derive_seed(seed, stream, index));
  }

  void reseed(std::uint64_t seed) {
    for (auto& word : s_) {  // consecutive splitmix64 outputs
      word = splitmix64(seed);
      seed += 0x9E3779B97F4A7C15ULL;
    }
    has_spare_ = false;
  }

  static constexpr result_type min() { return 0; }
  static constexpr result_type max() { return std::numeric_limits<result_type>::max(); }

  result_type operator()() {
    const std::uint64_t result = rotl(s_[0] + s_[3], 23) + s_[0];
    const std::uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
  }

  // Uniform double in [0, 1) with 53 random bits.
  double uniform() { return static_cast<double>((*this)() >> 11) * 0x1.0p-53; }
  // Uniform double in [lo, hi).
  double uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }
  // Uniform integer in [0, n), n > 0, without modulo bias (Lemire's multiply-shift with rejection).
  std::uint64_t below(std::uint64_t n) {
    std::uint64_t x = (*this)();
    __uint128_t m = static_cast<__uint128_t>(x) * n;
    auto low = static_cast<std::uint64_t>(m);
    if (low < n) {
      const std::uint64_t threshold = (0 - n) % n;
      while (low < threshold) {
        x = (*this)();
        m = static_cast<__uint128_t>(x) * n;
        low = static_cast<std::uint64_t>(m);
      }
    }
    return static_cast<std::uint64_t>(m >> 64);
  }
  // Standard normal (Marsaglia's polar method; the second value of each pair is kept for the next call).
  double normal() {
    if (has_spare_) {
      has_spare_ = false;
      return spare_;
    }
    double u, v, s;
    do {
      u = 2.0 * uniform() - 1.0;
      v = 2.0 * uniform() - 1.0;
      s = u * u + v * v;
    } while (s >= 1.0 || s == 0.0);
    const double f = std::sqrt(-2.0 * std::log(s) / s);
    spare_ = v * f;
    has_spare_ = true;
    return u * f;
  }
  double normal(double mean, double stddev) { return mean + stddev * normal(); }

  // The complete state, for checkpoints: four words, the cached normal and whether it is valid.
  struct State {
    std::array<std::uint64_t, 4> words;
    double spare;
    bool has_spare;
    friend bool operator==(const State&, const State&) = default;
  };
  State state() const { return {s_, spare_, has_spare_}; }
  void set_state(const State& st) {
    s_ = st.words;
    spare_ = st.spare;
    has_spare_ = st.has_spare;
  }

  friend bool operator==(const Rng& a, const Rng& b) { return a.state() == b.state(); }

 private:
  static std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

  std::array<std::uint64_t, 4> s_{};
  double spare_ = 0.0;
  bool has_spare_ = false;
};

}  // namespace pib
