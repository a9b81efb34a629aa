#pragma once
// The configuration of `pib train` (one JSON object, STYLE.md practice 4): every key has a default, unknown
// keys and out-of-range values throw ConfigError naming the key. The README lists the keys; the configs/
// files are the worked examples.

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "bottleneck/kernel.hpp"
#include "data/catalog.hpp"
#include "train/optimizer.hpp"
#include "train/readout.hpp"

namespace pib::train {

enum class Task { supervised, self_supervised };
enum class Schedule { cascade, parallel };

// PIB settings shared by every unit. alpha 2 is the closed-form fast path; 1.01 the reference default.
struct PibSettings {
  double alpha = 1.01;
  double beta = 0.01;
  bottleneck::KernelWidth z_width;  // sigma of Z per batch
  bottleneck::Kernel z_kernel = bottleneck::Kernel::gaussian;  // gaussian | linear (of the centred Z)
  bottleneck::KernelWidth x_width;  // sigma of X: this rule averaged over up to 10 training batches, once
};

// The end-to-end backprop-in-silico baseline (supervised only).
struct BackpropSettings {
  bool enabled = false;
  int epochs = 20;
  int batch_size = 128;
  AdamConfig optimizer{1e-3};
};

// Breaks ADC channels of a crossbar unit after training (supervised only).
struct FaultSettings {
  bool enabled = false;
  int unit = 0;                   // index of the crossbar unit to break
  std::vector<int> adc_channels;  // explicit channels, or
  double channel_fraction = 0.0;  // this fraction of the unit's channels, chosen at random (seeded)
  std::string mode = "noise";     // "zero" | "full_scale" | "noise"
  int recovery_epochs = 5;        // PIB epochs per later unit during recovery
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
  int batch_size = 256;
  int epochs_per_unit = 5;
  std::vector<int> unit_epochs;  // key "unit_epochs": per-unit PIB epochs, overriding epochs_per_unit

  // PIB epochs of unit l.
  int epochs_of(std::size_t l) const { return l < unit_epochs.size() ? unit_epochs[l] : epochs_per_unit; }
  double lr_final_fraction = 1.0;  // lr decays linearly to lr x this over each unit's training
  AdamConfig optimizer{1e-3};
  PibSettings pib;
  std::size_t calibration_samples = 1000;  // inputs per calibration pass
  std::size_t eval_batch = 2000;           // samples per measurement call when measuring whole splits
  ReadoutConfig readout;
  bool track_readout_every_epoch = false;  // readout accuracy after 0, 1, ... PIB epochs per unit
  ValidationSettings validation;
  bool compare_pib_ideal = false;          // also run PIB with ideal (noise-free) models of the units
  bool compare_raw_readout = false;        // readout on the raw input (and raw speckle of an optical unit 1)
  BackpropSettings backprop;
  FaultSettings fault;
  SslSettings ssl;

  static TrainConfig from_json(const nlohmann::json& json);
  nlohmann::json to_json() const;
  void validate() const;
};

}  // namespace pib::train
