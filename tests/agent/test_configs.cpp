// The shipped RL configs keep their claims (README, "Every built-in environment"), each checked on a seed of
// its 5-seed table (tools/rl_table.py makes the table): the run ends solved within the config's step budget —
// the 100-episode training mean at the environment's threshold and the greedy check passed (MountainCar's
// physical configs, which do not solve it, claim a best mean instead). The first seed is
// the table's fastest solving one, so the test usually costs one short run. A trajectory is exact only for
// one binary (another compiler or -march changes the floating-point rounding), and the claim is a fraction
// of seeds, so when the first seed does not solve, a second seed of the table that solved gets its chance.
// [slow]: each runs a whole training.
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

bool solves(const std::string& name, std::uint64_t seed) {
  const auto s = run_config(name, seed);
  WARN(name << " seed " << seed << ": " << s.env_steps << " steps, best 100-episode mean "
            << s.best_mean_return_100.value_or(0.0)
            << (s.solve_checks.empty()         ? ", no greedy check"
                : s.solve_checks.back().passed ? ", solved"
                                               : ""));
  return s.solved_at_step.has_value() && !s.solve_checks.empty() && s.solve_checks.back().passed;
}

void check_solves(const std::string& name, std::uint64_t seed, std::uint64_t second_seed) {
  CHECK((solves(name, seed) || solves(name, second_seed)));
}

// MountainCar-v0 is not solved by the physical units (the README's table: 0 of 5 each). What their configs do
// reach: in 2 of 5 seeds each a best 100-episode mean of -150 or more, against -200 for a policy that never
// reaches the goal (optical: seeds 1 and 3; memristor: seeds 3 and 4).
void check_reaches(const std::string& name, double best_at_least, std::uint64_t seed,
                   std::uint64_t second_seed) {
  auto best = [&](std::uint64_t s) {
    const auto summary = run_config(name, s);
    WARN(name << " seed " << s << ": best 100-episode mean " << summary.best_mean_return_100.value_or(-1e9));
    return summary.best_mean_return_100.value_or(-1e9);
  };
  CHECK((best(seed) >= best_at_least || best(second_seed) >= best_at_least));
}

}  // namespace

TEST_CASE("configs/cartpole_optical.json solves CartPole-v1", "[agent][slow]") {
  check_solves("cartpole_optical", 2, 1);
}

TEST_CASE("configs/cartpole_memristor.json solves CartPole-v1", "[agent][slow]") {
  check_solves("cartpole_memristor", 3, 0);
}

TEST_CASE("configs/acrobot_optical.json solves Acrobot-v1", "[agent][slow]") {
  check_solves("acrobot_optical", 4, 3);
}

TEST_CASE("configs/acrobot_memristor.json solves Acrobot-v1", "[agent][slow]") {
  check_solves("acrobot_memristor", 4, 0);
}

TEST_CASE("configs/cartpole_digital.json solves CartPole-v1", "[agent][slow]") {
  check_solves("cartpole_digital", 4, 0);
}

TEST_CASE("configs/acrobot_digital.json solves Acrobot-v1", "[agent][slow]") {
  check_solves("acrobot_digital", 4, 1);
}

TEST_CASE("configs/mountaincar_digital.json solves MountainCar-v0", "[agent][slow]") {
  check_solves("mountaincar_digital", 4, 3);
}

TEST_CASE("configs/mountaincar_optical.json reaches a best 100-episode mean of -150 on MountainCar-v0",
          "[agent][slow]") {
  check_reaches("mountaincar_optical", -150.0, 1, 3);
}

TEST_CASE("configs/mountaincar_memristor.json reaches a best 100-episode mean of -150 on MountainCar-v0",
          "[agent][slow]") {
  check_reaches("mountaincar_memristor", -150.0, 4, 3);
}
