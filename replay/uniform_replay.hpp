#pragma once
// Uniform experience replay (DESIGN.md 4.2): a fixed-capacity ring of transitions sampled uniformly.
//
// Contract:
// * Construction fixes capacity and obs_dim (both > 0, else pib::InvalidArgument).
// * push() stores one transition, overwriting the oldest once full; it throws pib::InvalidArgument naming
//   the problem (obs/next_obs size != obs_dim, a NaN or infinite value, action < 0, discount outside
//   [0, 1]) and then leaves the buffer unchanged. `discount` is the bootstrap multiplier stored with the
//   transition: for an n-step transition whose reward is sum_{j<k} gamma^j r_j, pass gamma^k (k <= n steps
//   actually taken); it defaults to 1.0, which is right only if the learner multiplies by gamma itself.
//   The TD target is then y = reward + discount * (1 - terminated) * max_a Q(next_obs, a).
// * sample(batch, rng, out) draws `batch` slots independently and uniformly, with replacement, from the
//   size() stored transitions using only `rng`, and fills `out` (weights all 1). It throws pib::StateError
//   when batch > size() (which includes sampling an empty buffer) and pib::InvalidArgument when batch == 0.
//   When out already has shape (batch, obs_dim) it allocates nothing.
// * save(path) writes a versioned binary file atomically (temporary file in the same directory, flush,
//   fsync, rename); load(path) throws pib::FileError naming the file when it is missing, truncated, corrupt,
//   foreign, of another format version, or holds a prioritized buffer. The stream overloads do the same on
//   an open binary stream (for embedding in a checkpoint), naming `source` in errors.
// * Not thread-safe: one thread uses a buffer at a time (the actor hands transitions over through a
//   TransitionQueue).

#include <cstddef>
#include <filesystem>
#include <istream>
#include <ostream>
#include <span>
#include <string>

#include "common/random.hpp"
#include "replay/batch.hpp"
#include "replay/columns.hpp"
#include "replay/transition.hpp"

namespace pib::replay {

class UniformReplay {
 public:
  UniformReplay(std::size_t capacity, std::size_t obs_dim);

  std::size_t push(std::span<const float> obs, int action, double reward, std::span<const float> next_obs,
                   bool terminated, bool truncated, double discount = 1.0) {
    return columns_.push(obs, action, reward, next_obs, terminated, truncated, discount);
  }
  template <std::size_t MaxObsDim>
  std::size_t push(const BasicTransition<MaxObsDim>& t) {
    return push(t.obs_view(), t.action, t.reward, t.next_obs_view(), t.terminated, t.truncated, t.discount);
  }

  void sample(std::size_t batch, Rng& rng, Batch& out) const;

  std::size_t size() const { return columns_.size(); }
  std::size_t capacity() const { return columns_.capacity(); }
  std::size_t obs_dim() const { return columns_.obs_dim(); }
  bool empty() const { return size() == 0; }
  const TransitionColumns& columns() const { return columns_; }

  void save(const std::filesystem::path& path) const;
  void save(std::ostream& out, const std::string& source = "replay stream") const;
  static UniformReplay load(const std::filesystem::path& path);
  static UniformReplay load(std::istream& in, const std::string& source = "replay stream");

 private:
  explicit UniformReplay(TransitionColumns columns) : columns_(std::move(columns)) {}

  TransitionColumns columns_;
};

}  // namespace pib::replay
