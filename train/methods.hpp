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
//   backprop  backprop in silico, deployed: bp_deployed and bp_deployed_readout_refit (train/backprop.cpp);
//             a first unit without an ideal model (optics) trains on a twin fitted from its measured frames
//   pat       physics-aware training: measured forward, backward through the ideal models of the units after
//             the first (each unit's own gradient comes from its measurement)
//   dfa       direct feedback alignment with measured forward passes
//   pib_dfa   the PIB objective on the last unit, DFA to the units before it (the three in
//             train/measured_forward.cpp)
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

// The models of the units a method needs (units/registry.hpp), checked before anything trains.
enum class ModelNeed {
  none,
  after_first,  // an ideal model of every unit after the first: the error reaches a unit through the next
  all,          // an in-silico model of every unit: the ideal one, or for the first unit a fitted twin
};

struct MethodRecord {
  const char* name;
  const char* summary;
  MethodTrainer train;
  ModelNeed models = ModelNeed::none;
};

// Every method, in the order a comparison lists them.
const std::vector<MethodRecord>& training_methods();
// The method called `name`; ConfigError naming `key` and the known methods otherwise.
const MethodRecord& find_method(const std::string& name, const std::string& key);
// ConfigError naming `key` and the first unit whose kind lacks the model the method needs, or naming
// `twin_key`.samples when a twin's budget is below what determines it (checked only when units[0] has its
// input_dim, i.e. once resolved against the data).
void check_method_units(const MethodRecord& method, const nlohmann::json& units, const std::string& key,
                        const units::TwinSettings& twin, const std::string& twin_key = "twin");

// Each unit's ledger: kind, measures, deploys, measure/deploy/busy time (simulated devices).
nlohmann::json device_ledgers(const Chain& chain);

// The method trainers (one per file).
std::vector<TrainedMethod> train_pib(Context& ctx);
std::vector<TrainedMethod> train_backprop(Context& ctx);
std::vector<TrainedMethod> train_pat(Context& ctx);
std::vector<TrainedMethod> train_dfa(Context& ctx);
std::vector<TrainedMethod> train_pib_dfa(Context& ctx);
std::vector<TrainedMethod> train_phyll(Context& ctx);

}  // namespace pib::train
