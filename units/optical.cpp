#include "units/optical.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <numbers>
#include <utility>

#include "common/config.hpp"
#include "common/error.hpp"

namespace pib::units {
namespace {

// ---- Fast exact standard normal: Marsaglia & Tsang's ziggurat (J. Stat. Softw. 5(8), 2000), 256 layers, as
// in Doornik (2005) "An improved ziggurat method". One 64-bit draw and a table lookup 98.8 % of the time.
class Ziggurat {
 public:
  static const Ziggurat& instance() {
    static const Ziggurat table;  // thread-safe one-time initialisation
    return table;
  }
  double operator()(Rng& rng) const {
    const std::uint64_t u = rng();
    const double x = layer_point(u);
    if (std::abs(x) < x_[(u & 0xFFu) + 1]) [[likely]]
      return x;
    return slow(u, rng);
  }
  // n normals into out: the generator's state stays in registers and the common case is inline.
  void fill(Rng& rng, double* out, std::ptrdiff_t n) const {
    Rng local = rng;
    for (std::ptrdiff_t j = 0; j < n; ++j) {
      const std::uint64_t u = local();
      const double x = layer_point(u);
      if (std::abs(x) < x_[(u & 0xFFu) + 1]) [[likely]] {
        out[j] = x;
      } else {
        Rng spilled = local;  // local's address is never taken, so it can live in registers
        out[j] = slow(u, spilled);
        local = spilled;
      }
    }
    rng = local;
  }

 private:
  // The point of u's layer (low 8 bits) at u's 53-bit uniform, with bit 8 of u as its sign (branch-free).
  double layer_point(std::uint64_t u) const {
    const std::uint64_t sign_bit = (u & 0x100u) << 55;
    const double x = static_cast<double>(u >> 11) * 0x1.0p-53 * x_[u & 0xFFu];
    return std::bit_cast<double>(std::bit_cast<std::uint64_t>(x) ^ sign_bit);
  }
  // The draw u fell outside its layer's rectangle core: the tail, the wedge test, or a fresh draw.
  [[gnu::noinline]] double slow(std::uint64_t u, Rng& rng) const {
    for (;;) {
      const unsigned layer = static_cast<unsigned>(u & 0xFFu);
      const double sign = (u & 0x100u) ? -1.0 : 1.0;
      const double x = static_cast<double>(u >> 11) * 0x1.0p-53 * x_[layer];
      if (x < x_[layer + 1]) return sign * x;
      if (layer == 0) {  // the tail beyond R (Marsaglia 1964)
        double t, y;
        do {
          t = -std::log(1.0 - rng.uniform()) / kR;
          y = -std::log(1.0 - rng.uniform());
        } while (2.0 * y < t * t);
        return sign * (kR + t);
      }
      if (f_[layer + 1] + (f_[layer] - f_[layer + 1]) * rng.uniform() < std::exp(-0.5 * x * x))
        return sign * x;
      u = rng();
    }
  }

  static constexpr int kLayers = 256;
  static constexpr double kR = 3.6541528853610088;  // start of the tail
  static constexpr double kV = 0.00492867323399;    // area of each layer
  Ziggurat() {
    const auto f = [](double x) { return std::exp(-0.5 * x * x); };
    x_[0] = kV / f(kR);
    x_[1] = kR;
    for (int i = 1; i < kLayers - 1; ++i)
      x_[i + 1] = std::sqrt(-2.0 * std::log(kV / x_[i] + f(x_[i])));
    x_[kLayers] = 0.0;
    for (int i = 0; i <= kLayers; ++i)
      f_[i] = f(x_[i]);
  }
  std::array<double, kLayers + 1> x_{};
  std::array<double, kLayers + 1> f_{};
};

// round(x) to the nearest integer (ties to even) for 0 <= x < 2^52: adding 2^52 leaves no fraction bits, and
// the sum rounds in the current (nearest) mode. Vectorises with plain SSE2, where std::round is a call.
inline double round_nonnegative(double x) {
  constexpr double kTwo52 = 0x1.0p52;
  return (x + kTwo52) - kTwo52;
}

// Poisson(mean) for small means by Knuth's multiplication method (mean < 30 here: at most a few dozen draws).
double poisson_small(double mean, Rng& rng) {
  const double limit = std::exp(-mean);
  double product = rng.uniform();
  double k = 0.0;
  while (product > limit) {
    product *= rng.uniform();
    k += 1.0;
  }
  return k;
}

constexpr double kPoissonExactBelow_e = 30.0;  // exact Poisson below this many electrons, Gaussian above
// cos and sin of the 256 phase levels pi * level / 255 of an 8-bit SLM.
const std::array<std::pair<double, double>, 256>& phase_table() {
  static const auto table = [] {
    std::array<std::pair<double, double>, 256> t{};
    for (std::size_t level = 0; level < t.size(); ++level) {
      const double angle = std::numbers::pi * static_cast<double>(level) / 255.0;
      t[level] = {std::cos(angle), std::sin(angle)};
    }
    return t;
  }();
  return table;
}

// Value of the `percentile` (0, 100] of `values` (copied; nth_element).
double percentile_of(std::vector<double> values, double percentile) {
  const auto n = values.size();
  auto k = static_cast<std::size_t>(std::ceil(percentile / 100.0 * static_cast<double>(n)));
  k = std::clamp<std::size_t>(k, 1, n) - 1;
  std::nth_element(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(k), values.end());
  return values[k];
}

// The transmission matrix as one real matrix acting on row-vector inputs (see Kernel).
template <typename M>
void build_stacked(const Matrix& t_re, const Matrix& t_im, bool phase, M& stacked) {
  using Scalar = typename M::Scalar;
  const Eigen::Index m = t_re.cols(), p = t_re.rows();
  if (phase) {
    stacked.resize(2 * m, 2 * p);
    stacked.topLeftCorner(m, p) = t_re.transpose().cast<Scalar>();
    stacked.topRightCorner(m, p) = t_im.transpose().cast<Scalar>();
    stacked.bottomLeftCorner(m, p) = -t_im.transpose().cast<Scalar>();
    stacked.bottomRightCorner(m, p) = t_re.transpose().cast<Scalar>();
  } else {
    stacked.resize(m, 2 * p);
    stacked.leftCols(p) = t_re.transpose().cast<Scalar>();
    stacked.rightCols(p) = t_im.transpose().cast<Scalar>();
  }
}

}  // namespace

// ---- The compute kernel: stacked real transmission matrix and scratch in precision S -------------------

// The field is one real GEMM with the stacked transmission matrix (Physics::stacked32/64):
// real inputs (binary, amplitude8): field [Re E | Im E] = x [Re T^T | Im T^T]   (m x 2p);
// phase inputs: [Re E | Im E] = [cos | sin] [[Re T^T, Im T^T], [-Im T^T, Re T^T]]   (2m x 2p).
template <typename S>
struct OpticalUnit::Buffers {
  using M = Eigen::Matrix<S, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  M encoded, field, frame, z;     // resized only when the batch size changes
  std::vector<double> dn, noise;  // one camera row: mean DN, standard normals
};

struct OpticalUnit::Scratch {
  Buffers<float> f32;
  Buffers<double> f64;
};

std::unique_ptr<OpticalUnit::Scratch> OpticalUnit::take_scratch() {
  {
    std::lock_guard lock(scratch_mutex_);
    if (!idle_scratch_.empty()) {
      auto s = std::move(idle_scratch_.back());
      idle_scratch_.pop_back();
      return s;
    }
  }
  return std::make_unique<Scratch>();
}

void OpticalUnit::give_back(std::unique_ptr<Scratch> scratch) {
  std::lock_guard lock(scratch_mutex_);
  idle_scratch_.push_back(std::move(scratch));
}

OpticalUnit::Params OpticalUnit::unpack(const OpticalConfig& config, const Eigen::Ref<const Vector>& flat) {
  const Eigen::Index in = config.n_speckle, out = config.output_dim;
  if (flat.size() != dense_parameter_count(in, out))
    raise<InvalidArgument>("optical: ", flat.size(), " parameters given, expected ",
                           dense_parameter_count(in, out));
  Params p;
  p.flat = flat;
  const Eigen::Map<const Matrix> w(flat.data(), in, out);
  if (config.single_precision) {  // only the precision the forward pass uses
    p.w32 = w.cast<float>();
    p.b32 = flat.tail(out).transpose().cast<float>();
  } else {
    p.w = w;
    p.b = flat.tail(out).transpose();
  }
  return p;
}

OpticalUnit::OpticalUnit(OpticalConfig config, std::uint64_t seed)
    : config_(std::move(config)),
      seed_(seed),
      medium_(std::make_shared<Medium>()),
      params_([&] {
        Rng rng = Rng::derive(seed, Stream::unit_init);
        return unpack(config_, init_dense_parameters(config_.n_speckle, config_.output_dim,
                                                     config_.activation, config_.init, rng));
      }()),
      clock_(config_.timing) {
  config_.validate("optical");
  const Eigen::Index m = config_.modulator_inputs() + config_.reference_pixels;
  const double sigma = 1.0 / std::sqrt(static_cast<double>(config_.modulator_inputs()));
  Rng rng = Rng::derive(seed, Stream::unit_physics);
  medium_->drift_rng.reseed(derive_seed(seed, Stream::unit_drift));
  medium_->t_re.resize(config_.n_speckle, m);
  medium_->t_im.resize(config_.n_speckle, m);
  for (Eigen::Index i = 0; i < medium_->t_re.size(); ++i)
    medium_->t_re.data()[i] = sigma * rng.normal();
  for (Eigen::Index i = 0; i < medium_->t_im.size(); ++i)
    medium_->t_im.data()[i] = sigma * rng.normal();
  physics_ = std::make_shared<const Physics>();
  rebuild_stacked_locked();
}

OpticalUnit::OpticalUnit(const OpticalUnit& other)
    : Unit(),
      config_(other.config_),
      seed_(other.seed_),
      params_(*other.params_.load().value),
      clock_(other.config_.timing) {
  std::lock_guard lock(other.mutex_);
  medium_ = other.medium_;
  physics_ = other.physics_;  // immutable: shared until either unit replaces its own
  kernel_generation_ = other.kernel_generation_;
}

OpticalUnit::~OpticalUnit() = default;

std::unique_ptr<Unit> OpticalUnit::clone() const {
  return std::unique_ptr<Unit>(new OpticalUnit(*this));
}

void OpticalUnit::rebuild_stacked_locked() {
  const bool phase = config_.encoding == OpticalEncoding::phase8;
  auto next = std::make_shared<Physics>(*physics_);
  std::lock_guard medium(medium_->mutex);
  if (config_.single_precision) {
    auto stacked = std::make_shared<MatrixF>();
    build_stacked(medium_->t_re, medium_->t_im, phase, *stacked);
    next->stacked32 = std::move(stacked);
  } else {
    auto stacked = std::make_shared<Matrix>();
    build_stacked(medium_->t_re, medium_->t_im, phase, *stacked);
    next->stacked64 = std::move(stacked);
  }
  kernel_generation_ = medium_->generation;
  physics_ = std::move(next);
}

Eigen::MatrixXcd OpticalUnit::transmission_matrix() const {
  std::lock_guard lock(medium_->mutex);
  Eigen::MatrixXcd t(medium_->t_re.rows(), medium_->t_re.cols());
  t.real() = medium_->t_re;
  t.imag() = medium_->t_im;
  return t;
}

bool OpticalUnit::calibrated() const {
  std::lock_guard lock(mutex_);
  return physics_->calibration.done;
}

double OpticalUnit::camera_gain_dn() const {
  std::lock_guard lock(mutex_);
  return physics_->calibration.gain_dn;
}

void OpticalUnit::modulator_pattern(const Eigen::Ref<const Matrix>& input, Matrix& pattern) {
  if (input.cols() != config_.input_dim)
    raise<InvalidArgument>("optical: input has ", input.cols(), " columns, expected ", config_.input_dim);
  std::shared_ptr<const Physics> physics;
  {
    std::lock_guard lock(mutex_);
    if (!physics_->calibration.done) calibrate_locked(input);
    physics = physics_;
  }
  encode(physics->calibration, input, pattern);
}

// ---- Calibration --------------------------------------------------------------------------------------

void OpticalUnit::calibrate(const Eigen::Ref<const Matrix>& sample_inputs) {
  std::lock_guard lock(mutex_);
  calibrate_locked(sample_inputs);
}

void OpticalUnit::calibrate_locked(const Eigen::Ref<const Matrix>& x) {
  if (x.cols() != config_.input_dim || x.rows() < 1)
    raise<InvalidArgument>("optical: calibration inputs are ", x.rows(), "x", x.cols(), ", expected n x ",
                           config_.input_dim, " with n >= 1");
  const Eigen::Index d = config_.input_dim;
  Calibration c;
  if (config_.input_low.empty()) {
    c.low = x.colwise().minCoeff().transpose();
    c.high = x.colwise().maxCoeff().transpose();
    for (Eigen::Index j = 0; j < d; ++j)
      if (!(c.high[j] > c.low[j])) c.high[j] = c.low[j] + 1.0;  // a constant feature encodes as 0
  } else {
    c.low = Eigen::Map<const Vector>(config_.input_low.data(), d);
    c.high = Eigen::Map<const Vector>(config_.input_high.data(), d);
  }
  const Eigen::Index levels = config_.binary_levels;
  c.threshold = Vector::Zero(d * levels);
  if (config_.binary_threshold_median) {
    if (!config_.binary_median.empty()) {
      c.threshold = Eigen::Map<const Vector>(config_.binary_median.data(), d);
    } else {
      for (Eigen::Index j = 0; j < d; ++j) {
        for (Eigen::Index q = 0; q < levels; ++q) {
          std::vector<double> column(x.col(j).begin(), x.col(j).end());
          const double percent = 100.0 * static_cast<double>(q + 1) / static_cast<double>(levels + 1);
          c.threshold[j * levels + q] = percentile_of(std::move(column), percent);
        }
      }
    }
  }
  // Noise-free intensities of the samples in double, then the gain that puts the percentile at full scale.
  Matrix stacked;
  {
    std::lock_guard medium(medium_->mutex);
    build_stacked(medium_->t_re, medium_->t_im, config_.encoding == OpticalEncoding::phase8, stacked);
  }
  Buffers<double> kernel;
  scatter(c, stacked, kernel, x);
  const Eigen::Index p = config_.n_speckle;
  std::vector<double> intensities;
  intensities.reserve(static_cast<std::size_t>(x.rows() * p));
  for (Eigen::Index i = 0; i < x.rows(); ++i)
    for (Eigen::Index k = 0; k < p; ++k) {
      const double re = kernel.field(i, k), im = kernel.field(i, p + k);
      intensities.push_back(re * re + im * im);
    }
  const double at_percentile = percentile_of(std::move(intensities), config_.camera_calibration_percentile);
  if (!(at_percentile > 0.0))
    raise<InvalidArgument>("optical: calibration inputs give zero speckle intensity at the ",
                           config_.camera_calibration_percentile, "th percentile");
  const double full_scale_dn = std::ldexp(1.0, config_.camera_bits) - 1.0;
  c.gain_dn = full_scale_dn / at_percentile;
  c.done = true;
  auto next = std::make_shared<Physics>(*physics_);
  next->calibration = std::move(c);
  physics_ = std::move(next);
}

// ---- Drift --------------------------------------------------------------------------------------------

void OpticalUnit::apply_drift_locked() {
  if (config_.drift_per_s <= 0.0) return;
  const double busy_us = clock_.ledger().busy_us;
  bool stale;
  {
    std::lock_guard lock(medium_->mutex);
    Medium& md = *medium_;
    md.time_s += (busy_us - reported_busy_us_) * 1e-6;
    reported_busy_us_ = busy_us;
    const double steps = std::floor(md.time_s - md.drifted_to_s);
    if (steps >= 1.0) {
      md.drifted_to_s += steps;
      // k steps of T <- sqrt(1 - eps^2) T + eps N compose to T <- a T + sqrt(1 - a^2) N with a = (1 -
      // eps^2)^(k/2).
      const double a = std::pow(1.0 - config_.drift_per_s * config_.drift_per_s, 0.5 * steps);
      const double b =
          std::sqrt(std::max(0.0, 1.0 - a * a)) / std::sqrt(static_cast<double>(config_.modulator_inputs()));
      const Ziggurat& normal = Ziggurat::instance();
      for (Eigen::Index i = 0; i < md.t_re.size(); ++i)
        md.t_re.data()[i] = a * md.t_re.data()[i] + b * normal(md.drift_rng);
      for (Eigen::Index i = 0; i < md.t_im.size(); ++i)
        md.t_im.data()[i] = a * md.t_im.data()[i] + b * normal(md.drift_rng);
      ++md.generation;
    }
    stale = kernel_generation_ != md.generation;
  }
  if (stale) rebuild_stacked_locked();
}

// ---- Measure ------------------------------------------------------------------------------------------

template <typename E>
void OpticalUnit::encode(const Calibration& c, const Eigen::Ref<const Matrix>& x, E& encoded) const {
  using S = typename E::Scalar;
  const Eigen::Index n = x.rows(), d = config_.input_dim, levels = config_.binary_levels,
                     harmonics = config_.phase_harmonics,
                     m = config_.modulator_inputs() + config_.reference_pixels;
  const bool phase = config_.encoding == OpticalEncoding::phase8;
  // 8-bit phase via a 256-entry table of cos/sin.
  encoded.resize(n, phase ? 2 * m : m);
  for (Eigen::Index i = 0; i < n; ++i) {
    if (config_.encoding == OpticalEncoding::binary) {
      for (Eigen::Index j = 0; j < d * levels; ++j)  // pixel j * levels + q: feature j above threshold q
        encoded(i, j) = x(i, j / levels) > c.threshold[j] ? S(1) : S(0);
    }
    for (Eigen::Index j = 0; j < d && config_.encoding != OpticalEncoding::binary; ++j) {
      const double xj = x(i, j);
      const double u = std::clamp((xj - c.low[j]) / (c.high[j] - c.low[j]), 0.0, 1.0);
      const double level = round_nonnegative(255.0 * u);
      if (phase) {
        const auto& [cos_level, sin_level] = phase_table()[static_cast<std::size_t>(level)];
        encoded(i, j * harmonics) = static_cast<S>(cos_level);
        encoded(i, m + j * harmonics) = static_cast<S>(sin_level);
        for (Eigen::Index h = 1; h < harmonics; ++h) {  // pixel h: (h + 1) times the phase
          const double angle = static_cast<double>(h + 1) * std::numbers::pi * level / 255.0;
          encoded(i, j * harmonics + h) = static_cast<S>(std::cos(angle));
          encoded(i, m + j * harmonics + h) = static_cast<S>(std::sin(angle));
        }
      } else {
        encoded(i, j) = static_cast<S>(level / 255.0);
      }
    }
    for (Eigen::Index j = config_.modulator_inputs(); j < m; ++j) {  // reference pixels: amplitude 1, phase 0
      encoded(i, j) = S(1);
      if (phase) encoded(i, m + j) = S(0);
    }
  }
}

template <typename S, typename M>
void OpticalUnit::scatter(const Calibration& c, const M& stacked, Buffers<S>& k,
                          const Eigen::Ref<const Matrix>& x) const {
  const Eigen::Index n = x.rows(), p = config_.n_speckle;
  // 1. Modulator encoding.
  encode(c, x, k.encoded);

  // 2. Scattering: one real GEMM gives [Re E | Im E].
  k.field.resize(n, 2 * p);
  k.field.noalias() = k.encoded * stacked;
}

template <typename S, typename M>
void OpticalUnit::forward(const Physics& physics, const M& stacked, Buffers<S>& k, const Params& params,
                          const Eigen::Ref<const Matrix>& x, Measurement& out, Rng& rng) const {
  const Calibration& c = physics.calibration;
  scatter(c, stacked, k, x);
  const Eigen::Index n = x.rows(), p = config_.n_speckle;

  // 3. Camera: intensity, gain, shot and read noise, 8-bit rounding, saturation.
  const double full_scale_dn = std::ldexp(1.0, config_.camera_bits) - 1.0;
  const double inv_full_scale = 1.0 / full_scale_dn;
  const double e_per_dn = config_.full_well_e / full_scale_dn;
  const double dn_per_e = 1.0 / e_per_dn;
  const double read_var = config_.read_noise_dn * config_.read_noise_dn;
  const double gain = c.gain_dn;
  const bool shot = config_.shot_noise;
  const bool read = config_.read_noise_dn > 0.0;
  const Ziggurat& normal = Ziggurat::instance();
  out.response.resize(n, p);
  k.frame.resize(n, p);
  k.dn.resize(static_cast<std::size_t>(p));
  k.noise.resize(static_cast<std::size_t>(p));
  double* mean_dn = k.dn.data();
  double* z = k.noise.data();
  Rng local = rng;  // a local copy keeps the generator's state in registers in the loop below
  // Each row runs in passes the compiler vectorises, around the one sequential part (the normal draws):
  // one standard normal per pixel, shot and read noise as one Gaussian; pixels under kPoissonExactBelow_e
  // electrons are redone with exact Poisson electrons (plus the same pixel's normal as read noise).
  for (Eigen::Index i = 0; i < n; ++i) {
    const S* re = k.field.row(i).data();
    const S* im = re + p;
    double* response = out.response.row(i).data();
    S* frame = k.frame.row(i).data();
    for (Eigen::Index j = 0; j < p; ++j)
      mean_dn[j] = gain * (static_cast<double>(re[j]) * re[j] + static_cast<double>(im[j]) * im[j]);
    if (shot || read) normal.fill(local, z, p);
    if (shot) {
      for (Eigen::Index j = 0; j < p; ++j)
        response[j] = mean_dn[j] + std::sqrt(mean_dn[j] * dn_per_e + read_var) * z[j];
      for (Eigen::Index j = 0; j < p; ++j) {
        const double electrons = mean_dn[j] * e_per_dn;
        if (electrons < kPoissonExactBelow_e) [[unlikely]]
          response[j] = poisson_small(electrons, local) * dn_per_e + config_.read_noise_dn * z[j];
      }
    } else if (read) {
      for (Eigen::Index j = 0; j < p; ++j)
        response[j] = mean_dn[j] + config_.read_noise_dn * z[j];
    } else {
      std::copy_n(mean_dn, p, response);
    }
    for (Eigen::Index j = 0; j < p; ++j) {
      response[j] = round_nonnegative(std::clamp(response[j], 0.0, full_scale_dn)) * inv_full_scale;
      frame[j] = static_cast<S>(response[j]);
    }
  }
  rng = local;
  for (const auto& fault : physics.adc_faults) {  // broken pixel readouts
    for (Eigen::Index i = 0; i < n; ++i) {
      double level = 0.0;
      if (fault.mode == AdcFaultMode::full_scale)
        level = 1.0;
      else if (fault.mode == AdcFaultMode::noise)
        level =
            static_cast<double>(rng.below(static_cast<std::uint64_t>(full_scale_dn) + 1)) * inv_full_scale;
      out.response(i, fault.channel) = level;
      k.frame(i, fault.channel) = static_cast<S>(level);
    }
  }

  // 4. The trainable digital layer on the frame.
  k.z.resize(n, config_.output_dim);
  if constexpr (std::is_same_v<S, float>) {
    k.z.noalias() = k.frame * params.w32;
    k.z.rowwise() += params.b32;
  } else {
    k.z.noalias() = k.frame * params.w;
    k.z.rowwise() += params.b;
  }
  apply_activation(config_.activation, k.z);
  out.output = k.z.template cast<double>();
}

void OpticalUnit::measure(const Eigen::Ref<const Matrix>& input, Measurement& out, Rng& rng) {
  if (input.cols() != config_.input_dim)
    raise<InvalidArgument>("optical: input has ", input.cols(), " columns, expected ", config_.input_dim);
  const auto snapshot = params_.load();
  std::shared_ptr<const Physics> physics;
  {
    std::lock_guard lock(mutex_);
    if (!physics_->calibration.done) calibrate_locked(input);
    apply_drift_locked();
    physics = physics_;
  }
  auto scratch = take_scratch();
  if (physics->stacked32)
    forward(*physics, *physics->stacked32, scratch->f32, *snapshot.value, input, out, rng);
  else
    forward(*physics, *physics->stacked64, scratch->f64, *snapshot.value, input, out, rng);
  give_back(std::move(scratch));
  out.version = snapshot.version;
  clock_.hold_measure(input.rows());
}

void OpticalUnit::gradient(const Measurement& m, const Eigen::Ref<const Matrix>& dL_dZ,
                           Eigen::Ref<Vector> grad) const {
  // The frame is 8-bit camera data: the W gradient's GEMM runs in single precision.
  dense_gradient_single(config_.activation, m.response, m.output, dL_dZ, grad);
}

void OpticalUnit::deploy(const Eigen::Ref<const Vector>& parameters, Rng& /*rng*/) {
  Params next = unpack(config_, parameters);
  clock_.hold_deploy(config_.timing.deploy_us);  // one modulator frame
  params_.store(std::move(next));
}

void OpticalUnit::inject_faults(const nlohmann::json& faults, Rng& rng) {
  ConfigReader reader(faults, "faults");
  const auto channels = parse_adc_channel_faults(reader.child("adc_channels"),
                                                 reader.key_path("adc_channels"), config_.n_speckle, rng);
  reader.finish();
  std::lock_guard lock(mutex_);
  auto next = std::make_shared<Physics>(*physics_);
  next->adc_faults.insert(next->adc_faults.end(), channels.begin(), channels.end());
  physics_ = std::move(next);
}

}  // namespace pib::units
