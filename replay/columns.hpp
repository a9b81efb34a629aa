#pragma once
// The column storage shared by UniformReplay and PrioritizedReplay: a fixed-capacity ring of transitions
// kept as contiguous columns (obs, action, reward, discount, next_obs, terminated, truncated).
//
// Contract:
// * capacity and obs_dim are fixed at construction (both > 0). obs and next_obs are row-major float arrays
//   of capacity x obs_dim; the other columns have one entry per slot.
// * push() validates its input (shapes, finite values, action >= 0, discount in [0, 1]) and throws
//   pib::InvalidArgument naming what was wrong, leaving the storage unchanged. Otherwise it writes the slot
//   next_slot(), advances it (wrapping to 0 after capacity - 1, overwriting the oldest transition) and
//   returns the slot written. Slots [0, size()) hold transitions.
// * gather() copies the rows whose slots are listed in out.indices into out (no allocation; out must
//   already have the right shape).

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "replay/batch.hpp"

namespace pib::replay {

namespace detail {
class BinaryWriter;
class BinaryReader;
}  // namespace detail

class TransitionColumns {
 public:
  TransitionColumns(std::size_t capacity, std::size_t obs_dim);

  std::size_t capacity() const { return capacity_; }
  std::size_t obs_dim() const { return obs_dim_; }
  std::size_t size() const { return size_; }
  bool full() const { return size_ == capacity_; }
  // The slot the next push() writes (the oldest transition once full).
  std::size_t next_slot() const { return next_; }

  // Validates and stores one transition; returns its slot. See the contract above.
  std::size_t push(std::span<const float> obs, int action, double reward, std::span<const float> next_obs,
                   bool terminated, bool truncated, double discount = 1.0);

  // Copies the slots listed in out.indices into the other members of out, row by row.
  // Precondition: out has been resized to (out.indices.size(), obs_dim()) and every index < size().
  void gather(Batch& out) const;

  // Read access to one slot (slot < size()).
  std::span<const float> obs(std::size_t slot) const { return {&obs_[slot * obs_dim_], obs_dim_}; }
  std::span<const float> next_obs(std::size_t slot) const { return {&next_obs_[slot * obs_dim_], obs_dim_}; }
  int action(std::size_t slot) const { return actions_[slot]; }
  double reward(std::size_t slot) const { return rewards_[slot]; }
  double discount(std::size_t slot) const { return discounts_[slot]; }
  bool terminated(std::size_t slot) const { return terminated_[slot] != 0; }
  bool truncated(std::size_t slot) const { return truncated_[slot] != 0; }

  // Binary (de)serialisation of the filled slots and the ring position; used by the buffers' save/load.
  void write(detail::BinaryWriter& out) const;
  static TransitionColumns read(detail::BinaryReader& in);

 private:
  std::size_t capacity_;
  std::size_t obs_dim_;
  std::size_t size_ = 0;
  std::size_t next_ = 0;
  std::vector<float> obs_;
  std::vector<float> next_obs_;
  std::vector<std::int32_t> actions_;
  std::vector<double> rewards_;
  std::vector<double> discounts_;
  std::vector<std::uint8_t> terminated_;
  std::vector<std::uint8_t> truncated_;
};

}  // namespace pib::replay
