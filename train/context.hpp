#pragma once
// What every experiment of `pib train` shares (internal to train/): the loaded data and its held-out split,
// the resolved unit configs, sigma_x, the calibration rows, the run's random streams, measuring whole splits
// through a unit, calibration passes, readout fitting, one PIB step, and the records and progress reported
// through the callbacks. The experiments themselves are in train/experiments.hpp.
//
// Random streams: every generator of a run is Context::stream(Stream, index) = Rng::derive(seed, ...):
//   split          the held-out split for unit selection
//   calibration 0  the calibration rows and the sigma_x estimate; 1 the parallel schedule's first pass
//   probe          the readout on the raw input
//   evaluation l   the held-out scoring of unit l (the same generator for every call on unit l)
//   measure 0 / 1  the PIB pipeline on the devices / on ideal models
//   deploy l       the parallel schedule's task for unit l
//   backprop 0 / 1 the backprop baseline's training / its deployment on devices
//   fault          the fault experiment
//   augment        the self-supervised run
//   unit l         unit l's own seed (units::build_chain; the ideal units and backprop's initial parameters)
//   generalisation 0 the data fraction's subset; 1 the test-time input noise; 2 its measurements
//
// Thread-safety: after construction everything but `result` is read-only; record and progress may be
// called from any thread (they serialise the callbacks); `result` belongs to the thread running the
// experiments.

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <Eigen/Core>
#include <nlohmann/json.hpp>

#include "bottleneck/objectives.hpp"
#include "common/random.hpp"
#include "data/catalog.hpp"
#include "train/config.hpp"
#include "train/optimizer.hpp"
#include "train/readout.hpp"
#include "train/trainer.hpp"
#include "units/unit.hpp"

namespace pib::train {

// The digital map of a unit's input before its DAC: `mean` subtracted from every row, then each column
// multiplied by its `gain` (empty: 1).
struct InputNorm {
  Eigen::RowVectorXd mean, gain;
  static InputNorm zero(Eigen::Index dim) { return {Eigen::RowVectorXd::Zero(dim), {}}; }
  // x mapped in place.
  void apply_inplace(Matrix& x) const {
    x.rowwise() -= mean;
    if (gain.size() > 0) x.array().rowwise() *= gain.array();
  }
};

// A deep PNN as the trainer sees it: units and the map of each unit's input.
struct Chain {
  std::vector<std::unique_ptr<units::Unit>> units;
  std::vector<InputNorm> norms;  // applied to unit l's input before its DAC
};

// A digital map a method applies to raw inputs before the first unit (empty: none), e.g. forward-forward's
// label embedding.
using InputMap = std::function<Matrix(const Matrix&)>;

// Means of one unit's epoch of objective values.
struct EpochStats {
  double loss = 0, i_xz = 0, i_yz = 0, sigma_z = 0;
  int count = 0;
  void add(const bottleneck::Terms& t) {
    loss += t.loss;
    i_xz += t.i_xz;
    i_yz += t.i_yz;
    sigma_z += t.sigma_z;
    ++count;
  }
  nlohmann::json to_json() const {
    const double c = std::max(count, 1);
    return {{"loss", loss / c}, {"I_xz", i_xz / c}, {"I_yz", i_yz / c}, {"sigma_z", sigma_z / c}};
  }
};

// One unit's training state (owned by one thread at a time).
struct UnitTrainer {
  UnitTrainer(units::Unit& u, const AdamConfig& opt)
      : unit(u), adam(u.parameter_count(), opt), params(u.parameters()), grad(u.parameter_count()) {}
  units::Unit& unit;
  Adam adam;
  Eigen::VectorXd params, grad, grad2;
  bottleneck::Workspace ws;
  units::Measurement m, m2;
  Matrix dz, dz2, input, input2;
  Rng before_deploy;  // the generator as the last pib_step's deploy found it (to program the device again)
};

// x mapped by `norm`.
inline Matrix normalised(const Eigen::Ref<const Matrix>& x, const InputNorm& norm) {
  Matrix out = x;
  norm.apply_inplace(out);
  return out;
}

class Context {
 public:
  // Loads the data, holds out the validation split, resolves the units (units::resolve_chain), picks the
  // calibration rows and estimates sigma_x. Throws ConfigError / FileError as run_training documents.
  Context(const TrainConfig& config, const Callbacks& callbacks);

  // The generator of `stream`, number `index`, of this run (see the list above).
  Rng stream(Stream stream, std::uint64_t index = 0) const { return Rng::derive(cfg.seed, stream, index); }

  // Fresh units of the resolved configs: the devices (units::build_chain), or ideal models of the same
  // configs with the same unit seeds. Every input map starts as the identity.
  Chain make_chain(bool ideal) const;
  // The device of unit l alone, as make_chain(false) builds it.
  std::unique_ptr<units::Unit> make_unit(std::size_t l) const;

  // The input map of unit l from its training inputs `input`: their row mean when center_inputs is set
  // (else zero) and, when standardize_inputs is set and l > 0, the reciprocal of each column's standard
  // deviation (1 for a column below 1e-12).
  InputNorm input_norm(const Matrix& input, std::size_t l) const;
  // Measures `input` (split-sized, unmapped) through one unit in chunks of eval_batch rows, mapped by
  // `norm`; returns the outputs (or the responses when `responses`).
  Matrix measure_split(units::Unit& unit, const InputNorm& norm, const Matrix& input, Rng& rng,
                       bool responses = false) const;
  // The calibration rows of `input` (a train-split-aligned matrix; default: the training inputs).
  Matrix calibration_inputs(const Matrix& input) const;
  Matrix calibration_inputs() const { return calibration_inputs(data.train.features); }
  // Input maps and calibration of every unit of `chain` on `input` (calibration inputs, already mapped as
  // the chain's first unit expects), measured through the chain unit by unit: each unit's map is its input's.
  void calibrate_chain(Chain& chain, Matrix input, Rng& rng) const;
  // Calibration pass on the calibration rows of `input` (a train-split-aligned matrix), mapped by `norm`.
  void calibrate(units::Unit& unit, const InputNorm& norm, const Matrix& input, Rng& rng) const;
  // A readout fitted on train-split-aligned features, scored on test-split-aligned ones; kept in `keep`.
  double fit_readout(const Matrix& train, const Matrix& test, Rng& rng, SoftmaxReadout* keep = nullptr) const;
  // One supervised PIB step of `t.unit` on the mapped unit input t.input and the centred global input
  // `xb` (Adam step scaled by `lr_scale`, then deploy).
  bottleneck::Terms pib_step(UnitTrainer& t, const Matrix& xb, const std::vector<int>& labels,
                             double lr_scale, Rng& rng) const;
  // The learning-rate factor of step `step` of `total`: linear from 1 to optimizer.lr_final / lr.
  double lr_scale(long step, long total) const;
  // The same for optimizer `o` (a method's own optimizer).
  static double lr_scale(long step, long total, const AdamConfig& o);

  // One metrics record (wall_s added) / one progress report (elapsed_s set), through the callbacks.
  void record(nlohmann::json j);
  void progress(Progress p);
  double elapsed() const;

  const TrainConfig& cfg;
  bottleneck::PibConfig pib;
  data::Dataset data;      // train without the held-out samples
  data::Split validation;  // held out of data.train for unit selection (empty unless cfg.validation)
  data::Split ood_test;    // the test samples of generalisation.held_out_classes (original labels)
  int n_classes = 0;
  Eigen::RowVectorXd x_mean;                  // mean training input
  nlohmann::json unit_configs;                // resolved (units::resolve_chain)
  std::vector<std::size_t> calibration_rows;  // rows of the train split every calibration pass uses
  double sigma_x = 1.0;
  TrainResult result;

 private:
  double estimate_sigma_x(Rng& rng) const;

  const Callbacks& callbacks_;
  std::chrono::steady_clock::time_point start_;
  std::mutex callback_mutex_;
};

}  // namespace pib::train
