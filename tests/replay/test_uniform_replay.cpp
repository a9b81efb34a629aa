#include <catch2/catch.hpp>

#include <array>
#include <cmath>
#include <limits>
#include <vector>

#include "replay/uniform_replay.hpp"
#include "replay_test_util.hpp"

using pib::replay::Batch;
using pib::replay::UniformReplay;
using pib::replay::test::next_obs_of;
using pib::replay::test::obs_of;
using pib::replay::test::push_numbered;

TEST_CASE("uniform replay: ring overwrite keeps the newest capacity transitions in slot order", "[replay]") {
  UniformReplay buffer(5, 4);
  CHECK(buffer.capacity() == 5);
  CHECK(buffer.size() == 0);
  CHECK(buffer.empty());
  for (int i = 0; i < 3; ++i)
    CHECK(push_numbered(buffer, i) == static_cast<std::size_t>(i));
  CHECK(buffer.size() == 3);
  for (int i = 3; i < 12; ++i)
    CHECK(push_numbered(buffer, i) == static_cast<std::size_t>(i % 5));
  CHECK(buffer.size() == 5);
  CHECK(buffer.columns().next_slot() == 2);  // 12 pushes: slot 2 holds the oldest (push 7)
  // Slot s holds push 10 + s for s < 2, and push 5 + s for s >= 2.
  const auto& c = buffer.columns();
  for (std::size_t s = 0; s < 5; ++s) {
    const int i = s < 2 ? 10 + static_cast<int>(s) : 5 + static_cast<int>(s);
    INFO("slot " << s << " push " << i);
    CHECK(c.reward(s) == i);
    CHECK(c.action(s) == i % 3);
    CHECK(c.terminated(s) == (i % 7 == 0));
    CHECK(c.truncated(s) == (i % 11 == 0));
    CHECK(c.discount(s) == Approx(std::pow(0.99, i % 3)));
    const auto o = obs_of(i);
    const auto n = next_obs_of(i);
    for (std::size_t d = 0; d < 4; ++d) {
      CHECK(c.obs(s)[d] == o[d]);
      CHECK(c.next_obs(s)[d] == n[d]);
    }
  }
}

TEST_CASE("uniform replay: a sampled batch carries every column of the slots it names", "[replay]") {
  UniformReplay buffer(100, 4);
  for (int i = 0; i < 60; ++i)
    push_numbered(buffer, i);
  pib::Rng rng(3);
  Batch batch;
  buffer.sample(32, rng, batch);
  REQUIRE(batch.size() == 32);
  REQUIRE(batch.obs.rows() == 32);
  REQUIRE(batch.obs.cols() == 4);
  for (Eigen::Index k = 0; k < 32; ++k) {
    const std::size_t slot = batch.indices[static_cast<std::size_t>(k)];
    REQUIRE(slot < 60);
    const int i = static_cast<int>(slot);  // fewer than capacity pushes: slot == push number
    CHECK(batch.rewards(k) == i);
    CHECK(batch.actions(k) == i % 3);
    CHECK(batch.terminated(k) == (i % 7 == 0 ? 1.0 : 0.0));
    CHECK(batch.truncated(k) == (i % 11 == 0 ? 1.0 : 0.0));
    CHECK(batch.discounts(k) == Approx(std::pow(0.99, i % 3)));
    CHECK(batch.weights(k) == 1.0);
    const auto o = obs_of(i);
    const auto n = next_obs_of(i);
    for (Eigen::Index d = 0; d < 4; ++d) {
      CHECK(batch.obs(k, d) == o[static_cast<std::size_t>(d)]);
      CHECK(batch.next_obs(k, d) == n[static_cast<std::size_t>(d)]);
    }
  }
}

TEST_CASE("uniform replay: sampling frequencies are uniform (chi-square, fixed seed)", "[replay]") {
  constexpr int kSlots = 50;
  UniformReplay buffer(kSlots, 4);
  for (int i = 0; i < 3 * kSlots + 7; ++i)
    push_numbered(buffer, i);  // wrapped several times
  pib::Rng rng(12345);
  Batch batch;
  std::vector<double> counts(kSlots, 0.0);
  constexpr int kBatches = 4000, kBatchSize = 50;
  for (int b = 0; b < kBatches; ++b) {
    buffer.sample(kBatchSize, rng, batch);
    for (const auto slot : batch.indices)
      counts[slot] += 1.0;
  }
  const double expected = static_cast<double>(kBatches) * kBatchSize / kSlots;
  double chi2 = 0.0;
  for (const double c : counts)
    chi2 += (c - expected) * (c - expected) / expected;
  // 49 degrees of freedom: mean 49, standard deviation ~9.9; 100 is beyond the 99.99th percentile.
  INFO("chi2 = " << chi2);
  CHECK(chi2 < 100.0);
  CHECK(chi2 > 15.0);  // far too uniform would mean the sampler is not random at all
}

TEST_CASE("uniform replay: same seed, same batches", "[replay]") {
  UniformReplay buffer(64, 4);
  for (int i = 0; i < 100; ++i)
    push_numbered(buffer, i);
  pib::Rng a(9), b(9);
  Batch x, y;
  for (int round = 0; round < 5; ++round) {
    buffer.sample(16, a, x);
    buffer.sample(16, b, y);
    CHECK(x.indices == y.indices);
    CHECK(x.obs == y.obs);
  }
  CHECK(a == b);
}

TEST_CASE("uniform replay: a repeated batch size reuses the caller's storage", "[replay]") {
  UniformReplay buffer(64, 4);
  for (int i = 0; i < 64; ++i)
    push_numbered(buffer, i);
  pib::Rng rng(1);
  Batch batch(32, 4);
  const double* obs = batch.obs.data();
  const double* next = batch.next_obs.data();
  const int* actions = batch.actions.data();
  const double* rewards = batch.rewards.data();
  const double* weights = batch.weights.data();
  const std::size_t* indices = batch.indices.data();
  for (int round = 0; round < 10; ++round) {
    buffer.sample(32, rng, batch);
    CHECK(batch.obs.data() == obs);
    CHECK(batch.next_obs.data() == next);
    CHECK(batch.actions.data() == actions);
    CHECK(batch.rewards.data() == rewards);
    CHECK(batch.weights.data() == weights);
    CHECK(batch.indices.data() == indices);
  }
}

TEST_CASE("uniform replay: sampling more than it holds is a StateError", "[replay]") {
  UniformReplay buffer(10, 4);
  pib::Rng rng(0);
  Batch batch;
  CHECK_THROWS_AS(buffer.sample(1, rng, batch), pib::StateError);  // empty
  for (int i = 0; i < 3; ++i)
    push_numbered(buffer, i);
  CHECK_THROWS_WITH(buffer.sample(4, rng, batch),
                    Catch::Contains("asked for 4") && Catch::Contains("holds 3"));
  CHECK_THROWS_AS(buffer.sample(4, rng, batch), pib::StateError);
  CHECK_THROWS_AS(buffer.sample(0, rng, batch), pib::InvalidArgument);
  CHECK_NOTHROW(buffer.sample(3, rng, batch));
}

TEST_CASE("uniform replay: bad pushes are rejected with a message naming the problem", "[replay]") {
  UniformReplay buffer(10, 4);
  const std::array<float, 4> good{0.1f, 0.2f, 0.3f, 0.4f};
  const std::array<float, 3> short_obs{0.1f, 0.2f, 0.3f};
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const float inf = std::numeric_limits<float>::infinity();
  const std::array<float, 4> with_nan{0.1f, nan, 0.3f, 0.4f};
  const std::array<float, 4> with_inf{0.1f, 0.2f, 0.3f, -inf};

  using Catch::Contains;
  using pib::InvalidArgument;
  CHECK_THROWS_WITH(buffer.push(short_obs, 0, 1.0, good, false, false), Contains("obs has 3 values"));
  CHECK_THROWS_WITH(buffer.push(good, 0, 1.0, short_obs, false, false), Contains("next_obs has 3 values"));
  CHECK_THROWS_WITH(buffer.push(with_nan, 0, 1.0, good, false, false), Contains("obs[1] is nan"));
  CHECK_THROWS_WITH(buffer.push(good, 0, 1.0, with_inf, false, false), Contains("next_obs[3] is -inf"));
  CHECK_THROWS_WITH(buffer.push(good, 0, std::nan(""), good, false, false), Contains("reward is nan"));
  CHECK_THROWS_WITH(buffer.push(good, 0, HUGE_VAL, good, false, false), Contains("reward is inf"));
  CHECK_THROWS_WITH(buffer.push(good, -1, 1.0, good, false, false), Contains("action is -1"));
  CHECK_THROWS_WITH(buffer.push(good, 0, 1.0, good, false, false, 1.5), Contains("discount is 1.5"));
  CHECK_THROWS_WITH(buffer.push(good, 0, 1.0, good, false, false, std::nan("")), Contains("discount is nan"));
  CHECK_THROWS_AS(buffer.push(with_nan, 0, 1.0, good, false, false), InvalidArgument);
  CHECK(buffer.size() == 0);  // nothing was stored
  CHECK(buffer.columns().next_slot() == 0);
  CHECK(buffer.push(good, 1, 1.0, good, false, true, 0.0) == 0);
  CHECK(buffer.size() == 1);
  CHECK_THROWS_AS(UniformReplay(0, 4), InvalidArgument);
  CHECK_THROWS_AS(UniformReplay(4, 0), InvalidArgument);
}

TEST_CASE("uniform replay: an n-step transition keeps its own discount", "[replay]") {
  UniformReplay buffer(4, 4);
  const auto o = obs_of(1);
  const double gamma = 0.99;
  const double three_step = 1.0 + gamma * 0.5 + gamma * gamma * 2.0;
  auto t = pib::replay::Transition::make(o, 1, three_step, o, false, false, gamma * gamma * gamma);
  buffer.push(t);
  pib::Rng rng(0);
  Batch batch;
  buffer.sample(1, rng, batch);
  CHECK(batch.rewards(0) == three_step);
  CHECK(batch.discounts(0) == gamma * gamma * gamma);
}
