// Rng: reproducible per seed, state save/restore, and the distributions have the right moments.
#include <cmath>
#include <cstdint>
#include <set>
#include <vector>

#include <catch2/catch.hpp>

#include "common/random.hpp"

TEST_CASE("Rng is reproducible per seed and differs between seeds", "[random]") {
  pib::Rng a(42), b(42), c(43);
  for (int i = 0; i < 100; ++i) {
    const auto x = a();
    CHECK(x == b());
    (void)c;
  }
  pib::Rng d(42), e(43);
  int same = 0;
  for (int i = 0; i < 100; ++i)
    same += d() == e();
  CHECK(same == 0);
}

TEST_CASE("Rng state round-trips, including the cached normal", "[random]") {
  pib::Rng a(7);
  a.normal();  // leaves a spare normal cached
  const auto saved = a.state();
  std::vector<double> first;
  for (int i = 0; i < 5; ++i)
    first.push_back(a.normal());
  pib::Rng b(0);
  b.set_state(saved);
  for (int i = 0; i < 5; ++i)
    CHECK(b.normal() == first[i]);
}

TEST_CASE("Rng distributions have the expected moments", "[random]") {
  pib::Rng rng(1);
  const int n = 200000;
  double sum = 0, sum2 = 0, usum = 0;
  std::vector<int> counts(7, 0);
  for (int i = 0; i < n; ++i) {
    const double z = rng.normal();
    sum += z;
    sum2 += z * z;
    const double u = rng.uniform();
    REQUIRE(u >= 0.0);
    REQUIRE(u < 1.0);
    usum += u;
    const auto k = rng.below(7);
    REQUIRE(k < 7);
    ++counts[k];
  }
  CHECK(std::abs(sum / n) < 0.01);
  CHECK(std::abs(sum2 / n - 1.0) < 0.01);
  CHECK(std::abs(usum / n - 0.5) < 0.005);
  for (int c : counts)
    CHECK(std::abs(c - n / 7.0) < 5 * std::sqrt(n / 7.0));
}

TEST_CASE("Derived streams are distinct across seeds, purposes and indices", "[random]") {
  // Every (seed, stream, index) a run of up to 2,000 units, episodes or faults can ask for, for seeds 0-9:
  // no two may share a seed (the ad-hoc arithmetic this replaced made unit 0's programming noise equal to
  // episode 1's reset seed, and seed 1's unit 0 equal to seed 0's unit 1000).
  std::set<std::uint64_t> seen;
  std::size_t drawn = 0;
  for (std::uint64_t seed = 0; seed < 10; ++seed)
    for (auto s = static_cast<std::uint64_t>(pib::Stream::unit);
         s <= static_cast<std::uint64_t>(pib::Stream::policy); ++s)
      for (std::uint64_t index = 0; index < 2000; ++index) {
        seen.insert(pib::derive_seed(seed, static_cast<pib::Stream>(s), index));
        ++drawn;
      }
  CHECK(seen.size() == drawn);
  // The raw seeds themselves are not among them either (a stream never equals Rng(seed)).
  for (std::uint64_t seed = 0; seed < 10; ++seed)
    CHECK(seen.count(seed) == 0);
}

TEST_CASE("Rng::derive is the generator of the derived seed, and depends on all three parts", "[random]") {
  auto a = pib::Rng::derive(3, pib::Stream::deploy, 1);
  pib::Rng b(pib::derive_seed(3, pib::Stream::deploy, 1));
  CHECK(a == b);
  CHECK(pib::derive_seed(3, pib::Stream::deploy, 1) != pib::derive_seed(3, pib::Stream::deploy, 2));
  CHECK(pib::derive_seed(3, pib::Stream::deploy, 1) != pib::derive_seed(3, pib::Stream::target_deploy, 1));
  CHECK(pib::derive_seed(3, pib::Stream::deploy, 1) != pib::derive_seed(4, pib::Stream::deploy, 1));
}
