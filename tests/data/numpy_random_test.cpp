// NumpyRandomState against numpy's legacy RandomState (check values of DESIGN.md 5, recorded with
// numpy 1.24).
#include <algorithm>
#include <catch2/catch.hpp>

#include "data/numpy_random.hpp"

using pib::data::NumpyRandomState;

TEST_CASE("NumpyRandomState reproduces RandomState(42): rand, randn, randint, permutation", "[data][rng]") {
  NumpyRandomState rs(42);
  CHECK(rs.random_sample() == 0.3745401188473625);
  CHECK(rs.standard_normal() == -1.1118801180469204);
  CHECK(rs.randint(0, 48) == 18);
  CHECK(rs.permutation(10) == std::vector<std::int64_t>{0, 5, 9, 1, 8, 2, 3, 4, 7, 6});
}

TEST_CASE("NumpyRandomState uniform and choice follow the same stream", "[data][rng]") {
  // numpy: RandomState(42).uniform(-1, 2) == 0.12362035654208747, then .choice(48) == 28.
  NumpyRandomState rs(42);
  CHECK(rs.uniform(-1.0, 2.0) == 0.12362035654208747);
  CHECK(rs.randint(0, 48) == 28);
}

TEST_CASE("NumpyRandomState normals come in cached pairs", "[data][rng]") {
  NumpyRandomState a(7), b(7);
  const double first = a.standard_normal();
  const double second = a.standard_normal();  // the cached value: no draw
  CHECK(first != second);
  // Two normals use exactly the draws of one accepted polar pair, so the next uniform is the same as after
  // drawing that pair by hand.
  double x1, x2, r2;
  do {
    x1 = 2.0 * b.random_sample() - 1.0;
    x2 = 2.0 * b.random_sample() - 1.0;
    r2 = x1 * x1 + x2 * x2;
  } while (r2 >= 1.0 || r2 == 0.0);
  CHECK(a.random_sample() == b.random_sample());
}

TEST_CASE("NumpyRandomState bounded integers stay in range and cover it", "[data][rng]") {
  NumpyRandomState rs(1);
  std::vector<int> seen(7, 0);
  for (int i = 0; i < 700; ++i) {
    const auto v = rs.randint(3, 10);
    REQUIRE(v >= 3);
    REQUIRE(v < 10);
    ++seen[static_cast<std::size_t>(v - 3)];
  }
  CHECK(*std::min_element(seen.begin(), seen.end()) > 50);
  auto p = rs.permutation(100);
  std::sort(p.begin(), p.end());
  for (std::int64_t i = 0; i < 100; ++i)
    CHECK(p[static_cast<std::size_t>(i)] == i);
}
