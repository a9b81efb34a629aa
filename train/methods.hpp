#pragma once
// The training methods a comparison runs on the same devices (internal to train/; `pib compare`,
// train/compare.hpp). A method is ONE record in training_methods() (train/methods.cpp) plus the file that
// implements it; nothing else names it. A method trains on a Context (its data, unit configs and chips) and
// returns what it deployed: the devices of the chain as trained, the readout on the last unit's measured
// features, the clean test accuracy, and the devices' ledgers (measurements, deploys, simulated device time).
// One training may yield several variants (backprop: the deployed in-silico head and a readout refitted on
// measured features), sharing one chain.
//
//   pib       supervised PIB with the configured schedule (train/pib_schedule.cpp)
//   backprop  backprop in silico, deployed: bp_deployed and bp_deployed_readout_refit (train/backprop.cpp)
//   pat       physics-aware training: measured forward, backward through the units' ideal models
//   dfa       direct feedback alignment with measured forward passes (both train/measured_forward.cpp)
//   phyll     physical local learning: forward-forward goodness on measured positive and negative passes
//             (train/forward_forward.cpp)

#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "train/context.hpp"

namespace pib::train {

struct TrainedMethod {
  std::string name;              // the variant: "pib", "bp_deployed", ...
  std::shared_ptr<Chain> chain;  // its devices, as deployed
  InputMap input_map;            // applied to raw inputs before the chain (empty: none)
  SoftmaxReadout readout;        // on the last unit's measured features
  double accuracy = 0;           // clean test accuracy
  nlohmann::json device;         // device_ledgers(*chain) after training
  double wall_s = 0;             // the training's wall time
};

using MethodTrainer = std::vector<TrainedMethod> (*)(Context& ctx);

struct MethodRecord {
  const char* name;
  const char* summary;
  MethodTrainer train;
  bool needs_ideal_model = false;  // every unit kind must have one (units/registry.hpp)
};

// Every method, in the order a comparison lists them.
const std::vector<MethodRecord>& training_methods();
// The method called `name`; ConfigError naming `key` and the known methods otherwise.
const MethodRecord& find_method(const std::string& name, const std::string& key);
// ConfigError naming `key` and the first unit whose kind the method cannot train (no ideal model).
void check_method_units(const MethodRecord& method, const nlohmann::json& units, const std::string& key);

// Each unit's ledger: kind, measures, deploys, measure/deploy/busy time (simulated devices).
nlohmann::json device_ledgers(const Chain& chain);

// The method trainers (one per file).
std::vector<TrainedMethod> train_pib(Context& ctx);
std::vector<TrainedMethod> train_backprop(Context& ctx);
std::vector<TrainedMethod> train_pat(Context& ctx);
std::vector<TrainedMethod> train_dfa(Context& ctx);
std::vector<TrainedMethod> train_phyll(Context& ctx);

}  // namespace pib::train
