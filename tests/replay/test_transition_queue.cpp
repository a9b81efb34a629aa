#include <catch2/catch.hpp>

#include <array>
#include <cstdint>
#include <thread>
#include <vector>

#include "replay/transition_queue.hpp"
#include "replay/uniform_replay.hpp"

using pib::replay::Transition;
using pib::replay::TransitionQueue;

namespace {
// Transition number i: every field encodes i, so the consumer can check it arrived whole.
Transition numbered(std::uint64_t i) {
  Transition t;
  t.obs_dim = 4;
  for (std::size_t d = 0; d < 4; ++d) {
    t.obs[d] = static_cast<float>((i + d) % 4096);
    t.next_obs[d] = static_cast<float>((i * 3 + d) % 4096);
  }
  t.action = static_cast<int>(i % 5);
  t.reward = static_cast<double>(i);
  t.discount = (i % 2) ? 0.5 : 1.0;
  t.terminated = i % 3 == 0;
  t.truncated = i % 5 == 0;
  return t;
}

bool is_numbered(const Transition& t, std::uint64_t i) {
  const Transition e = numbered(i);
  return t.obs == e.obs && t.next_obs == e.next_obs && t.obs_dim == e.obs_dim && t.action == e.action &&
         t.reward == e.reward && t.discount == e.discount && t.terminated == e.terminated &&
         t.truncated == e.truncated;
}
}  // namespace

TEST_CASE("transition queue: FIFO, full and empty reported by return values", "[replay]") {
  TransitionQueue queue(3);
  CHECK(queue.capacity() == 3);
  CHECK_FALSE(queue.try_pop().has_value());
  for (std::uint64_t i = 0; i < 3; ++i)
    CHECK(queue.try_push(numbered(i)));
  CHECK_FALSE(queue.try_push(numbered(3)));  // full
  CHECK(queue.read_available() == 3);
  CHECK(queue.write_available() == 0);
  Transition t;
  REQUIRE(queue.try_pop(t));
  CHECK(is_numbered(t, 0));
  CHECK(queue.try_push(numbered(3)));
  const auto next = queue.try_pop();
  REQUIRE(next.has_value());
  CHECK(is_numbered(*next, 1));
  std::vector<double> rewards;
  CHECK(queue.consume_all([&](const Transition& x) { rewards.push_back(x.reward); }) == 2);
  CHECK(rewards == std::vector<double>{2.0, 3.0});
  CHECK_FALSE(queue.try_pop(t));
  CHECK_THROWS_AS(TransitionQueue(0), pib::InvalidArgument);
}

TEST_CASE("transition: make checks shapes and the limit of the fixed arrays", "[replay]") {
  const std::array<float, 4> o{1, 2, 3, 4};
  const std::array<float, 3> short_obs{1, 2, 3};
  const auto t = Transition::make(o, 1, 2.0, o, true, false, 0.9);
  CHECK(t.obs_view().size() == 4);
  CHECK(t.next_obs_view()[3] == 4.0f);
  CHECK(t.discount == 0.9);
  CHECK_THROWS_AS(Transition::make(o, 1, 2.0, short_obs, true, false), pib::InvalidArgument);
  std::vector<float> big(pib::replay::kDefaultMaxObsDim + 1, 0.0f);
  CHECK_THROWS_WITH(Transition::make(big, 0, 0.0, big, false, false),
                    Catch::Contains("more than the maximum"));

  // A popped transition goes straight into a replay buffer.
  pib::replay::UniformReplay buffer(4, 4);
  CHECK(buffer.push(t) == 0);
  CHECK(buffer.columns().terminated(0));
  CHECK(buffer.columns().discount(0) == 0.9);
}

TEST_CASE("transition queue: two threads, a million transitions, each arrives once and in order",
          "[replay][concurrency]") {
  constexpr std::uint64_t kItems = 1'000'000;
  TransitionQueue queue(1024);
  std::uint64_t full_spins = 0;

  std::thread producer([&] {
    for (std::uint64_t i = 0; i < kItems; ++i) {
      const Transition t = numbered(i);
      while (!queue.try_push(t)) {
        ++full_spins;
        std::this_thread::yield();
      }
    }
  });

  // Consumer: this thread. Alternates the two pop forms and consume_all.
  std::uint64_t expected = 0;
  std::uint64_t mismatches = 0;
  Transition t;
  while (expected < kItems) {
    bool got = false;
    switch (expected % 3) {
      case 0:
        got = queue.try_pop(t);
        if (got) {
          mismatches += !is_numbered(t, expected);
          ++expected;
        }
        break;
      case 1:
        if (auto popped = queue.try_pop()) {
          got = true;
          mismatches += !is_numbered(*popped, expected);
          ++expected;
        }
        break;
      default:
        got = queue.consume_all([&](const Transition& x) {
          mismatches += !is_numbered(x, expected);
          ++expected;
        }) > 0;
        break;
    }
    if (!got) std::this_thread::yield();
  }
  producer.join();
  CHECK(expected == kItems);
  CHECK(mismatches == 0);
  CHECK_FALSE(queue.try_pop(t));  // nothing extra arrived
  INFO("producer found the queue full " << full_spins << " times");
  SUCCEED();
}
