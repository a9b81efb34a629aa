#pragma once
// The agent tests' small, fast configuration: two digital units on CartPole-v1, a short run.

#include <cstdint>

#include <nlohmann/json.hpp>

#include "agent/config.hpp"

namespace pib::test {

// `extra` keys are merged over the defaults.
inline agent::RlConfig small_config(std::int64_t steps, const nlohmann::json& extra = nlohmann::json::object()) {
  nlohmann::json j = {
      {"total_steps", steps},
      {"learning_starts", 200},
      {"batch_size", 32},
      {"buffer_size", 5000},
      {"metrics_every", 500},
      {"checkpoint_every", 0},
      {"stop_when_solved", false},
      {"target_update_every", 50},
      {"obs_scale", {2.4, 3.0, 0.21, 3.0}},
      {"units",
       nlohmann::json::array({{{"kind", "digital_dense"}, {"output_dim", 32}, {"activation", "relu"}},
                              {{"kind", "digital_dense"}, {"output_dim", 16}, {"activation", "relu"}}})}};
  j.merge_patch(extra);
  return agent::RlConfig::from_json(j);
}

}  // namespace pib::test
