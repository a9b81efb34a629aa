// Reference alignment: every step of every recorded Gymnasium trajectory, restored and stepped once, agrees
// to 1e-12 (relative to max(1, |value|)) with identical rewards and flags.

#include <catch2/catch.hpp>

#include <string>

#include "envs/check.hpp"
#include "envs/registry.hpp"

using namespace pib::envs;

namespace {
const std::string kTrace = std::string(PIB_TEST_DATA_DIR) + "/classic_control_gymnasium.json";
}

TEST_CASE("every built-in environment matches the Gymnasium trace step by step", "[envs][reference]") {
  const ReferenceTrace trace = load_reference_trace(kTrace);
  REQUIRE(trace.size() == 3);
  const auto reports = check_trace(trace, 1e-12);
  for (const auto& r : reports) {
    INFO(r.to_json().dump());
    CHECK(r.trajectories == 6);
    CHECK(r.steps == [&] {
      std::size_t n = 0;
      for (const auto& t : trace.at(r.env_id))
        n += t.actions.size();
      return n;
    }());
    CHECK(r.max_state_error <= 1e-12);
    CHECK(r.reward_mismatches == 0);
    CHECK(r.flag_mismatches == 0);
    CHECK(r.passed());
  }
}

TEST_CASE("the check reports a perturbed trace as a mismatch", "[envs][reference]") {
  ReferenceTrace trace = load_reference_trace(kTrace);
  auto& t = trace.at("CartPole-v1").front();
  t.states[3][2] += 1e-9;  // step 3's result and step 4's start
  t.rewards[5] = 0.0;      // a wrong reward
  t.terminated[7] = !t.terminated[7];
  const auto env = make("CartPole-v1");
  const CheckReport r = check_trajectories(*env, trace.at("CartPole-v1"), 1e-12);
  CHECK_FALSE(r.passed());
  CHECK(r.max_state_error > 1e-10);
  CHECK(r.state_mismatches >= 1);
  CHECK(r.reward_mismatches == 1);
  CHECK(r.flag_mismatches == 1);
}

TEST_CASE("loading a broken trace is a FileError", "[envs][reference]") {
  CHECK_THROWS_AS(load_reference_trace("/nonexistent/trace.json"), pib::FileError);
  CHECK_THROWS_AS(parse_reference_trace(nlohmann::json::parse(R"({"environments": {"CartPole-v1": [{}]}})")),
                  pib::FileError);
  CHECK_THROWS_AS(parse_reference_trace(nlohmann::json::parse(
                      R"({"environments": {"CartPole-v1": [{"initial_state":[0,0,0,0],"actions":[0],
                      "states":[],"rewards":[1],"terminated":[false],"truncated":[false]}]}})")),
                  pib::FileError);
  const ReferenceTrace trace = load_reference_trace(kTrace);
  const auto env = make("CartPole-v1");
  CHECK_THROWS_AS(check_trajectories(*env, trace.at("CartPole-v1"), -1.0), pib::InvalidArgument);
  CHECK_THROWS_AS(check_trajectories(*env, trace.at("MountainCar-v0"), 1e-12), InvalidStateError);
}
