#pragma once
// The optical scattering unit `optical` (DESIGN.md 3.3): a broken-isomorphism unit. Inputs are encoded on a
// modulator, scattered by a fixed hidden complex transmission matrix T, read as speckle intensity |T x|^2 by
// an 8-bit camera, and then go through the trainable digital layer Z = act(S W + b) on the normalised frame
// S.
//
// Physics, per sample x (n_in features):
//  * encoding:   binary     (DMD) x_j > threshold_j ? 1 : 0, threshold 0 or the per-feature median; with
//                binary_levels L > 1 (median thresholds only), feature j drives L pixels, pixel q on when
//                x_j > the (q+1)/(L+1) quantile of feature j (a thermometer code: gray levels on a DMD);
//                amplitude8 (SLM) a_j = q(u_j), u_j = clamp((x_j - input_low_j) / (input_high_j -
//                input_low_j), 0, 1),
//                           q = 8-bit rounding round(255 u) / 255;
//                phase8     (SLM) exp(i pi q(u_j)); with phase_harmonics H > 1, feature j drives H pixels,
//                           pixel h (0-based) at exp(i (h+1) pi q(u_j)) (the SLM wraps the phase), so the
//                           intensities, quadratic in the pixels' fields, are no longer confined to the
//                           1 + 2 C(n_in + 1, 2) functions of one pixel per feature (7 for two features).
//                plus `reference_pixels` constant pixels (value 1 = phase 0). Phase encoding sees only phase
//                differences; a reference pixel makes a common phase shift of the inputs visible
//                (DESIGN 3.3).
//  * scattering: T is n_speckle x (n_mod + reference_pixels), n_mod = n_in * binary_levels * phase_harmonics
//                modulator input pixels, Re and Im iid N(0, 1/n_mod), drawn from Rng::derive(seed,
//                Stream::unit_physics): all of Re T row-major, then all of Im T. Hidden: only tests and
//                characterisation may read it.
//  * camera:     mean signal in DN = gain * |T x|^2 with the gain from calibration (the calibration
//  percentile
//                of the noise-free intensities, default 99.9, maps to full scale 2^camera_bits - 1); shot
//                noise on e = DN * full_well_e / (2^bits - 1) electrons: exact Poisson (Knuth) when e < 30,
//                otherwise the Gaussian N(e, e) (skewness 1/sqrt(30) ~ 0.18 at the switch, below the DN
//                rounding for camera_bits <= 8); read noise N(0, read_noise_dn^2); then rounding to integer
//                DN and clipping to [0, 2^bits - 1] (saturation). S = DN / (2^bits - 1) in [0, 1].
//  * drift:      optional, T <- sqrt(1 - eps^2) T + eps N per second of device time (eps = drift_per_s),
//                applied in whole-second steps at measure time as one equivalent step. T belongs to the
//                scattering medium, which a unit shares with its clones (the same physical sample measured
//                by several devices, e.g. an agent's online and target networks); the medium's time is the
//                busy device time (measuring and programming, as the ledgers count it) of every device on
//                it, so a seeded run drifts identically however fast the emulation runs.
//  * faults:     inject_faults({"adc_channels": [{"channel": j, "mode": ...}]}) breaks camera pixel j's
//                readout: it reads 0, full scale, or a uniformly random level (units/fault.hpp).
//  * digital layer: Z = act(S W + b), flat parameters [W row-major (n_speckle x output_dim), b], initialised
//                from Rng::derive(seed, Stream::unit_init) by init_dense_parameters (He for relu, Glorot
//                otherwise).
//
// Drift noise comes from Rng::derive(seed, Stream::unit_drift).
//
// Calibration: calibrate(sample_inputs) sets the per-feature input range (min/max of the samples, unless
// input_low/input_high are configured), the binary medians (binary_threshold "median", unless binary_median
// is configured) and the camera gain. If the unit is not calibrated, the first measure calibrates on its own
// batch.
//
// Precision: `precision` "float32" (default) runs the optics and the digital layer in single precision — the
// camera is 8-bit, so float's 24-bit mantissa is invisible, and it is about twice as fast; "float64" for
// exact comparisons with the ideal model. Gradients are always computed in double.
//
// Config keys (defaults): input_dim, output_dim (required), activation "relu", init "auto", encoding
// "phase8", binary_threshold "zero" | "median", binary_median [per feature], binary_levels 1, input_low,
// input_high (number or per-feature array), reference_pixels (1 for phase8, 0 otherwise), n_speckle 1024,
// camera_bits 8, camera_calibration_percentile 99.9, full_well_e 10000, shot_noise true, read_noise_dn 1,
// drift_per_s 0, precision "float32", forward_us_per_sample (500 for binary: a 2 kHz DMD; 16667 for
// phase8/amplitude8: a 60 Hz SLM), deploy_us (one frame: the forward_us_per_sample default), time_scale 1.
//
// Thread-safety: the Unit contract. Concurrent measures compute in parallel (each on its own buffers, from
// one snapshot of the calibration, faults and T) and then queue for the device; deploy swaps parameters
// without blocking measures. calibrate() may be called from any thread.

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <Eigen/Core>
#include <nlohmann/json.hpp>

#include "common/random.hpp"
#include "units/device.hpp"
#include "units/digital.hpp"
#include "units/fault.hpp"
#include "units/registry.hpp"
#include "units/twin.hpp"
#include "units/unit.hpp"

namespace pib::units {

enum class OpticalEncoding { binary, phase8, amplitude8 };

struct OpticalConfig {
  Eigen::Index input_dim = 0;
  Eigen::Index output_dim = 0;
  Activation activation = Activation::relu;
  std::string init = "auto";
  OpticalEncoding encoding = OpticalEncoding::phase8;
  bool binary_threshold_median = false;  // key binary_threshold: "zero" | "median"
  std::vector<double> binary_median;     // empty: from calibration
  Eigen::Index binary_levels = 1;        // DMD pixels per feature (thermometer code at quantile thresholds)
  Eigen::Index phase_harmonics = 1;      // phase8: SLM pixels per feature, at 1, 2, ... times its phase
  std::vector<double> input_low;         // empty: from calibration; else input_dim values
  std::vector<double> input_high;        // idem
  Eigen::Index reference_pixels = 1;
  Eigen::Index n_speckle = 1024;
  int camera_bits = 8;
  double camera_calibration_percentile = 99.9;
  double full_well_e = 10000.0;
  bool shot_noise = true;
  double read_noise_dn = 1.0;
  double drift_per_s = 0.0;
  bool single_precision = true;  // key precision: "float32" | "float64"
  DeviceTiming timing{16667.0, 16667.0, 1.0};

  static OpticalConfig from_json(const nlohmann::json& json, const std::string& path = "optical");
  // Modulator pixels that carry the input: input_dim, times binary_levels (binary) or phase_harmonics
  // (phase8).
  Eigen::Index pixels_per_feature() const { return binary_levels * phase_harmonics; }
  Eigen::Index modulator_inputs() const { return input_dim * pixels_per_feature(); }
  // Columns of OpticalUnit::modulator_pattern: the modulator pixels (with the reference pixels), twice that
  // for phase8 (cos and sin of each).
  Eigen::Index pattern_features() const;
  void validate(const std::string& path = "optical") const;
  std::string encoding_name() const;
};

class OpticalUnit final : public Unit {
 public:
  OpticalUnit(OpticalConfig config, std::uint64_t seed);
  ~OpticalUnit() override;

  std::string kind() const override { return "optical"; }
  Eigen::Index input_dim() const override { return config_.input_dim; }
  Eigen::Index output_dim() const override { return config_.output_dim; }
  Eigen::Index parameter_count() const override {
    return dense_parameter_count(config_.n_speckle, config_.output_dim);
  }

  // response = the camera frame S (n x n_speckle, in [0, 1]); output = act(S W + b). Noise from `rng`.
  void measure(const Eigen::Ref<const Matrix>& input, Measurement& out, Rng& rng) override;
  // Gradient through the digital layer only, at the measured frame m.response.
  void gradient(const Measurement& m, const Eigen::Ref<const Matrix>& dL_dZ,
                Eigen::Ref<Vector> grad) const override;
  void deploy(const Eigen::Ref<const Vector>& parameters, Rng& rng) override;
  Vector parameters() const override { return params_.load().value->flat; }
  std::uint64_t version() const override { return params_.version(); }
  DeviceTiming timing() const override { return clock_.timing(); }
  DeviceLedger ledger() const override { return clock_.ledger(); }
  std::unique_ptr<Unit> clone() const override;
  void inject_faults(const nlohmann::json& faults, Rng& rng) override;
  Eigen::Index fault_channels() const override { return config_.n_speckle; }
  bool has_raw_response() const override { return true; }  // the camera frame
  bool drifts() const override { return config_.drift_per_s > 0.0; }

  // Input range, medians (as configured or from the samples) and camera gain from `sample_inputs`
  // (n x input_dim, n >= 1). Replaces any earlier calibration.
  void calibrate(const Eigen::Ref<const Matrix>& sample_inputs);
  void calibrate(const Eigen::Ref<const Matrix>& sample_inputs, Rng&) override { calibrate(sample_inputs); }
  bool calibrated() const;
  // Camera gain in DN per unit of |T x|^2 (0 before calibration).
  double camera_gain_dn() const;
  // The modulator pattern of `input` (n x input_dim) under the current calibration, as real features
  // (n x config().pattern_features()): the pixels for binary and amplitude8, [cos | sin] of every pixel's
  // phase for phase8, reference pixels last in each block. This is the user's own encoding, not the hidden
  // medium: a twin fitted from measured frames (units/optical_twin.cpp) builds on it. Calibrates on `input`
  // when the unit is not calibrated yet.
  void modulator_pattern(const Eigen::Ref<const Matrix>& input, Matrix& pattern);

  const OpticalConfig& config() const { return config_; }

  // FOR TESTS AND CHARACTERISATION ONLY — the hidden physics. Training code must not call these.
  // The current complex transmission matrix, n_speckle x (modulator_inputs() + reference_pixels).
  Eigen::MatrixXcd transmission_matrix() const;

 private:
  using MatrixF = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  template <typename S>
  struct Buffers;
  struct Scratch;  // the compute buffers of one measure in flight
  struct Params {  // one immutable deployed snapshot of the digital layer
    Vector flat;
    Matrix w;  // n_speckle x output_dim, precision float64 (empty otherwise)
    Eigen::RowVectorXd b;
    MatrixF w32;  // the same for precision float32
    Eigen::RowVectorXf b32;
  };
  static Params unpack(const OpticalConfig& config, const Eigen::Ref<const Vector>& flat);
  struct Calibration {
    bool done = false;
    Vector low, high;  // per input feature
    Vector threshold;  // per binary modulator pixel (input_dim x binary_levels, row-major)
    double gain_dn = 0.0;
  };
  // Everything a measure reads besides the parameters: one immutable snapshot, replaced whole (mutex_ held)
  // when the calibration, the faults or (by drift) T change, so measures compute without holding a lock.
  struct Physics {
    Calibration calibration;
    std::vector<AdcChannelFault> adc_faults;   // broken camera readouts
    std::shared_ptr<const MatrixF> stacked32;  // T as one real matrix (see Buffers), precision float32
    std::shared_ptr<const Matrix> stacked64;   // idem, precision float64
  };

  struct Medium {       // the scattering medium, shared with clones
    std::mutex mutex;   // guards everything below
    Matrix t_re, t_im;  // the hidden transmission matrix, double
    Rng drift_rng;
    double time_s = 0.0;           // busy device time of every device on the medium
    double drifted_to_s = 0.0;     // medium time up to which drift has been applied
    std::uint64_t generation = 0;  // counts drift applications
  };

  OpticalUnit(const OpticalUnit& other);  // for clone(): same medium, calibration and parameters
  void rebuild_stacked_locked();  // T from the medium into a new physics_ (mutex_ held, medium unlocked)
  void calibrate_locked(const Eigen::Ref<const Matrix>& sample_inputs);
  void apply_drift_locked();
  template <typename E>
  void encode(const Calibration& c, const Eigen::Ref<const Matrix>& input, E& encoded) const;
  template <typename S, typename M>
  void scatter(const Calibration& c, const M& stacked, Buffers<S>& b,
               const Eigen::Ref<const Matrix>& input) const;  // encoding + field
  template <typename S, typename M>
  void forward(const Physics& physics, const M& stacked, Buffers<S>& b, const Params& params,
               const Eigen::Ref<const Matrix>& input, Measurement& out, Rng& rng) const;
  std::unique_ptr<Scratch> take_scratch();
  void give_back(std::unique_ptr<Scratch> scratch);

  OpticalConfig config_;
  std::uint64_t seed_;
  mutable std::mutex mutex_;  // guards everything below up to scratch_mutex_
  std::shared_ptr<Medium> medium_;
  std::shared_ptr<const Physics> physics_;
  double reported_busy_us_ = 0.0;        // this device's busy time already added to the medium's time
  std::uint64_t kernel_generation_ = 0;  // the medium generation physics_ was built from
  std::mutex scratch_mutex_;
  std::vector<std::unique_ptr<Scratch>> idle_scratch_;  // guarded by scratch_mutex_
  DeployedParameters<Params> params_;
  DeviceClock clock_;
};

// Registry factory for "optical" (config without the "kind" key).
std::unique_ptr<Unit> make_optical_unit(const nlohmann::json& config, std::uint64_t seed);
// `pib device characterize` for an optical unit (units/optical_characterize.cpp; keys documented there).
DeviceCharacterization characterize_optical(Unit& unit, const nlohmann::json& parameters, std::uint64_t seed,
                                            int reads);
// The optical twin (units/optical_twin.cpp): the square-law model of the camera frame fitted from measured
// frames, and the samples that determine it (2 x pattern_features + 1).
FittedTwin fit_optical_twin(Unit& unit, const Eigen::Ref<const Matrix>& pool, const TwinSettings& settings,
                            const std::string& key, Rng& rng);
Eigen::Index optical_twin_min_samples(const nlohmann::json& config);
// The registry record of "optical" (input size from the input_dim key; no ideal model: its physics is
// hidden; a twin fitted from measured frames).
UnitKind optical_kind();

}  // namespace pib::units
