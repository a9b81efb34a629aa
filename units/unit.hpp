#pragma once
// The physical computing unit: the one interface every device of a deep PNN offers (DESIGN.md 3.1).
//
// A unit maps an input batch (n x input_dim, one sample per row) to an output batch Z (n x output_dim)
// through a physical process, and has trainable parameters (a flat vector). It offers:
//  * measure  — the physical forward pass with the parameters the device last finished deploying: noisy,
//               quantised, possibly faulty. Only this is seen by the next unit and by every objective.
//  * gradient — from a Measurement and dL/dZ, the gradient of the loss w.r.t. the trainable parameters.
//               Isomorphic units (crossbars) use their ideal mathematical model at the measured input;
//               broken-isomorphism units (optics) differentiate only their digital trainable layer, whose
//               input is the measured physical response. No hidden physical state is read.
//  * deploy   — writes parameters to the device (conductance programming, a modulator refresh). It takes
//               device time; measurements started before it finishes use the previous parameters.
//  * timing and ledger — the device's timing model and its record of busy and idle device time.
//
// Thread-safety contract (every implementation keeps it): `measure` and `deploy` may be called concurrently
// from different threads on the same unit; each holds the device for its scaled device time (concurrent
// measures queue for the device), and `deploy` swaps the new parameters in only when its programming time
// has elapsed. All const members are safe to call from any thread at any time. Two units never share state.

#include <cstdint>
#include <memory>
#include <string>

#include <Eigen/Core>
#include <nlohmann/json.hpp>

#include "common/error.hpp"
#include "common/random.hpp"

namespace pib::units {

using Matrix = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using Vector = Eigen::VectorXd;

// Device timing model, microseconds of device time (DESIGN.md 3.5).
struct DeviceTiming {
  double forward_us_per_sample = 0.0;  // one sample through the device
  double deploy_us = 0.0;              // one deploy (crossbars: program_us_per_cell x cells changed)
  double time_scale = 1.0;             // the emulation runs this many times faster than the device
};

// Device time the unit has spent, in device microseconds (not scaled), since construction.
struct DeviceLedger {
  double measure_us = 0.0;     // device time spent measuring
  double deploy_us = 0.0;      // device time spent programming
  double busy_us = 0.0;        // measure_us + deploy_us
  double idle_us = 0.0;        // elapsed device time (wall time x time_scale) minus busy_us, floored at 0
  std::uint64_t measures = 0;  // measure calls
  std::uint64_t deploys = 0;   // completed deploys
};

// What one physical forward pass produced.
struct Measurement {
  Matrix response;            // input of the trainable part as measured: the DAC-quantised input for
                              // crossbars, the camera frame (speckle) for optics, the input for digital
  Matrix output;              // Z, n x output_dim
  Matrix pre_pool;            // units that pool their outputs: the output before pooling; otherwise empty
  std::uint64_t version = 0;  // deploy count of the parameters used (0: the initial parameters)
};

class Unit {
 public:
  virtual ~Unit() = default;

  virtual std::string kind() const = 0;
  virtual Eigen::Index input_dim() const = 0;
  virtual Eigen::Index output_dim() const = 0;
  virtual Eigen::Index parameter_count() const = 0;

  // Physical forward pass on `input` (n x input_dim) with the deployed parameters; noise draws come from
  // `rng`. Resizes `out` only when the batch size changes (no allocation for a repeated batch size).
  virtual void measure(const Eigen::Ref<const Matrix>& input, Measurement& out, Rng& rng) = 0;

  // Calibration pass on representative inputs (n x input_dim): sets input scaling (DAC range, modulator
  // encoding range, binarisation thresholds) and output gain (ADC full scale, camera gain) as a real set-up
  // would. Deterministic given `sample_inputs` and `rng`. Units that need none keep this default no-op.
  // A unit measured before any calibrate call calibrates itself on its first batch.
  virtual void calibrate(const Eigen::Ref<const Matrix>& sample_inputs, Rng& rng) {}

  // Gradient of a loss w.r.t. the trainable parameters, given the measurement it was computed on and
  // dL/dZ (n x output_dim). Writes parameter_count() values into `grad`.
  virtual void gradient(const Measurement& m, const Eigen::Ref<const Matrix>& dL_dZ,
                        Eigen::Ref<Vector> grad) const = 0;

  // Writes `parameters` (parameter_count() values) to the device; blocks the caller for the scaled deploy
  // time. Programming noise draws come from `rng`.
  virtual void deploy(const Eigen::Ref<const Vector>& parameters, Rng& rng) = 0;

  // Injects faults into the device mid-run (the kind's fault JSON; every kind with a fault model takes
  // {"adc_channels": [{"channel": j, "mode": "zero" | "full_scale" | "noise"}]}, see units/fault.hpp). They
  // persist across deploys and take effect for measures that start after the call; random fault choices
  // come from `rng`. Kinds without a fault model throw InvalidArgument.
  virtual void inject_faults(const nlohmann::json& faults, Rng& rng) {
    (void)faults;
    (void)rng;
    raise<InvalidArgument>(kind(), " units have no fault model");
  }

  // Readout channels the fault JSON's "adc_channels" index (crossbar columns, camera pixels); 0 for kinds
  // without a fault model.
  virtual Eigen::Index fault_channels() const { return 0; }

  // True when Measurement::response is the raw physical response (an optical unit's camera frame) rather
  // than the input as the device received it: a readout on it measures what the physics alone provides.
  virtual bool has_raw_response() const { return false; }

  // True when the device changes with its own busy time (drift): then what a measurement sees depends on
  // the order of the measurements before it, and callers that want reproducible results measure it (and
  // the devices sharing its medium) one at a time.
  virtual bool drifts() const { return false; }

  // The parameters most recently passed to a completed deploy (or the initial ones), as intended — not
  // as physically realised — so training can continue from them.
  virtual Vector parameters() const = 0;

  // Number of completed deploys (the `version` new measurements carry).
  virtual std::uint64_t version() const = 0;

  virtual DeviceTiming timing() const = 0;
  virtual DeviceLedger ledger() const = 0;

  // An independent device of the same build: the same seed-fixed physics (transmission matrix, chip
  // defects), the same deployed parameters, its own ledger. Used for target networks.
  virtual std::unique_ptr<Unit> clone() const = 0;
};

}  // namespace pib::units
