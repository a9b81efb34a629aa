// Observation scaling: an explicit obs_scale must fit the environment; left out, each observation is scaled
// by the smaller of its bound and its largest magnitude in the calibration states. The shipped CartPole
// configs state their scale.
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
  const pib::units::Matrix none(0, 6);
  CHECK_THROWS_WITH(ObservationScale({1.0, 2.0}, *env, none),
                    Catch::Contains("obs_scale") && Catch::Contains("give 6 values"));
  CHECK(ObservationScale({1, 2, 3, 4, 5, 6}, *env, none).values() == std::vector<double>{1, 2, 3, 4, 5, 6});
}

TEST_CASE("without obs_scale: the smaller of the bound and the calibration states' largest magnitude",
          "[agent]") {
  const auto acrobot = pib::envs::make("Acrobot-v1");  // cos, sin in [-1, 1]; velocities bounded by 4 pi, 9 pi
  pib::units::Matrix states(3, 6);
  states << 0.2, -0.9, 0.0, 0.4, 1.5, -3.0,  //
      -0.3, 0.1, 0.0, 0.2, -0.5, 30.0,       //
      0.1, 0.2, 0.0, -0.1, 2.0, 1.0;
  const ObservationScale scale({}, *acrobot, states);
  // The largest magnitudes, a column of zeros keeps its bound 1, and 30 is capped by the bound 9 pi.
  const double nine_pi = std::max(std::abs(double(acrobot->observation_space().low[5])),
                                  std::abs(double(acrobot->observation_space().high[5])));
  CHECK(scale.values() == std::vector<double>{0.3, 0.9, 1.0, 0.4, 2.0, nine_pi});
  pib::units::Matrix scaled;
  scale.apply(states, scaled);
  CHECK(scaled.cwiseAbs().maxCoeff() > 1.0);  // the capped column reaches past 1, as its state does past the bound
  CHECK(scaled.col(4).cwiseAbs().maxCoeff() == 1.0);  // the calibration states fill the range
  // An infinite bound (CartPole's velocities) takes the states' scale; an all-zero column with an infinite
  // bound takes 1.
  const auto cartpole = pib::envs::make("CartPole-v1");
  pib::units::Matrix cp(2, 4);
  cp << 0.5, 0.0, 0.1, -2.0,  //
      -1.0, 0.0, 0.05, 1.0;
  CHECK(ObservationScale({}, *cartpole, cp).values() == std::vector<double>{1.0, 1.0, 0.1, 2.0});
}

TEST_CASE("a trainer builds without obs_scale, its scale from the calibration states", "[agent]") {
  for (const std::string id : {"CartPole-v1", "Acrobot-v1", "MountainCar-v0"}) {
    INFO(id);
    CHECK_NOTHROW(pib::agent::Trainer(digital_config(id)).run({}, {}));
  }
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
