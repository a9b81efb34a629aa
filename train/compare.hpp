#pragma once
// `pib compare`: the training methods of train/methods.hpp side by side on the same unit configs, chips and
// data, through the paper's generalisation tests (its Fig. 3C; train/generalisation.hpp).
//
// Config: a supervised `pib train` config (train/config.hpp) plus
//   methods         names from train/methods.hpp (default: all)
//   tests           any of "input_noise", "data_fraction", "ood" (default: all)
//   data_fractions  training fractions in (0, 1] of the data-fraction test (default 0.01 0.05 0.1 0.25 1)
// and, from the train config, generalisation.input_noise (levels; default 0 .. 0.05 in steps of 0.01) and
// generalisation.held_out_classes (default the dataset's last two classes); generalisation.data_fraction must
// stay 1 (data_fractions replaces it).
//
// Runs: one with the classes held out (first, so that a class the data lack stops the comparison before any
// training), one on the full training split (the clean accuracy, the input-noise levels, the data fraction 1)
// and one per fraction below 1; every method trains once in each. Every variant's
// clean accuracy, devices' ledgers and training wall time come from the full run.

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "train/trainer.hpp"

namespace pib::train {

struct CompareConfig {
  TrainConfig train;
  std::vector<std::string> methods;
  std::vector<std::string> tests{"input_noise", "data_fraction", "ood"};
  std::vector<double> data_fractions{0.01, 0.05, 0.1, 0.25, 1.0};

  // ConfigError naming the key for an unknown method or test, a fraction outside (0, 1], or a train config
  // that is not supervised.
  static CompareConfig from_json(const nlohmann::json& json);
  nlohmann::json to_json() const;
  bool has_test(const std::string& test) const;
};

// One method variant's figures (any test not run stays empty).
struct MethodScores {
  double accuracy = 0;                                   // clean test accuracy, full training split
  std::vector<std::pair<double, double>> input_noise;    // (level, accuracy)
  std::vector<std::pair<double, double>> data_fraction;  // (fraction, accuracy)
  std::optional<double> ood_auroc_msp, ood_auroc_energy;
  std::vector<std::pair<double, double>> ood_roc_msp, ood_roc_energy;  // (fpr, tpr) points, "ood" run
  nlohmann::json device;  // the devices' ledgers after training (full run)
  double wall_s = 0;      // training wall time (full run)
};

struct CompareResult {
  std::vector<std::pair<std::string, MethodScores>> variants;  // in method order
  double wall_s = 0;
  nlohmann::json to_json() const;
  std::string markdown() const;  // one row per variant
};

// Records carry "run" ("ood", "full", "data_fraction F"); progress stages start with "[run] ".
CompareResult run_compare(const CompareConfig& config, const Callbacks& callbacks);

}  // namespace pib::train
