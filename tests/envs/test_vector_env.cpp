// VectorEnv: per-copy derived seeds, next-step auto-reset, typed errors.

#include <catch2/catch.hpp>

#include <vector>

#include "common/random.hpp"
#include "envs/registry.hpp"
#include "envs/vector_env.hpp"

using namespace pib::envs;

TEST_CASE("copy i is reset with the derived seed of episode i", "[envs][vector]") {
  VectorEnv vec("CartPole-v1", 4);
  CHECK(vec.num_envs() == 4);
  CHECK(vec.observation_dim() == 4);
  CHECK(vec.action_count() == 2);
  const auto obs = vec.reset(100);
  REQUIRE(obs.size() == 16);
  for (std::size_t i = 0; i < 4; ++i) {
    const auto single = make("CartPole-v1");
    const auto expected = single->reset(pib::derive_seed(100, pib::Stream::episode, i));
    const auto row = vec.observation(i);
    CHECK(std::vector<float>(row.begin(), row.end()) == std::vector<float>(expected.begin(), expected.end()));
  }
}

TEST_CASE("an ended copy resets on the next step, Gymnasium next-step style", "[envs][vector]") {
  const std::size_t n = 3;
  VectorEnv vec("CartPole-v1", n);
  vec.reset(7);
  // A reference copy of env 1, stepped by hand with the same actions.
  const auto ref = make("CartPole-v1");
  ref->reset(pib::derive_seed(7, pib::Stream::episode, 1));
  std::vector<int> actions(n, 1);  // always push right: episodes end after a few dozen steps
  int episodes_seen = 0;
  bool ref_ended = false;
  for (int t = 0; t < 400; ++t) {
    vec.step(actions);
    StepResult r;
    bool reset_step = false;
    if (ref_ended) {
      ref->reset();  // continues the copy's RNG stream
      reset_step = true;
      ref_ended = false;
    } else {
      r = ref->step(1);
      ref_ended = r.terminated || r.truncated;
    }
    const auto row = vec.observation(1);
    const auto expected = ref->observation();
    CHECK(std::vector<float>(row.begin(), row.end()) == std::vector<float>(expected.begin(), expected.end()));
    if (reset_step) {
      ++episodes_seen;
      CHECK(vec.rewards()[1] == 0.0);
      CHECK(vec.terminated()[1] == 0);
      CHECK(vec.truncated()[1] == 0);
    } else {
      CHECK(vec.rewards()[1] == r.reward);
      CHECK(static_cast<bool>(vec.terminated()[1]) == r.terminated);
      CHECK(static_cast<bool>(vec.truncated()[1]) == r.truncated);
    }
  }
  CHECK(episodes_seen >= 3);
}

TEST_CASE("vector env bad input is a typed error and steps nothing", "[envs][vector][errors]") {
  CHECK_THROWS_AS(VectorEnv("CartPole-v1", 0), pib::InvalidArgument);
  CHECK_THROWS_AS(VectorEnv("NoSuchEnv-v0", 2), UnknownEnvironmentError);
  std::vector<std::unique_ptr<Environment>> mixed;
  mixed.push_back(make("CartPole-v1"));
  mixed.push_back(make("MountainCar-v0"));
  CHECK_THROWS_AS(VectorEnv(std::move(mixed)), pib::InvalidArgument);

  VectorEnv vec("MountainCar-v0", 2);
  const std::vector<int> ok{0, 2};
  CHECK_THROWS_AS(vec.step(ok), StepBeforeResetError);
  vec.reset(0);
  const std::vector<float> before(vec.observations().begin(), vec.observations().end());
  CHECK_THROWS_AS(vec.step(std::vector<int>{0}), pib::InvalidArgument);
  CHECK_THROWS_AS(vec.step(std::vector<int>{0, 3}), InvalidActionError);
  CHECK_THROWS_AS(vec.step(std::vector<int>{-1, 0}), InvalidActionError);
  CHECK(std::vector<float>(vec.observations().begin(), vec.observations().end()) == before);
  CHECK(vec.env(0).elapsed_steps() == 0);
  vec.step(ok);
  CHECK(vec.env(0).elapsed_steps() == 1);
  CHECK(vec.env(1).elapsed_steps() == 1);
}
