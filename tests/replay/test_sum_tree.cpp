#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <vector>

#include "common/error.hpp"
#include "common/random.hpp"
#include "replay/sum_tree.hpp"

using pib::replay::SumTree;

TEST_CASE("sum tree: totals and minimum follow every update", "[replay]") {
  for (const std::size_t leaves : {1u, 2u, 5u, 8u, 13u}) {
    SumTree tree(leaves);
    CHECK(tree.total() == 0.0);
    CHECK(tree.min_positive() == std::numeric_limits<double>::infinity());
    std::vector<double> values(leaves, 0.0);
    pib::Rng rng(leaves);
    for (int step = 0; step < 200; ++step) {
      const auto i = static_cast<std::size_t>(rng.below(leaves));
      const double v = rng.uniform() < 0.2 ? 0.0 : std::round(rng.uniform(0.0, 100.0));  // exact sums
      tree.set(i, v);
      values[i] = v;
      double total = 0.0, min = std::numeric_limits<double>::infinity();
      for (const double x : values) {
        total += x;
        if (x > 0.0 && x < min) min = x;
      }
      REQUIRE(tree.total() == total);
      REQUIRE(tree.min_positive() == min);
      REQUIRE(tree.get(i) == v);
    }
  }
}

TEST_CASE("sum tree: find returns the leaf whose prefix interval holds the mass", "[replay]") {
  SumTree tree(6);
  const std::vector<double> values{1.0, 0.0, 2.0, 3.0, 0.0, 4.0};  // prefix: 0 1 1 3 6 6 | 10
  for (std::size_t i = 0; i < values.size(); ++i)
    tree.set(i, values[i]);
  CHECK(tree.total() == 10.0);
  CHECK(tree.find(0.0) == 0);
  CHECK(tree.find(0.999) == 0);
  CHECK(tree.find(1.0) == 2);  // leaf 1 is empty and never returned
  CHECK(tree.find(2.5) == 2);
  CHECK(tree.find(3.0) == 3);
  CHECK(tree.find(5.999) == 3);
  CHECK(tree.find(6.0) == 5);
  CHECK(tree.find(9.999) == 5);
  CHECK(tree.find(10.0) == 5);  // at or beyond the total: the last positive leaf
  CHECK(tree.find(12.0) == 5);
  tree.set(5, 0.0);
  CHECK(tree.find(7.0) == 3);  // beyond the total, now the last positive leaf is 3
}

TEST_CASE("sum tree: assign rebuilds exactly the sums incremental updates produce", "[replay]") {
  SumTree incremental(37);
  std::vector<double> leaves(37);
  pib::Rng rng(5);
  for (int step = 0; step < 500; ++step) {
    const auto i = static_cast<std::size_t>(rng.below(37));
    leaves[i] = std::pow(rng.uniform(1e-3, 10.0), 0.6);
    incremental.set(i, leaves[i]);
  }
  SumTree rebuilt(37);
  rebuilt.assign(leaves);
  CHECK(rebuilt.total() == incremental.total());  // bit for bit
  CHECK(rebuilt.min_positive() == incremental.min_positive());
  for (int k = 0; k < 1000; ++k) {
    const double mass = rng.uniform() * incremental.total();
    REQUIRE(rebuilt.find(mass) == incremental.find(mass));
  }
}

TEST_CASE("sum tree: broken preconditions are PreconditionErrors", "[replay]") {
  SumTree tree(4);
  CHECK_THROWS_AS(tree.set(4, 1.0), pib::PreconditionError);
  CHECK_THROWS_AS(tree.set(0, -1.0), pib::PreconditionError);
  CHECK_THROWS_AS(tree.set(0, std::nan("")), pib::PreconditionError);
  CHECK_THROWS_AS(tree.find(0.5), pib::PreconditionError);  // total is 0
  CHECK_THROWS_AS(SumTree(0), pib::InvalidArgument);
}
