#pragma once
// Training deep PNNs with local PIB objectives, and the experiments around it (DESIGN.md 3.6, 7; issue 7).
//
// run_training(config, callbacks) runs, for task "supervised":
//  1. PIB on the simulated devices with the configured schedule —
//     cascade:  unit l is calibrated on its measured input, trained with its local objective (gradient of its
//               ideal model at the measured input and output, Adam, deploy after every step), recalibrated,
//               then the whole training and test sets are measured through it; unit l + 1 trains on those
//               measured features;
//     parallel: one initialisation pass measures every unit's input and calibrates it; then every unit
//               trains at once on its own oneTBB task, measuring its input through the (concurrently
//               changing) upstream devices; a final pass recentres, recalibrates and measures.
//     decentralised: unit r on rank r (train/decentralised.hpp): one initialisation pass ships every unit
//               its inputs measured through the untrained units upstream, every rank trains its unit with
//               no messages, one final pass measures the trained pipeline.
//     Each unit's input is centred (its mean training input subtracted digitally before the DAC) when
//     center_inputs is set. A linear softmax readout is fitted on every unit's measured training features
//     and tested on its measured test features (unit_readout_accuracy; the last one is pib_deployed).
//  2. optionally the same with ideal models of the units (pib_ideal);
//  3. optionally backprop in silico on the ideal network (bp_ideal), deployed on fresh devices of the same
//     chips (bp_deployed), with the readout refitted on measured features (bp_deployed_readout_refit);
//  4. optionally the fault experiment on the PIB-trained devices (before_fault, after_fault,
//     after_fault_readout_refit, after_recovery).
// For task "self_supervised": cascade PIB with the two-view objective, and a linear probe on frozen
// measured features every ssl.probe_every iterations.
//
// Callbacks may be called from any thread; the trainer serialises them (one call at a time).

#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/transport.hpp"
#include "train/config.hpp"

namespace pib::train {

struct Progress {
  std::string stage;  // "pib", "pib_ideal", "backprop", "fault_recovery", "ssl"
  int unit = -1;      // -1 when not per unit
  int epoch = 0;      // epochs (or SSL iterations) done of `epochs`
  int epochs = 0;
  int step = 0;  // steps done within the current epoch of `steps`
  int steps = 0;
  double elapsed_s = 0;
  double i_xz = 0, i_yz = 0;       // last epoch's means (I(Z1; Z2) as i_yz for SSL)
  std::optional<double> accuracy;  // latest readout/probe/test accuracy, if any
};

struct Callbacks {
  std::function<void(const Progress&)> on_progress;
  std::function<void(const nlohmann::json&)> on_record;  // one metrics.jsonl line
};

// One trained method's generalisation tests: (input-noise level, test accuracy) per configured level, and
// with held-out classes the AUROCs of detecting them by maximum softmax probability and by energy, and their
// ROC curves ((false positive rate, true positive rate) points, train/generalisation.hpp roc_curve; empty
// without held-out classes). to_json writes the curves thinned (ood_roc_json).
struct GeneralisationScores {
  std::vector<std::pair<double, double>> accuracy_by_input_noise;
  std::optional<double> ood_auroc_msp, ood_auroc_energy;
  std::vector<std::pair<double, double>> ood_roc_msp, ood_roc_energy;
  nlohmann::json to_json() const;
};

struct TrainResult {
  std::string data;  // which data: name, source, sizes
  std::optional<double> pib_ideal, pib_deployed;
  std::optional<double> bp_ideal, bp_deployed, bp_deployed_readout_refit;
  std::vector<double> unit_readout_accuracy, unit_readout_accuracy_ideal;
  std::vector<std::vector<double>> accuracy_by_pib_epochs;  // [unit][epochs done]
  std::vector<int> unit_selected_epoch;          // with validation: the PIB epoch each unit ends with
  std::vector<double> unit_validation_accuracy;  // and that epoch's held-out readout accuracy
  std::optional<double> raw_readout, raw_speckle_readout;  // raw input; unit 0's raw response
  std::optional<double> before_fault, after_fault, after_fault_readout_refit, after_recovery;
  // The generalisation tests (TrainConfig::generalisation) per method on the devices: "pib", and with the
  // backprop baseline "bp_deployed" and "bp_deployed_readout_refit".
  std::map<std::string, GeneralisationScores> generalisation;
  std::vector<std::pair<long, double>> probe_accuracy_by_iteration;
  std::optional<double> probe_accuracy_random_init, probe_accuracy_raw_pixels;
  // Schedule decentralised: the traffic per phase, each rank's timing and device time (only on rank 0).
  nlohmann::json decentralised;
  // Supervised PIB on devices (cascade, parallel): every unit's device ledger after the run.
  nlohmann::json device;
  int rank = 0;  // this process's rank; only rank 0's result is the run's
  double wall_s = 0;
  // The last unit's measured test features (up to 2000 rows) and their labels, for embeddings; not in
  // to_json().
  Matrix embedding_features;
  std::vector<int> embedding_labels;

  nlohmann::json to_json() const;
};

// Where the ranks of a decentralised run are and where they keep their state (other schedules ignore it).
struct RunOptions {
  // This process's endpoint of a job with one rank per unit (dist::MpiTransport); null: every rank in this
  // process.
  Transport* transport = nullptr;
  // Rank r writes its checkpoint to checkpoint_dir / "rank<r>" / "unit.pib" after every epoch (empty: none).
  // Read only once the run's first record has been reported, so a caller may fill it in from on_record
  // (pib train makes its run directory there, after the data and unit configs are checked).
  std::filesystem::path checkpoint_dir;
  bool resume = false;  // every rank continues from its checkpoint in checkpoint_dir
};

// Runs what the config describes. Throws ConfigError for a bad config (naming the key), FileError for
// missing data. Records of a decentralised run carry "rank".
TrainResult run_training(const TrainConfig& config, const Callbacks& callbacks = {},
                         const RunOptions& options = {});

// Mean of every column of x (a 1 x d row).
Eigen::RowVectorXd column_mean(const Eigen::Ref<const Matrix>& x);

}  // namespace pib::train
