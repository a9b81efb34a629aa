// The shipped RL configs keep their claims (README, "Every built-in environment"), each checked on one seed
// of its 5-seed table (tools/rl_table.py makes the table): the run ends solved within the config's step
// budget — the 100-episode training mean at the environment's threshold and the greedy check passed. The
// seed is the table's fastest solving one, so the test costs the least; a change that breaks the recipe,
// the devices or the agent breaks it. [slow]: each runs a whole training.
#include <string>

#include <catch2/catch.hpp>

#include "agent/config.hpp"
#include "agent/trainer.hpp"
#include "common/run_dir.hpp"

namespace {

pib::agent::Summary run_config(const std::string& name, std::uint64_t seed) {
  auto j = pib::read_json_file(std::string(PIB_SOURCE_DIR) + "/configs/" + name + ".json");
  j["seed"] = seed;
  pib::agent::Trainer t(pib::agent::RlConfig::from_json(j));
  return t.run({}, {});
}

void check_solves(const std::string& name, std::uint64_t seed) {
  CAPTURE(name, seed);
  const auto s = run_config(name, seed);
  CAPTURE(s.env_steps, s.best_mean_return_100.value_or(0.0));
  REQUIRE(s.solved_at_step.has_value());
  REQUIRE_FALSE(s.solve_checks.empty());
  CHECK(s.solve_checks.back().passed);
}

}  // namespace

TEST_CASE("configs/cartpole_optical.json solves CartPole-v1", "[agent][slow]") {
  check_solves("cartpole_optical", 2);
}

TEST_CASE("configs/cartpole_memristor.json solves CartPole-v1", "[agent][slow]") {
  check_solves("cartpole_memristor", 3);
}

TEST_CASE("configs/acrobot_optical.json solves Acrobot-v1", "[agent][slow]") {
  check_solves("acrobot_optical", 4);
}

TEST_CASE("configs/acrobot_memristor.json solves Acrobot-v1", "[agent][slow]") {
  check_solves("acrobot_memristor", 4);
}
