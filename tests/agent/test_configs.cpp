// The shipped RL configs keep their claims (README, "Every built-in environment"), each checked on a seed of
// its 5-seed table (tools/rl_table.py makes the table). The first seed is the table's fastest one that holds
// the claim, so a test usually costs one short run. A trajectory is exact only for one binary (another
// compiler or -march changes the floating-point rounding), and the claims are fractions of seeds, so when the
// first seed does not hold, a second seed of the table that held gets its chance. [slow]: whole trainings.
#include <string>
#include <tuple>

#include <catch2/catch.hpp>

#include "agent/config.hpp"
#include "agent/trainer.hpp"
#include "common/run_dir.hpp"
#include "envs/registry.hpp"

namespace {

pib::agent::RlConfig load(const std::string& name, std::uint64_t seed) {
  auto j = pib::read_json_file(std::string(PIB_SOURCE_DIR) + "/configs/" + name + ".json");
  j["seed"] = seed;
  return pib::agent::RlConfig::from_json(j);
}

bool solved(const pib::agent::Summary& s) {
  return s.solved_at_step.has_value() && !s.solve_checks.empty() && s.solve_checks.back().passed;
}

// The run of `seed`, or of `second_seed` when `holds` is false for the first.
template <typename Holds>
pib::agent::Summary run_holding(const std::string& name, std::uint64_t seed, std::uint64_t second_seed,
                                Holds holds) {
  for (const auto s : {seed, second_seed}) {
    pib::agent::Trainer t(load(name, s));
    const auto summary = t.run({}, {});
    WARN(name << " seed " << s << ": " << summary.env_steps << " steps, best 100-episode mean "
              << summary.best_mean_return_100.value_or(0.0) << (solved(summary) ? ", solved" : ""));
    if (holds(summary) || s == second_seed) return summary;
  }
  return {};  // not reached
}

}  // namespace

TEST_CASE("the shipped configs solve CartPole-v1, Acrobot-v1 and (digital) MountainCar-v0", "[agent][slow]") {
  // Solved: the 100-episode training mean at the environment's threshold and the greedy check passed,
  // within the config's step budget.
  const auto [name, seed, second_seed] = GENERATE(table<std::string, std::uint64_t, std::uint64_t>(
      {{"cartpole_optical", 0, 3},
       {"cartpole_memristor", 3, 0},
       {"cartpole_digital", 4, 0},
       {"acrobot_optical", 4, 3},
       {"acrobot_memristor", 4, 0},
       {"acrobot_digital", 4, 1},
       {"mountaincar_digital", 4, 3}}));
  CAPTURE(name, seed, second_seed);
  const auto s = run_holding(name, seed, second_seed, solved);
  REQUIRE(s.solved_at_step.has_value());
  REQUIRE_FALSE(s.solve_checks.empty());
  CHECK(s.solve_checks.back().passed);
  CHECK(s.solve_checks.back().mean_return >= *pib::envs::make(s.env)->reward_threshold());
  CHECK(s.env_steps <= load(name, seed).total_steps);
}

TEST_CASE("MountainCar-v0's physical configs reach a best 100-episode mean of -150", "[agent][slow]") {
  // Not solved by the physical units (the README's table: 0 of 5 each); what they do reach, in 2 of 5 seeds
  // each, is a best mean of -150 or more, against -200 for a policy that never reaches the goal (optical:
  // seeds 1 and 3; memristor: seeds 3 and 4).
  const auto [name, seed, second_seed] = GENERATE(table<std::string, std::uint64_t, std::uint64_t>(
      {{"mountaincar_optical", 1, 3}, {"mountaincar_memristor", 4, 3}}));
  CAPTURE(name, seed, second_seed);
  const auto s = run_holding(name, seed, second_seed, [](const pib::agent::Summary& r) {
    return r.best_mean_return_100.value_or(-1e9) >= -150.0;
  });
  REQUIRE(s.best_mean_return_100.has_value());
  CHECK(*s.best_mean_return_100 >= -150.0);
  CHECK(s.env_steps == load(name, seed).total_steps);  // it ran its whole budget: no solve stopped it
}
