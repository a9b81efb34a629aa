#include "replay/sum_tree.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "common/error.hpp"

namespace pib::replay {

namespace {
constexpr double kInf = std::numeric_limits<double>::infinity();
}

SumTree::SumTree(std::size_t leaves) : leaves_(leaves), base_(1) {
  if (leaves == 0) raise<InvalidArgument>("sum tree: the number of leaves must be > 0");
  while (base_ < leaves)
    base_ *= 2;
  sum_.assign(2 * base_, 0.0);
  min_.assign(2 * base_, kInf);
}

void SumTree::set(std::size_t i, double value) {
  PIB_EXPECTS(i < leaves_, "leaf ", i, " of ", leaves_);
  PIB_EXPECTS(value >= 0.0 && std::isfinite(value), "leaf value ", value);
  std::size_t node = base_ + i;
  sum_[node] = value;
  min_[node] = value > 0.0 ? value : kInf;
  for (node /= 2; node >= 1; node /= 2) {
    sum_[node] = sum_[2 * node] + sum_[2 * node + 1];
    min_[node] = std::min(min_[2 * node], min_[2 * node + 1]);
  }
}

std::size_t SumTree::find(double mass) const {
  PIB_EXPECTS(sum_[1] > 0.0 && mass >= 0.0, "total ", sum_[1], ", mass ", mass);
  std::size_t node = 1;
  // Invariant: sum_[node] > 0. Going left when the right subtree is empty keeps it: then sum = left > 0.
  while (node < base_) {
    const double left = sum_[2 * node];
    if (mass < left || sum_[2 * node + 1] <= 0.0) {
      node = 2 * node;
    } else {
      mass -= left;
      node = 2 * node + 1;
    }
  }
  return node - base_;
}

void SumTree::assign(std::span<const double> values) {
  PIB_EXPECTS(values.size() == leaves_, values.size(), " values for ", leaves_, " leaves");
  for (std::size_t i = 0; i < leaves_; ++i) {
    PIB_EXPECTS(values[i] >= 0.0 && std::isfinite(values[i]), "leaf value ", values[i]);
    sum_[base_ + i] = values[i];
    min_[base_ + i] = values[i] > 0.0 ? values[i] : kInf;
  }
  for (std::size_t node = base_ - 1; node >= 1; --node) {
    sum_[node] = sum_[2 * node] + sum_[2 * node + 1];
    min_[node] = std::min(min_[2 * node], min_[2 * node + 1]);
  }
}

}  // namespace pib::replay
