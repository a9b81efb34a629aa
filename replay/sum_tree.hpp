#pragma once
// A binary sum tree over a fixed number of non-negative leaf values, for proportional prioritised sampling
// (Schaul et al. 2016, "Prioritized Experience Replay", appendix B.2.1).
//
// Contract:
// * leaves() values, all 0 at construction. set(i, v) with v >= 0 and finite costs O(log n); total() and
//   min_positive() are O(1); find(mass) is O(log n).
// * Every internal node is recomputed as left + right from its children (never updated by a delta), so the
//   tree is a pure function of its leaves: rebuilding it from saved leaves reproduces every sum bit for bit.
// * A parallel min tree gives the smallest positive leaf (zero leaves do not count; +inf when none), which
//   prioritised replay uses to normalise its importance weights.

#include <cstddef>
#include <span>
#include <vector>

namespace pib::replay {

class SumTree {
 public:
  explicit SumTree(std::size_t leaves);

  std::size_t leaves() const { return leaves_; }
  // Sets leaf i (i < leaves(), value >= 0 and finite; PreconditionError otherwise).
  void set(std::size_t i, double value);
  double get(std::size_t i) const { return sum_[base_ + i]; }
  // Sum of all leaves.
  double total() const { return sum_[1]; }
  // Smallest positive leaf, +inf when every leaf is 0.
  double min_positive() const { return min_[1]; }

  // The leaf i such that prefix(i) <= mass < prefix(i) + get(i), where prefix(i) is the sum of the leaves
  // before i. Only leaves with a positive value are returned: a mass at or beyond total() (rounding) gives
  // the last positive leaf. Precondition: total() > 0 and mass >= 0.
  std::size_t find(double mass) const;

  // Sets all leaves at once (values.size() == leaves()) and rebuilds the internal nodes.
  void assign(std::span<const double> values);

 private:
  std::size_t leaves_;
  std::size_t base_;         // first leaf node; a power of two >= leaves_, root at node 1
  std::vector<double> sum_;  // 2 * base_ nodes
  std::vector<double> min_;  // 2 * base_ nodes, +inf for zero leaves
};

}  // namespace pib::replay
