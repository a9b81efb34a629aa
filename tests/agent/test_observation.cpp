// Observation scaling: an explicit obs_scale must fit the environment; left out, the observation space's
// finite bounds scale every observation into [-1, 1]; an infinite bound needs an explicit scale. The shipped
// CartPole configs state their scale.
#include <filesystem>
#include <fstream>

#include <catch2/catch.hpp>

#include "agent/config.hpp"
#include "agent/observation.hpp"
#include "agent/trainer.hpp"
#include "common/random.hpp"
#include "envs/registry.hpp"

using pib::agent::ObservationScale;
using pib::agent::RlConfig;

namespace {

RlConfig digital_config(const std::string& env) {
  return RlConfig::from_json(
      {{"env", env},
       {"total_steps", 400},
       {"learning_starts", 200},
       {"batch_size", 32},
       {"checkpoint_every", 0},
       {"units", nlohmann::json::array({{{"kind", "digital_dense"}, {"output_dim", 8}}})}});
}

}  // namespace

TEST_CASE("an obs_scale of the wrong length is a config error naming the key and the length", "[agent]") {
  auto cfg = digital_config("CartPole-v1");
  cfg.obs_scale = {2.4, 3.0, 0.21};
  CHECK_THROWS_AS(pib::agent::Trainer(cfg), pib::ConfigError);
  CHECK_THROWS_WITH(pib::agent::Trainer(cfg), Catch::Contains("obs_scale") && Catch::Contains("3 values") &&
                                                  Catch::Contains("give 4 values"));
  const auto env = pib::envs::make("Acrobot-v1");
  CHECK_THROWS_WITH(ObservationScale({1.0, 2.0}, *env),
                    Catch::Contains("obs_scale") && Catch::Contains("give 6 values"));
  CHECK(ObservationScale({1, 2, 3, 4, 5, 6}, *env).values() == std::vector<double>{1, 2, 3, 4, 5, 6});
}

TEST_CASE("without obs_scale the observation space's bounds scale states into [-1, 1]", "[agent]") {
  for (const std::string id : {"Acrobot-v1", "MountainCar-v0"}) {
    INFO(id);
    auto env = pib::envs::make(id);
    const ObservationScale scale({}, *env);
    const auto& space = env->observation_space();
    REQUIRE(scale.size() == env->observation_dim());
    for (std::size_t i = 0; i < scale.size(); ++i)
      CHECK(scale.values()[i] == std::max(std::abs(double(space.low[i])), std::abs(double(space.high[i]))));
    // States of random-policy episodes (as the calibration draws them), scaled one at a time and as a batch.
    pib::Rng rng(3);
    const Eigen::Index n = 2000;
    pib::units::Matrix raw(n, static_cast<Eigen::Index>(env->observation_dim())), one, batch;
    auto o = env->reset(7);
    for (Eigen::Index t = 0; t < n; ++t) {
      for (std::size_t k = 0; k < o.size(); ++k)
        raw(t, static_cast<Eigen::Index>(k)) = o[k];
      scale.apply(o, one);
      CHECK(one.cwiseAbs().maxCoeff() <= 1.0);
      const auto r = env->step(static_cast<int>(rng.below(static_cast<std::uint64_t>(env->action_count()))));
      o = (r.terminated || r.truncated) ? env->reset() : r.observation;
    }
    scale.apply(raw, batch);
    CHECK(batch.cwiseAbs().maxCoeff() <= 1.0);
    CHECK(batch.cwiseAbs().maxCoeff() > 0.05);  // scaled, not zeroed
  }
  // A trainer on such an environment builds without an obs_scale.
  CHECK_NOTHROW(pib::agent::Trainer(digital_config("MountainCar-v0")));
}

TEST_CASE("an infinite observation bound without obs_scale is a clear error", "[agent]") {
  const auto env = pib::envs::make("CartPole-v1");  // velocities are unbounded
  CHECK_THROWS_WITH(ObservationScale({}, *env), Catch::Contains("obs_scale") &&
                                                    Catch::Contains("infinite bound") &&
                                                    Catch::Contains("CartPole-v1"));
  CHECK_THROWS_AS(pib::agent::Trainer(digital_config("CartPole-v1")), pib::ConfigError);
}

TEST_CASE("the shipped CartPole configs state their observation scale", "[agent]") {
  const auto configs = std::filesystem::path(PIB_TEST_DATA_DIR) / ".." / ".." / "configs";
  for (const std::string name : {"cartpole_optical.json", "cartpole_memristor.json", "latency.json"}) {
    INFO(name);
    std::ifstream in(configs / name);
    REQUIRE(in);
    auto j = nlohmann::json::parse(in);
    if (j.contains("rl")) j = j["rl"];
    REQUIRE(j.contains("obs_scale"));
    CHECK(j["obs_scale"].size() == 4);
    CHECK(RlConfig::from_json(j).obs_scale.size() == 4);
  }
}
