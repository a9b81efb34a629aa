#pragma once
// The configuration of `pib train` (one JSON object, STYLE.md practice 4): every key has a default, unknown
// keys and out-of-range values throw ConfigError naming the key. The fields below document the keys; configs/
// files are the worked examples.

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "bottleneck/settings.hpp"
#include "data/catalog.hpp"
#include "train/optimizer.hpp"
#include "train/readout.hpp"
#include "units/fault.hpp"
#include "units/twin.hpp"

namespace pib::train {

enum class Task { supervised, self_supervised };
// cascade and parallel run in one process; decentralised runs unit r on rank r (train/decentralised.hpp).
enum class Schedule { cascade, parallel, decentralised };
const char* schedule_name(Schedule s);

// PIB settings shared by every unit (the "pib" object every config shares, bottleneck/settings.hpp). alpha 2
// is the closed-form fast path; 1.01 the reference default. x_width: this rule averaged over up to 10
// training batches, once.
using PibSettings = bottleneck::PibTerm;

// The end-to-end backprop-in-silico baseline (supervised only).
struct BackpropSettings {
  bool enabled = false;
  int epochs = 20;
  int batch_size = 128;
  AdamConfig optimizer;
};

// A method trained from measured forward passes (train/measured_forward.hpp): keys "dfa" (direct feedback
// alignment), "pat" (physics-aware training through the units' ideal models) and "pib_dfa" (PIB with DFA).
struct MethodSettings {
  int epochs = 20;
  int batch_size = 128;
  AdamConfig optimizer;  // units and head; lr decays linearly to optimizer.lr_final (0: constant)
};

// Unit selection on a held-out part of the training split (supervised cascade). The held-out samples are
// removed from the training split for the whole run (PIB, readouts, baselines). After every PIB epoch of a
// unit (and before the first) a readout is fitted on the unit's measured features of the remaining training
// samples and scored on the held-out ones; the unit keeps the parameters of its best epoch and stops after
// `patience` epochs without a better score.
struct ValidationSettings {
  double fraction = 0.0;  // of the training split, held out stratified and seeded; 0 = off
  int patience = 0;       // epochs without improvement before a unit stops; 0 = train every epoch
  bool enabled() const { return fraction > 0; }
};

// The paper's generalisation tests on a supervised run (train/generalisation.hpp), applied to PIB on the
// devices: training on a stratified fraction of the training split, classes held out of training (their test
// samples are the out-of-distribution set: AUROC of the readout's maximum softmax probability and energy
// score), and the test accuracy with Gaussian input noise of each listed level (std as a fraction of the
// input range), measured through the trained devices.
struct GeneralisationSettings {
  double data_fraction = 1.0;         // in (0, 1]
  std::vector<int> held_out_classes;  // distinct classes of the dataset
  std::vector<double> input_noise;    // levels in [0, 1]
  bool enabled() const { return data_fraction < 1.0 || !held_out_classes.empty() || !input_noise.empty(); }
};

// Self-supervised PIB on two augmented views, with a linear probe.
struct SslSettings {
  int iterations_per_unit = 200;
  int probe_every = 25;  // PIB iterations between probes (a probe also runs at iteration 0)
  std::size_t probe_train_samples = 10000;  // stratified subset of train the probe is fitted on (0: all)
  nlohmann::json augment = nlohmann::json::object();  // ImageAugmentConfig or Mnist1dAugmentConfig keys
};

struct TrainConfig {
  std::uint64_t seed = 0;
  Task task = Task::supervised;
  Schedule schedule = Schedule::cascade;
  data::DatasetConfig data;
  nlohmann::json units = nlohmann::json::array();  // unit configs (units/registry.hpp); input_dim filled in
  bool center_inputs = true;  // subtract each unit's mean training input before its DAC (DESIGN.md 8)
  // Also divide each input feature of units 1, 2, ... (the measured features of the unit before) by its
  // standard deviation over the training split, so every feature spans the DAC alike. Unit 0's input is the
  // data set, scaled by its loader.
  bool standardize_inputs = false;
  int batch_size = 256;
  int epochs_per_unit = 5;
  std::vector<int> unit_epochs;  // key "unit_epochs": per-unit PIB epochs, overriding epochs_per_unit

  // PIB epochs of unit l.
  int epochs_of(std::size_t l) const { return l < unit_epochs.size() ? unit_epochs[l] : epochs_per_unit; }
  AdamConfig optimizer;  // lr decays linearly to optimizer.lr_final over each unit's training (0: constant)
  PibSettings pib = default_pib();
  std::size_t calibration_samples = 1000;  // inputs per calibration pass
  std::size_t eval_batch = 2000;           // samples per measurement call when measuring whole splits
  ReadoutConfig readout;
  bool track_readout_every_epoch = false;  // readout accuracy after 0, 1, ... PIB epochs per unit
  ValidationSettings validation;
  GeneralisationSettings generalisation;
  bool compare_pib_ideal = false;  // also run PIB with ideal (noise-free) models of the units
  // A readout on the raw input, and on unit 0's raw response when it has one (Unit::has_raw_response: an
  // optical unit's speckle; raw_speckle_readout).
  bool compare_raw_readout = false;
  BackpropSettings backprop;
  MethodSettings dfa, pat, pib_dfa;
  // Physical local learning (train/forward_forward.cpp): MethodSettings plus the goodness threshold.
  struct PhyllSettings : MethodSettings {
    double threshold = 1.0;  // theta of the goodness (mean squared output) separating positive from negative
  } phyll;
  // The fitted twin of a unit without an ideal model (units/twin.hpp), for backprop in silico.
  units::TwinSettings twin;
  // Faults injected into the PIB-trained devices after training (supervised only): the accuracy before and
  // after, with the readout refitted, and after PIB-retraining the units after the first faulty one for
  // fault_recovery_epochs epochs each.
  std::vector<units::FaultEvent> faults;
  int fault_recovery_epochs = 5;
  SslSettings ssl;

  static PibSettings default_pib() {
    PibSettings p;
    p.alpha = 1.01;
    p.beta = 0.01;
    return p;
  }
  static TrainConfig from_json(const nlohmann::json& json);
  nlohmann::json to_json() const;
  void validate() const;
};

}  // namespace pib::train
