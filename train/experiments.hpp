#pragma once
// The experiments of `pib train` (internal to train/; trainer.hpp describes what each reports). Each runs
// on a Context, writes its figures into context.result and reports records and progress through it:
//   train/pib_schedule.cpp     supervised PIB (cascade and parallel schedules, unit selection)
//   train/backprop.cpp         the backprop-in-silico baseline (train/methods.hpp: train_backprop)
//   train/fault.cpp            the fault experiment
//   train/self_supervised.cpp  self-supervised PIB with a linear probe
//   train/decentralised.cpp    supervised PIB with unit r on rank r
//   train/generalisation.cpp   the generalisation tests of a trained method's devices
// Every function here runs on the caller's thread (the parallel schedule starts and joins its own tasks).

#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "data/dataset.hpp"
#include "train/context.hpp"

namespace pib::train {

// A supervised PIB run: the trained chain and every unit's measured features and readout score.
struct PipelineOut {
  Chain chain;
  std::vector<Matrix> train, test;  // measured outputs of every unit
  SoftmaxReadout readout;           // on the last unit
  std::vector<double> unit_accuracy;
  std::vector<std::vector<double>> accuracy_by_epochs;  // with track_readout_every_epoch
  std::vector<int> selected_epoch;                      // per unit, with validation
  std::vector<double> validation_accuracy;              // per unit: the selected epoch's held-out score
};

// Supervised PIB on fresh devices (or, with `ideal`, on ideal models of the units) with the configured
// schedule; `stage` names it in records ("pib", "pib_ideal"). Sets result.raw_speckle_readout when asked.
PipelineOut pib_pipeline(Context& ctx, bool ideal, const std::string& stage);

// One epoch of PIB steps of t.unit on its stored inputs `input` (train-split-aligned, unmapped; mapped by
// `norm`), minibatches from `batches`. `step` counts steps across epochs for the learning-rate schedule over
// `total` steps; `every_20_steps` (may be empty) sees the running means every 20 steps.
EpochStats pib_epoch(Context& ctx, UnitTrainer& t, const Matrix& input, const InputNorm& norm,
                     data::MiniBatcher& batches, long& step, long total, Rng& rng,
                     const std::function<void(const EpochStats&)>& every_20_steps);

// Cascade training of unit l of `chain` on stored (uncentred) inputs `input` (train-split-aligned) for
// `epochs` epochs. `after_epoch` runs after every epoch (and with epoch 0 before the first); its accuracy,
// if any, goes into the epoch record. With `val_input` (the unit's inputs on the held-out split) the unit
// ends with the parameters of its best-scoring epoch (ValidationSettings). Returns the epoch the unit ends
// with and, with `val_input`, its held-out score.
std::pair<int, std::optional<double>> train_unit(Context& ctx, Chain& chain, std::size_t l,
                                                 const Matrix& input, int epochs, const std::string& stage,
                                                 Rng& rng,
                                                 const std::function<std::optional<double>(int)>& after_epoch,
                                                 const Matrix* val_input = nullptr);

// The generalisation tests (train/generalisation.hpp) of one trained method: its devices `chain` and the
// readout on the last unit's measured features. The test accuracy under each configured input-noise level
// and, with held-out classes, the OOD AUROCs and ROC curves, into result.generalisation[method]. Every method
// sees the same noise draws. `input_map` (if set) maps the (noisy) raw inputs before the chain.
void run_generalisation(Context& ctx, const std::string& method, Chain& chain, const SoftmaxReadout& readout,
                        const InputMap& input_map = {});

// The fault experiment on the PIB-trained devices of `dev` (changed: faults injected, later units
// retrained): before_fault, after_fault, after_fault_readout_refit, after_recovery.
void run_fault(Context& ctx, PipelineOut& dev);

// Self-supervised cascade PIB with the two-view objective and linear probes.
void run_ssl(Context& ctx);

// Schedule decentralised (train/decentralised.hpp): the ranks of `options.transport`, or all in this process.
void run_decentralised(Context& ctx, const RunOptions& options);

}  // namespace pib::train
