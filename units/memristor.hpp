#pragma once
// Memristor crossbar units (DESIGN.md 3.2): `memristor_dense`, `memristor_conv1d`, `memristor_conv2d`.
//
// An isomorphic physical unit: the crossbar computes Z = act(X W + b) with analog conductances, so the
// ideal model is that dense (or im2col convolution) layer, and the gradient is the ideal model's at the
// measured input. One shared implementation, MemristorCrossbarUnit, maps a (rows x cols) weight matrix onto
// crossbar arrays; the three kinds differ only in how inputs become crossbar rows (im2col geometry).
//
// The physical model, per weight matrix W (rows x cols) with w_max = max |W| (1 if W = 0):
//  * Differential pair per weight: G+ and G- in [g_min_uS, g_max_uS], `levels` states each; weight w maps to
//    level l = round(|w| / w_max (levels - 1)) on the device of its sign, level 0 (g_min) on the other.
//  * Write-verify programming error N(0, prog_sigma_uS) per device, drawn when the device's target level
//    changes in a deploy (only those cells are programmed) and kept until it is reprogrammed. Optional drift:
//    every deploy adds N(0, drift_sigma_uS) to each device that is not reprogrammed.
//  * Per-chip systematic errors, fixed by the seed: realised conductance (target + error) x (1 + d2d_ij),
//    d2d_ij ~ N(0, d2d_sigma_rel); IR drop G <- G / (1 + ir_drop (G / g_max) p_ij) with p_ij = (r + c) /
//    (tile_rows + tile_cols - 2) the cell's distance from the drivers/sense amps within its array (first
//    order series wire resistance: a g_max cell in the far corner of a full array loses ir_drop / (1 +
//    ir_drop)); per ADC channel gain (1 + N(0, adc_gain_sigma_rel)) and offset N(0, adc_offset_sigma_lsb)
//    LSB.
//  * Signed DAC of dac_bits: x_q = round(clip(x / x_fs, -1, 1) M) / M x_fs with M = 2^(dac_bits-1) - 1 and
//    x_fs the DAC full scale (config dac_full_scale, or from calibration: max |x| of the calibration batch).
//    Measurement.response = x_q (what the ideal model sees).
//  * I-V nonlinearity of the cells: a cell passes I = G (v + iv_nonlinearity v^3) at normalised row voltage
//    v = x_q / x_fs in [-1, 1]. Every cell of a row sees the same voltage, so the cubic is applied per row to
//    the DAC output before the array product (exact for this model, no per-cell work).
//  * Column current I_j = sum_i f(v_i) (G+_ij - G-_ij). Read noise: each device reads G (1 + read_sigma_rel
//    eps) per read; by default drawn with the exact-distribution shortcut I_j += sqrt(sum_i f(v_i)^2
//    read_sigma_rel^2 (G+_ij^2 + G-_ij^2)) N(0, 1) (one extra product with the squared conductances);
//    read_noise_exact = true draws every device per sample instead (tests only: n x rows x cols x 2 draws).
//  * Arrays of at most tile_rows x tile_cols (default 1024 x 128); each array's column currents go through
//    their own signed ADC of adc_bits: code = clamp(round(I / FS M_a (1 + gain) + offset), -M_a, M_a), read
//    back as code FS / M_a; partial sums of the row tiles are added digitally. FS per array comes from the
//    calibration pass: adc_headroom x max |I| over the array's columns on the calibration batch (noise-free
//    currents of the programmed chip). Out-of-range currents saturate.
//  * Digital: Z = act(sum_tiles I_hat * w_max / (g_max - g_min) * x_fs + b).
//  * Calibration: calibrate(sample_inputs) sets x_fs and every array's ADC full scale. A unit measured before
//    any calibrate call calibrates itself on its first batch. Calibration is kept across deploys (w_max
//    always maps to the full conductance range); call calibrate again to re-range. It holds the read channel
//    for the batch.
//  * Faults (inject_faults at any time, or the config's "faults"): ADC channel j reads constant 0, full scale
//    or a uniformly random code, in every row tile; a fraction of devices stuck at g_min or g_max (chosen
//    among devices not yet stuck); extra multiplicative d2d variation. clear_faults() repairs the chip.
//
// Parameter layout (flat): [W row-major (rows x cols), b (cols)], rows x cols + cols values, where
//  * dense: rows = input_dim, cols = output_dim (as digital_dense);
//  * conv: rows = in_channels x kernel_h x kernel_w in the order (c, kh, kw) (row index (c kh_n + kh) kw_n +
//    kw), cols = out_channels: the crossbar matrix of the im2col unrolled kernels.
//  Initial parameters (version 0) come from the seed as in digital_dense (`init`: He for relu, else Glorot;
//  b = 0) and are programmed at construction (no device time; the chip's defects are drawn first).
//  Conv inputs and outputs are channel-major per sample: input [c][h][w] (1-D: [c][t]), output
//  [co][oh][ow] (1-D: [co][t]); zero padding; output size (size + 2 padding - kernel) / stride + 1.
//  Conv kinds take `pool` (default 1, none): max pooling over non-overlapping windows of `pool` positions
//  (2-D: pool x pool) after the activation, digital like bias and activation; output size (conv output
//  size) / pool per dimension. Measurement.pre_pool then holds the output before pooling, and the gradient
//  routes each window's dL/dZ to the position of its measured maximum.
//
// Timing: forward_us_per_sample per sample of a measure (and of a calibration batch); a deploy holds the
// programming channel for program_us_per_cell x devices whose target level changed (both devices of a pair
// count). timing().deploy_us is the last deploy's time (before any deploy: programming every device).
// time_scale as in DeviceTiming.
//
// Thread-safety (the Unit contract): measure, calibrate, deploy, inject_faults and clear_faults may be
// called concurrently from any threads; the programmed state is an immutable snapshot swapped in by deploy
// (after its programming time) and by fault injection; deploy and fault injection are serialised; measures
// on the same unit serialise their computation (shared scratch buffers). Const members are safe anywhere.

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <Eigen/Core>
#include <nlohmann/json.hpp>

#include "common/config.hpp"
#include "common/random.hpp"
#include "units/device.hpp"
#include "units/digital.hpp"
#include "units/fault.hpp"
#include "units/geometry.hpp"
#include "units/registry.hpp"
#include "units/unit.hpp"

namespace pib::units {

// Faults to inject (adds to those present). JSON: {"adc_channels": [{"channel": 3, "mode": "zero"}],
// "stuck_at_gmin_fraction": 0, "stuck_at_gmax_fraction": 0, "extra_d2d_sigma_rel": 0}.
struct CrossbarFaults {
  using AdcChannel = AdcChannelFault;  // channel: crossbar column = output channel (dense: output index)
  std::vector<AdcChannel> adc_channels;
  double stuck_at_gmin_fraction = 0.0;  // of all devices (2 x rows x cols)
  double stuck_at_gmax_fraction = 0.0;
  double extra_d2d_sigma_rel = 0.0;

  static CrossbarFaults from_json(const nlohmann::json& json, const std::string& path);
  // Checks fractions in [0, 1] (sum <= 1), sigma >= 0 and channels < `columns`.
  void validate(Eigen::Index columns, const std::string& path) const;
  bool empty() const;
};

// The device physics shared by the three kinds; every field is a config key of the same name.
// Systematic defaults, calibrated (DESIGN 3.2; sweep in configs/calibration/memristor_sweep.json, run by
// tools/calibrate_memristor.py) so that backprop in silico loses about what the paper's chips lost on
// deployment: 2.55 points on the MNIST MLP 784-256-128 (paper 2.4) and 9.1 on the MNIST-1D conv net
// (paper 8.5), means of 3 seeds. d2d 4 %, ADC gain mismatch 4 %, ADC offset 1 LSB and a cubic I-V
// coefficient of 0.2 at full-scale voltage are within ranges reported for 1T1R arrays; small conv kernels
// (5-96 rows) do not average d2d or per-column errors, so these are kept small. IR drop 3.75 (a g_max cell in
// the far corner of a full 1024 x 128 array keeps 21 % of its current, a mid-array 10 uS cell 68 %) is at
// the severe end: it stands in for the input-dependent IR drop of large uncompensated arrays, the one
// effect that grows with array size and so separates the 784-row MLP arrays from the conv arrays.
struct CrossbarDeviceConfig {
  double g_min_uS = 2.0;
  double g_max_uS = 40.0;
  std::int64_t levels = 16;  // programmable states per device, >= 2 (<= 2^52)
  double prog_sigma_uS = 1.0;
  double read_sigma_rel = 0.03;
  bool read_noise_exact = false;  // per-device draws instead of the exact-distribution shortcut
  int dac_bits = 8;               // signed, 2..52
  int adc_bits = 8;               // signed, 2..52
  double dac_full_scale = 0.0;    // 0: from calibration (max |x|)
  double adc_headroom = 1.0;      // ADC full scale = headroom x calibration max current, > 0
  Eigen::Index tile_rows = 1024;
  Eigen::Index tile_cols = 128;
  double d2d_sigma_rel = 0.04;
  double adc_gain_sigma_rel = 0.04;
  double adc_offset_sigma_lsb = 1.0;
  double iv_nonlinearity = 0.2;
  double ir_drop = 3.75;
  double drift_sigma_uS = 0.0;  // per deploy, on devices not reprogrammed
  double program_us_per_cell = 20.0;
  double forward_us_per_sample = 1.0;
  double time_scale = 1.0;
  CrossbarFaults faults;  // injected at construction

  // Reads the keys above from `reader` (the caller calls finish()).
  void read(ConfigReader& reader);
  // Range checks; ConfigError naming the key under `path`.
  void validate(const std::string& path) const;
  // Everything off: no noise, no errors, the given resolution (tests, ideal references).
  static CrossbarDeviceConfig ideal(int bits = 40);
};

struct MemristorDenseConfig {
  Eigen::Index input_dim = 0;
  Eigen::Index output_dim = 0;
  Activation activation = Activation::relu;
  std::string init = "auto";  // as digital_dense: "auto" | "he" | "glorot"
  CrossbarDeviceConfig device;

  static MemristorDenseConfig from_json(const nlohmann::json& json,
                                        const std::string& path = "memristor_dense");
  void validate(const std::string& path = "memristor_dense") const;
  CrossbarGeometry geometry() const;
};

// 1-D convolution (MNIST-1D): input [in_channels][length].
struct MemristorConv1dConfig {
  Eigen::Index in_channels = 1;
  Eigen::Index length = 0;
  Eigen::Index out_channels = 0;
  Eigen::Index kernel = 0;
  Eigen::Index stride = 1;
  Eigen::Index padding = 0;
  Eigen::Index pool = 1;  // max-pooling window over positions (1: none)
  Activation activation = Activation::relu;
  std::string init = "auto";
  CrossbarDeviceConfig device;

  static MemristorConv1dConfig from_json(const nlohmann::json& json,
                                         const std::string& path = "memristor_conv1d");
  void validate(const std::string& path = "memristor_conv1d") const;
  CrossbarGeometry geometry() const;
};

// 2-D convolution: input [in_channels][height][width], square kernel, same stride and padding both ways.
struct MemristorConv2dConfig {
  Eigen::Index in_channels = 1;
  Eigen::Index height = 0;
  Eigen::Index width = 0;
  Eigen::Index out_channels = 0;
  Eigen::Index kernel = 0;
  Eigen::Index stride = 1;
  Eigen::Index padding = 0;
  Eigen::Index pool = 1;  // pool x pool max-pooling windows (1: none)
  Activation activation = Activation::relu;
  std::string init = "auto";
  CrossbarDeviceConfig device;

  static MemristorConv2dConfig from_json(const nlohmann::json& json,
                                         const std::string& path = "memristor_conv2d");
  void validate(const std::string& path = "memristor_conv2d") const;
  CrossbarGeometry geometry() const;
};

// The shared crossbar implementation (see the file comment). Construct through the three kinds below.
class MemristorCrossbarUnit : public Unit {
 public:
  ~MemristorCrossbarUnit() override;

  std::string kind() const override { return kind_; }
  Eigen::Index input_dim() const override { return geometry_.input_dim(); }
  Eigen::Index output_dim() const override { return geometry_.output_dim(); }
  Eigen::Index parameter_count() const override { return rows_ * cols_ + cols_; }

  void measure(const Eigen::Ref<const Matrix>& input, Measurement& out, Rng& rng) override;
  // Sets the DAC full scale (unless configured) and every array's ADC full scale; rng unused.
  void calibrate(const Eigen::Ref<const Matrix>& sample_inputs, Rng& rng) override;
  // Ideal model act(x W + b) at m.response with the activation mask from m.output (from m.pre_pool, and
  // the pooling routed to each window's measured maximum, when the unit pools).
  void gradient(const Measurement& m, const Eigen::Ref<const Matrix>& dL_dZ,
                Eigen::Ref<Vector> grad) const override;
  void deploy(const Eigen::Ref<const Vector>& parameters, Rng& rng) override;
  Vector parameters() const override;
  std::uint64_t version() const override;
  DeviceTiming timing() const override;
  DeviceLedger ledger() const override { return clock_.ledger(); }

  // Faults: inject (adds to present faults; stuck cells drawn from `rng`) and repair. Take effect for
  // measures that start after the call returns; the deploy version is unchanged.
  void inject_faults(const CrossbarFaults& faults, Rng& rng);
  // The Unit interface's form: `faults` is CrossbarFaults' JSON.
  void inject_faults(const nlohmann::json& faults, Rng& rng) override;
  void clear_faults();

  // ---- Diagnostics (tests, `pib device characterize`): hidden physical state, never for training ----
  struct Diagnostics {
    Matrix g_pos_uS, g_neg_uS;            // effective conductances (rows x cols), incl. every error and fault
    Matrix target_pos_uS, target_neg_uS;  // intended quantised conductances
    Eigen::Matrix<std::int8_t, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> stuck_pos,
        stuck_neg;  // 0/1 gmin/2 gmax
    std::vector<std::pair<Eigen::Index, AdcFaultMode>> adc_faults;
    double weight_scale = 1.0;  // w_max
    bool calibrated = false;
    double dac_full_scale = 0.0;
    Matrix adc_full_scale;  // row tiles x cols (column current units: uS x normalised volts)
    int adc_code_max = 0;   // M_a
  };
  Diagnostics diagnostics() const;
  // Reads every device once with read noise (single-cell read mode: no DAC, ADC or I-V): rows x cols each.
  // `in_array`: as the array's wires deliver it (IR drop included); otherwise the cell's own conductance
  // (the configured wire resistance compensated, as a four-terminal measurement would).
  void read_cells(Matrix& g_pos_uS, Matrix& g_neg_uS, Rng& rng, bool in_array = true) const;
  // An independent copy (same chip, state and calibration) that holds no device time: for characterization,
  // which programs the chip many times.
  std::unique_ptr<MemristorCrossbarUnit> untimed_copy() const;
  // Fraction of ADC conversions of the last measure that hit a rail (|code| = M_a) on a working channel.
  double last_adc_saturation_fraction() const;

  const CrossbarDeviceConfig& device_config() const { return device_; }
  const CrossbarGeometry& geometry() const { return geometry_; }
  Eigen::Index crossbar_rows() const { return rows_; }
  Eigen::Index crossbar_cols() const { return cols_; }
  Eigen::Index fault_channels() const override { return cols_; }

 protected:
  MemristorCrossbarUnit(std::string kind, CrossbarGeometry geometry, Activation activation,
                        CrossbarDeviceConfig device, const std::string& init, std::uint64_t seed);
  MemristorCrossbarUnit(const MemristorCrossbarUnit& other);  // clone: same chip and state, own ledger
  MemristorCrossbarUnit(const MemristorCrossbarUnit& other, DeviceTiming timing);  // ... with this timing

 private:
  using Mask = Eigen::Matrix<std::int8_t, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  using LevelMatrix = Eigen::Matrix<std::int64_t, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  struct Chip;         // seed-fixed defects
  struct FaultState;   // injected faults
  struct State;        // one programmed, immutable snapshot
  struct Calibration;  // DAC and ADC ranges
  struct Scratch;      // measure buffers

  void add_faults(State& state, const CrossbarFaults& faults, Rng& rng) const;
  void realise(State& state) const;  // effective conductances from levels, errors, chip and faults
  std::shared_ptr<const Calibration> load_calibration() const;
  // DAC quantise `input` into `response` and the row voltages f(v) into `volts` (n x input_dim).
  void quantise(const Eigen::Ref<const Matrix>& input, double x_fs, Eigen::Ref<Matrix> response,
                Eigen::Ref<Matrix> volts) const;

  std::string kind_;
  CrossbarGeometry geometry_;
  Activation activation_;
  CrossbarDeviceConfig device_;
  Eigen::Index rows_, cols_, row_tiles_;
  std::shared_ptr<const Chip> chip_;
  DeployedParameters<State> state_;  // version inside State (fault injection stores too)
  mutable std::mutex calibration_mutex_;
  std::shared_ptr<const Calibration> calibration_;  // guarded by calibration_mutex_; null until calibrated
  std::mutex writer_mutex_;                         // serialises deploy and fault injection
  mutable std::mutex scratch_mutex_;
  std::unique_ptr<Scratch> scratch_;  // guarded by scratch_mutex_
  DeviceClock clock_;
};

class MemristorDenseUnit final : public MemristorCrossbarUnit {
 public:
  MemristorDenseUnit(const MemristorDenseConfig& config, std::uint64_t seed);
  std::unique_ptr<Unit> clone() const override;

 private:
  MemristorDenseUnit(const MemristorDenseUnit& other) = default;
};

class MemristorConv1dUnit final : public MemristorCrossbarUnit {
 public:
  MemristorConv1dUnit(const MemristorConv1dConfig& config, std::uint64_t seed);
  std::unique_ptr<Unit> clone() const override;

 private:
  MemristorConv1dUnit(const MemristorConv1dUnit& other) = default;
};

class MemristorConv2dUnit final : public MemristorCrossbarUnit {
 public:
  MemristorConv2dUnit(const MemristorConv2dConfig& config, std::uint64_t seed);
  std::unique_ptr<Unit> clone() const override;

 private:
  MemristorConv2dUnit(const MemristorConv2dUnit& other) = default;
};

// `pib device characterize` for a crossbar unit (any of the three kinds; InvalidArgument otherwise), with
// draws from Rng::derive(seed, Stream::measure): first splits the programming error on an untimed copy of
// the unit (units/memristor_characterize.cpp says how: a fixed matrix and its negation programmed 8 times
// each, the cells' own conductances read `reads` times after each); then deploys a random weight matrix
// (uniform in [-1, 1], bias 0), reads every device `reads` times in single-cell read mode, calibrates on one
// random batch (256 samples, uniform in [-1, 1]) and measures another, then reads one fixed input `reads`
// times. JSON keys:
//   read_noise_rel: mean over devices of std / mean of the repeated cell reads.
//   program_error_stochastic_uS_rms: rms over working devices of the part of (cell conductance - target)
//     redrawn at every programming, read noise removed; estimates prog_sigma_uS (x the rms d2d factor).
//   program_error_systematic_uS_rms: rms over working devices of the part fixed per device (the chip's d2d
//     variation and any extra_d2d fault), the stochastic part's share removed;
//     program_error_systematic_uS_expected = d2d_sigma_rel x the rms target conductance, its configured
//     size. The array's other systematic errors (IR drop of the wires, ADC gain and offset, I-V) act on the
//     column path, not on a cell's conductance: they are listed under "systematic" as configured.
//   levels, levels_used: configured states per device, distinct target states in the random matrix.
//   adc_saturation_fraction: fraction of working-channel conversions at a rail on the measured batch.
//   column_noise_lsb: std of repeated reads of working channels at a fixed input, in LSB of the first row
//     tile's ADC.
//   measure_us_per_sample: device time per sample; simulation_wall_us_per_sample: the emulation's wall time.
//   deploy_us: device time of programming the random matrix (changed cells x program_us_per_cell).
//   faults: affected_channels (broken ADC channels and channels constant over the random batch),
//     adc_channels [{channel, mode}], constant_channels, stuck_cell_channels (channels with a stuck
//     device), stuck_at_gmin_cells, stuck_at_gmax_cells.
//   plus rows, cols, devices, reads, g_min_uS, g_max_uS, the configured noise sizes and "systematic".
// Note: it deploys (holding the programming channel for deploy_us / time_scale) and re-calibrates the unit.
nlohmann::json characterize_memristor(Unit& unit, std::uint64_t seed, int reads = 64);
// The same as the registry record's characterizer (`parameters` unused: it programs its own matrix).
DeviceCharacterization characterize_crossbar(Unit& unit, const nlohmann::json& parameters, std::uint64_t seed,
                                             int reads);

// Registry records of the crossbar kinds (factory of a config without the "kind" key, fault model, ideal
// model, characterization).
UnitKind memristor_dense_kind();
UnitKind memristor_conv1d_kind();
UnitKind memristor_conv2d_kind();

}  // namespace pib::units
