#pragma once
// A sampled minibatch of transitions, owned by the caller and filled by a replay buffer's sample().
//
// Row k of every member is the k-th sampled transition (row-major, one sample per row, DESIGN.md 1).
// Observations are stored as float in the buffer and converted to double here. resize() keeps the storage
// when the shape repeats, so sampling the same batch size again into the same Batch allocates nothing.

#include <cstddef>
#include <vector>

#include <Eigen/Core>

namespace pib::replay {

struct Batch {
  using Matrix = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

  Matrix obs;                        // batch x obs_dim
  Matrix next_obs;                   // batch x obs_dim
  Eigen::VectorXi actions;           // batch
  Eigen::VectorXd rewards;           // batch; the (n-step discounted) reward as pushed
  Eigen::VectorXd discounts;         // batch; the bootstrap multiplier as pushed (gamma^k for k-step)
  Eigen::VectorXd terminated;        // batch; exactly 0.0 or 1.0
  Eigen::VectorXd truncated;         // batch; exactly 0.0 or 1.0
  Eigen::VectorXd weights;           // batch; importance weights in (0, 1]; all 1 for uniform replay
  std::vector<std::size_t> indices;  // batch; storage slots in [0, capacity), for update_priorities()

  Batch() = default;
  Batch(std::size_t batch_size, std::size_t obs_dim) { resize(batch_size, obs_dim); }

  std::size_t size() const { return indices.size(); }

  // Sets the shape; a no-op (no allocation) when the shape is unchanged.
  void resize(std::size_t batch_size, std::size_t obs_dim) {
    const auto n = static_cast<Eigen::Index>(batch_size);
    const auto d = static_cast<Eigen::Index>(obs_dim);
    obs.resize(n, d);
    next_obs.resize(n, d);
    actions.resize(n);
    rewards.resize(n);
    discounts.resize(n);
    terminated.resize(n);
    truncated.resize(n);
    weights.resize(n);
    indices.resize(batch_size);
  }
};

}  // namespace pib::replay
