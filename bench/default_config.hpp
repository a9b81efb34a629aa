#pragma once
// The RL benchmarks' config: configs/cartpole_optical.json of the source tree they were built from, with
// latency emulation off, no checkpoints and no metrics lines.
#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "common/error.hpp"

namespace pib::bench {

inline nlohmann::json default_rl_config() {
  const auto file = std::filesystem::path(PIB_SOURCE_DIR) / "configs" / "cartpole_optical.json";
  std::ifstream in(file);
  if (!in) raise<FileError>(file.string(), ": cannot open the default config");
  auto j = nlohmann::json::parse(in);
  j["time_scale"] = 1e9;
  j["checkpoint_every"] = 0;
  j["metrics_every"] = 1000000;
  return j;
}

}  // namespace pib::bench
