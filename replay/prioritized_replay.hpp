#pragma once
// Proportional prioritised experience replay (Schaul et al. 2016, "Prioritized Experience Replay", section
// 3.3 and Algorithm 1) over the same column storage as UniformReplay.
//
// Contract (everything UniformReplay's header says about push, errors, save/load and threads holds here):
// * Slot i is sampled with probability P(i) = p_i^alpha / sum_j p_j^alpha over the size() stored slots.
//   A new transition gets priority max_priority(): the largest priority ever given to update_priorities()
//   (1.0 before the first update), as in the paper.
// * sample() is stratified: the total mass is cut into `batch` equal segments and one slot is drawn from
//   each (paper, appendix B.2.1). Each draw's marginal over the whole batch is exactly P(i); draws are not
//   independent (a slot holding more than 1/batch of the mass appears in several segments).
// * Importance weights: w_i = (N P(i))^-beta / max_j (N P(j))^-beta with N = size() and the max over every
//   stored slot, i.e. w_i = (min_j p_j^alpha / p_i^alpha)^beta, in (0, 1] (as OpenAI baselines'
//   PrioritizedReplayBuffer normalises). out.weights holds them.
// * update_priorities(indices, priorities) sets p_i for the slots sampled (out.indices); every priority must
//   be finite and > 0 (add a small epsilon to |TD error| yourself) and every index < size(), otherwise
//   pib::InvalidArgument and nothing changes. A slot overwritten by push() since it was sampled gets the
//   priority meant for its previous transition (the usual, harmless, behaviour of PER implementations).
// * alpha >= 0 is fixed at construction; beta in [0, 1] may be annealed with set_beta().

#include <cstddef>
#include <filesystem>
#include <istream>
#include <ostream>
#include <span>
#include <string>

#include "common/random.hpp"
#include "replay/batch.hpp"
#include "replay/columns.hpp"
#include "replay/sum_tree.hpp"
#include "replay/transition.hpp"

namespace pib::replay {

struct PrioritizedParams {
  double alpha = 0.6;  // priority exponent; 0 gives uniform sampling
  double beta = 0.4;   // importance-weight exponent; 1 fully corrects the sampling bias
  // Throws pib::InvalidArgument naming the parameter if alpha < 0, beta outside [0, 1], or either is NaN.
  void validate() const;
};

class PrioritizedReplay {
 public:
  PrioritizedReplay(std::size_t capacity, std::size_t obs_dim, PrioritizedParams params = {});

  std::size_t push(std::span<const float> obs, int action, double reward, std::span<const float> next_obs,
                   bool terminated, bool truncated, double discount = 1.0);
  template <std::size_t MaxObsDim>
  std::size_t push(const BasicTransition<MaxObsDim>& t) {
    return push(t.obs_view(), t.action, t.reward, t.next_obs_view(), t.terminated, t.truncated, t.discount);
  }

  void sample(std::size_t batch, Rng& rng, Batch& out) const;

  void update_priorities(std::span<const std::size_t> indices, std::span<const double> priorities);

  std::size_t size() const { return columns_.size(); }
  std::size_t capacity() const { return columns_.capacity(); }
  std::size_t obs_dim() const { return columns_.obs_dim(); }
  bool empty() const { return size() == 0; }
  const TransitionColumns& columns() const { return columns_; }

  const PrioritizedParams& params() const { return params_; }
  void set_beta(double beta);
  double max_priority() const { return max_priority_; }
  // P(slot) = p_slot^alpha / sum_j p_j^alpha (slot < size()).
  double probability(std::size_t slot) const;
  const SumTree& tree() const { return tree_; }

  void save(const std::filesystem::path& path) const;
  void save(std::ostream& out, const std::string& source = "replay stream") const;
  static PrioritizedReplay load(const std::filesystem::path& path);
  static PrioritizedReplay load(std::istream& in, const std::string& source = "replay stream");

 private:
  PrioritizedReplay(TransitionColumns columns, PrioritizedParams params);

  TransitionColumns columns_;
  PrioritizedParams params_;
  SumTree tree_;               // leaf i = p_i^alpha, 0 for empty slots
  double max_priority_ = 1.0;  // largest p ever set, given to new transitions
};

}  // namespace pib::replay
