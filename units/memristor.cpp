#include "units/memristor.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <utility>

#include "common/error.hpp"

namespace pib::units {
namespace {

// The read-noise variance only sets the size of a random draw: single precision (relative error ~1e-7) halves
// the cost of the second product.
using MatrixF = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

// Largest code of a signed converter of `bits` bits: 2^(bits-1) - 1.
double code_max(int bits) {
  return std::ldexp(1.0, bits - 1) - 1.0;
}

}  // namespace

// ---- The crossbar unit: internal state
// ---------------------------------------------------------------------

struct MemristorCrossbarUnit::Chip {
  Matrix d2d_pos, d2d_neg;  // rows x cols, multiplicative factors max(0, 1 + N(0, d2d_sigma_rel))
  Matrix ir_position;       // rows x cols, (r + c) / (tile_rows + tile_cols - 2) within the cell's array
  Matrix adc_gain;          // row tiles x cols, 1 + N(0, adc_gain_sigma_rel)
  Matrix adc_offset_lsb;    // row tiles x cols, N(0, adc_offset_sigma_lsb)
};

struct MemristorCrossbarUnit::FaultState {
  Mask stuck_pos, stuck_neg;    // rows x cols: 0 working, 1 stuck at g_min, 2 stuck at g_max
  Matrix extra_pos, extra_neg;  // rows x cols extra multiplicative d2d factors (empty: none)
  Eigen::Matrix<std::int8_t, 1, Eigen::Dynamic> adc_mode;  // cols, AdcFaultMode per column
};

struct MemristorCrossbarUnit::State {
  Vector parameters;  // as intended
  std::uint64_t version = 0;
  double weight_scale = 1.0;          // w_max
  LevelMatrix level_pos, level_neg;   // target levels, rows x cols
  Matrix error_pos_uS, error_neg_uS;  // programming error (+ drift), kept until reprogrammed
  Matrix cell_pos_uS, cell_neg_uS;    // the cells' own conductances (before the wires' IR drop)
  Matrix g_pos_uS, g_neg_uS;          // effective conductances
  Matrix g_diff_uS;                   // g_pos - g_neg
  MatrixF g_var;                      // read_sigma_rel^2 (g_pos^2 + g_neg^2), single precision
  Eigen::RowVectorXd bias;
  FaultState faults;
  bool any_adc_fault = false;
  double deploy_us = 0.0;  // device time of the last deploy
};

struct MemristorCrossbarUnit::Calibration {
  double x_fs = 1.0;  // DAC full scale (input units)
  Matrix full_scale;  // row tiles x cols, ADC full-scale current
  Matrix to_code;     // M_a (1 + gain) / full_scale
  Matrix offset_lsb;  // chip offsets
  Matrix from_code;   // full_scale / M_a
};

struct MemristorCrossbarUnit::Scratch {
  Eigen::Index capacity = 0;  // rows allocated (n x positions)
  Eigen::Index batch = 0;     // samples allocated for `volts`
  Matrix volts;               // batch x input_dim: f(v)
  Matrix patches;             // capacity x rows (conv only)
  MatrixF squares;            // capacity x rows: f(v)^2
  Matrix current;             // capacity x cols: one array's column currents
  MatrixF variance;           // capacity x cols
  Matrix sum;                 // capacity x cols (conv only): digital partial sums
  std::int64_t saturated = 0, conversions = 0;
};

namespace {

// Programs `next` for `parameters` given the previous state (null: every device is programmed). Returns the
// number of devices whose target level changed.
template <typename State>
Eigen::Index program(State& next, const State* prev, const Eigen::Ref<const Vector>& parameters,
                     const CrossbarDeviceConfig& device, Eigen::Index rows, Eigen::Index cols, Rng& rng) {
  PIB_EXPECTS(parameters.allFinite(), "parameters must be finite");
  next.parameters = parameters;
  const Eigen::Map<const Matrix> w(parameters.data(), rows, cols);
  double w_max = w.cwiseAbs().maxCoeff();
  if (!(w_max > 0.0)) w_max = 1.0;
  next.weight_scale = w_max;
  next.bias = parameters.tail(cols).transpose();
  next.level_pos.resize(rows, cols);
  next.level_neg.resize(rows, cols);
  next.error_pos_uS.resize(rows, cols);
  next.error_neg_uS.resize(rows, cols);
  const double top = static_cast<double>(device.levels - 1);
  Eigen::Index changed = 0;
  const auto set = [&](std::int64_t level, std::int64_t old_level, double old_error, bool fresh,
                       std::int64_t& level_out, double& error_out) {
    level_out = level;
    if (fresh || level != old_level) {
      ++changed;
      error_out = device.prog_sigma_uS > 0.0 ? device.prog_sigma_uS * rng.normal() : 0.0;
    } else {
      error_out = old_error + (device.drift_sigma_uS > 0.0 ? device.drift_sigma_uS * rng.normal() : 0.0);
    }
  };
  for (Eigen::Index i = 0; i < rows; ++i)
    for (Eigen::Index j = 0; j < cols; ++j) {
      const double x = w(i, j);
      const auto level = static_cast<std::int64_t>(std::llround(std::abs(x) / w_max * top));
      const std::int64_t lp = x > 0.0 ? level : 0, ln = x < 0.0 ? level : 0;
      const bool fresh = prev == nullptr;
      set(lp, fresh ? 0 : prev->level_pos(i, j), fresh ? 0.0 : prev->error_pos_uS(i, j), fresh,
          next.level_pos(i, j), next.error_pos_uS(i, j));
      set(ln, fresh ? 0 : prev->level_neg(i, j), fresh ? 0.0 : prev->error_neg_uS(i, j), fresh,
          next.level_neg(i, j), next.error_neg_uS(i, j));
    }
  return changed;
}

}  // namespace

// ---- Construction
// ------------------------------------------------------------------------------------------

MemristorCrossbarUnit::MemristorCrossbarUnit(std::string kind, CrossbarGeometry geometry,
                                             Activation activation, CrossbarDeviceConfig device,
                                             const std::string& init, std::uint64_t seed)
    : kind_(std::move(kind)),
      geometry_(geometry),
      activation_(activation),
      device_(std::move(device)),
      rows_(geometry.rows()),
      cols_(geometry.out_channels),
      row_tiles_((rows_ + device_.tile_rows - 1) / device_.tile_rows),
      state_(State{}),
      scratch_(std::make_unique<Scratch>()),
      clock_(DeviceTiming{device_.forward_us_per_sample,
                          device_.program_us_per_cell * 2.0 * static_cast<double>(rows_ * cols_),
                          device_.time_scale}) {
  Rng rng = Rng::derive(seed, Stream::unit_physics);
  // The chip: seed-fixed systematic errors.
  auto chip = std::make_shared<Chip>();
  const auto factors = [&](double sigma) {
    Matrix m(rows_, cols_);
    for (Eigen::Index k = 0; k < m.size(); ++k)
      m.data()[k] = sigma > 0.0 ? std::max(0.0, 1.0 + sigma * rng.normal()) : 1.0;
    return m;
  };
  chip->d2d_pos = factors(device_.d2d_sigma_rel);
  chip->d2d_neg = factors(device_.d2d_sigma_rel);
  chip->ir_position.resize(rows_, cols_);
  const double span = static_cast<double>(device_.tile_rows + device_.tile_cols - 2);
  for (Eigen::Index i = 0; i < rows_; ++i)
    for (Eigen::Index j = 0; j < cols_; ++j)
      chip->ir_position(i, j) =
          span > 0.0 ? static_cast<double>(i % device_.tile_rows + j % device_.tile_cols) / span : 0.0;
  chip->adc_gain.resize(row_tiles_, cols_);
  chip->adc_offset_lsb.resize(row_tiles_, cols_);
  for (Eigen::Index k = 0; k < chip->adc_gain.size(); ++k) {
    chip->adc_gain.data()[k] =
        1.0 + (device_.adc_gain_sigma_rel > 0.0 ? device_.adc_gain_sigma_rel * rng.normal() : 0.0);
    chip->adc_offset_lsb.data()[k] =
        device_.adc_offset_sigma_lsb > 0.0 ? device_.adc_offset_sigma_lsb * rng.normal() : 0.0;
  }
  chip_ = std::move(chip);

  // Initial parameters, programmed onto a fresh chip (no device time), then the config's faults.
  State initial;
  initial.faults.stuck_pos = Mask::Zero(rows_, cols_);
  initial.faults.stuck_neg = Mask::Zero(rows_, cols_);
  initial.faults.adc_mode = Eigen::Matrix<std::int8_t, 1, Eigen::Dynamic>::Zero(cols_);
  Rng init_rng = Rng::derive(seed, Stream::unit_init);
  const Vector parameters = init_dense_parameters(rows_, cols_, activation_, init, init_rng);
  program<State>(initial, nullptr, parameters, device_, rows_, cols_, init_rng);
  initial.deploy_us = device_.program_us_per_cell * 2.0 * static_cast<double>(rows_ * cols_);
  add_faults(initial, device_.faults, rng);
  realise(initial);
  state_.store(std::move(initial));
}

MemristorCrossbarUnit::MemristorCrossbarUnit(const MemristorCrossbarUnit& other)
    : MemristorCrossbarUnit(other, other.clock_.timing()) {}

MemristorCrossbarUnit::MemristorCrossbarUnit(const MemristorCrossbarUnit& other, DeviceTiming timing)
    : Unit(other),
      kind_(other.kind_),
      geometry_(other.geometry_),
      activation_(other.activation_),
      device_(other.device_),
      rows_(other.rows_),
      cols_(other.cols_),
      row_tiles_(other.row_tiles_),
      chip_(other.chip_),
      state_(*other.state_.load().value),
      calibration_(other.load_calibration()),
      scratch_(std::make_unique<Scratch>()),
      clock_(timing) {}

std::unique_ptr<MemristorCrossbarUnit> MemristorCrossbarUnit::untimed_copy() const {
  struct Untimed final : MemristorCrossbarUnit {
    Untimed(const MemristorCrossbarUnit& u, DeviceTiming t) : MemristorCrossbarUnit(u, t) {}
    std::unique_ptr<Unit> clone() const override { return std::make_unique<Untimed>(*this, timing()); }
  };
  DeviceTiming t = clock_.timing();
  t.forward_us_per_sample = 0.0;
  t.deploy_us = 0.0;
  t.time_scale = 1e12;  // every hold rounds to no wall time
  return std::make_unique<Untimed>(*this, t);
}

MemristorCrossbarUnit::~MemristorCrossbarUnit() = default;

// ---- Realising the programmed state
// -------------------------------------------------------------------------

void MemristorCrossbarUnit::add_faults(State& state, const CrossbarFaults& faults, Rng& rng) const {
  FaultState& fs = state.faults;
  for (const auto& channel : faults.adc_channels)
    fs.adc_mode(channel.channel) = static_cast<std::int8_t>(channel.mode);
  const Eigen::Index cells = rows_ * cols_;
  if (faults.stuck_at_gmin_fraction > 0.0 || faults.stuck_at_gmax_fraction > 0.0) {
    std::vector<Eigen::Index> working;  // device index d: d < cells -> pos (d), else neg (d - cells)
    working.reserve(static_cast<std::size_t>(2 * cells));
    for (Eigen::Index d = 0; d < 2 * cells; ++d)
      if ((d < cells ? fs.stuck_pos.data()[d] : fs.stuck_neg.data()[d - cells]) == 0) working.push_back(d);
    const auto total = static_cast<double>(2 * cells);
    const auto to_gmin = static_cast<std::size_t>(std::llround(faults.stuck_at_gmin_fraction * total));
    const auto to_gmax = static_cast<std::size_t>(std::llround(faults.stuck_at_gmax_fraction * total));
    if (to_gmin + to_gmax > working.size())
      raise<InvalidArgument>("faults: ", to_gmin + to_gmax, " more stuck devices requested but only ",
                             working.size(), " devices still work");
    for (std::size_t t = 0; t < to_gmin + to_gmax; ++t) {  // partial Fisher-Yates: a uniform random subset
      std::swap(working[t], working[t + rng.below(working.size() - t)]);
      const Eigen::Index d = working[t];
      const std::int8_t mode = t < to_gmin ? 1 : 2;
      (d < cells ? fs.stuck_pos.data()[d] : fs.stuck_neg.data()[d - cells]) = mode;
    }
  }
  if (faults.extra_d2d_sigma_rel > 0.0) {
    if (fs.extra_pos.size() == 0) {
      fs.extra_pos = Matrix::Ones(rows_, cols_);
      fs.extra_neg = Matrix::Ones(rows_, cols_);
    }
    for (Eigen::Index k = 0; k < cells; ++k) {
      fs.extra_pos.data()[k] *= std::max(0.0, 1.0 + faults.extra_d2d_sigma_rel * rng.normal());
      fs.extra_neg.data()[k] *= std::max(0.0, 1.0 + faults.extra_d2d_sigma_rel * rng.normal());
    }
  }
}

void MemristorCrossbarUnit::realise(State& state) const {
  const Chip& chip = *chip_;
  const FaultState& fs = state.faults;
  const double g_min = device_.g_min_uS, g_max = device_.g_max_uS;
  const double step = (g_max - g_min) / static_cast<double>(device_.levels - 1);
  const bool extra = fs.extra_pos.size() != 0;
  for (Matrix* m : {&state.cell_pos_uS, &state.cell_neg_uS, &state.g_pos_uS, &state.g_neg_uS})
    m->resize(rows_, cols_);
  const auto cell = [&](std::int64_t level, double error, double d2d, double extra_factor,
                        std::int8_t stuck) {
    double g = (g_min + static_cast<double>(level) * step + error) * d2d * extra_factor;
    if (stuck == 1) g = g_min;
    if (stuck == 2) g = g_max;
    return std::max(0.0, g);
  };
  const auto wired = [&](double g, double position) {
    return device_.ir_drop > 0.0 ? g / (1.0 + device_.ir_drop * (g / g_max) * position) : g;
  };
  for (Eigen::Index k = 0; k < rows_ * cols_; ++k) {
    const double position = chip.ir_position.data()[k];
    state.cell_pos_uS.data()[k] =
        cell(state.level_pos.data()[k], state.error_pos_uS.data()[k], chip.d2d_pos.data()[k],
             extra ? fs.extra_pos.data()[k] : 1.0, fs.stuck_pos.data()[k]);
    state.cell_neg_uS.data()[k] =
        cell(state.level_neg.data()[k], state.error_neg_uS.data()[k], chip.d2d_neg.data()[k],
             extra ? fs.extra_neg.data()[k] : 1.0, fs.stuck_neg.data()[k]);
    state.g_pos_uS.data()[k] = wired(state.cell_pos_uS.data()[k], position);
    state.g_neg_uS.data()[k] = wired(state.cell_neg_uS.data()[k], position);
  }
  state.g_diff_uS = state.g_pos_uS - state.g_neg_uS;
  const double s2 = device_.read_sigma_rel * device_.read_sigma_rel;
  state.g_var =
      (s2 * (state.g_pos_uS.array().square() + state.g_neg_uS.array().square())).cast<float>().matrix();
  state.any_adc_fault = (fs.adc_mode.array() != 0).any();
}

// ---- Calibration and measurement
// ---------------------------------------------------------------------------

std::shared_ptr<const MemristorCrossbarUnit::Calibration> MemristorCrossbarUnit::load_calibration() const {
  std::lock_guard lock(calibration_mutex_);
  return calibration_;
}

void MemristorCrossbarUnit::quantise(const Eigen::Ref<const Matrix>& input, double x_fs,
                                     Eigen::Ref<Matrix> response, Eigen::Ref<Matrix> volts) const {
  const double m = code_max(device_.dac_bits), a = device_.iv_nonlinearity;
  // v = round(clip(x / x_fs) M) / M; response = v x_fs; volts = f(v) = v + a v^3 (cell I-V, applied per row).
  volts = (((input.array() / x_fs).cwiseMax(-1.0).cwiseMin(1.0) * m).round() / m).matrix();
  response = volts * x_fs;
  if (a != 0.0) volts.array() += a * volts.array().cube();
}

void MemristorCrossbarUnit::calibrate(const Eigen::Ref<const Matrix>& sample_inputs, Rng& /*rng*/) {
  if (sample_inputs.cols() != input_dim() || sample_inputs.rows() == 0)
    raise<InvalidArgument>(kind_, ": calibration batch is ", sample_inputs.rows(), " x ",
                           sample_inputs.cols(), ", expected n > 0 rows of ", input_dim());
  const auto state = state_.load().value;
  const Eigen::Index n = sample_inputs.rows(), positions = geometry_.positions();
  auto cal = std::make_shared<Calibration>();
  double x_fs = device_.dac_full_scale;
  if (!(x_fs > 0.0)) {
    x_fs = sample_inputs.cwiseAbs().maxCoeff();
    if (!(x_fs > 0.0) || !std::isfinite(x_fs)) x_fs = 1.0;
  }
  cal->x_fs = x_fs;
  Matrix response(n, input_dim()), volts(n, input_dim());
  quantise(sample_inputs, x_fs, response, volts);
  Matrix patches;
  if (geometry_.is_dense()) {
    patches = std::move(volts);
  } else {
    patches.resize(n * positions, rows_);
    geometry_.im2col(volts, patches);
  }
  const double m = code_max(device_.adc_bits);
  cal->full_scale.resize(row_tiles_, cols_);
  Matrix current;
  for (Eigen::Index t = 0; t < row_tiles_; ++t) {
    const Eigen::Index r0 = t * device_.tile_rows, nr = std::min(device_.tile_rows, rows_ - r0);
    current.noalias() = patches.middleCols(r0, nr) * state->g_diff_uS.middleRows(r0, nr);
    for (Eigen::Index c0 = 0; c0 < cols_; c0 += device_.tile_cols) {
      const Eigen::Index nc = std::min(device_.tile_cols, cols_ - c0);
      double fs = device_.adc_headroom * current.middleCols(c0, nc).cwiseAbs().maxCoeff();
      if (!(fs > 0.0) || !std::isfinite(fs))
        fs = static_cast<double>(nr) * (device_.g_max_uS - device_.g_min_uS);
      cal->full_scale.block(t, c0, 1, nc).setConstant(fs);
    }
  }
  cal->to_code = (m * chip_->adc_gain.array() / cal->full_scale.array()).matrix();
  cal->offset_lsb = chip_->adc_offset_lsb;
  cal->from_code = cal->full_scale / m;
  {
    std::lock_guard lock(calibration_mutex_);
    calibration_ = std::move(cal);
  }
  clock_.hold_measure(n);
}

void MemristorCrossbarUnit::measure(const Eigen::Ref<const Matrix>& input, Measurement& out, Rng& rng) {
  if (input.cols() != input_dim())
    raise<InvalidArgument>(kind_, ": input has ", input.cols(), " columns, expected ", input_dim());
  const auto snapshot = state_.load();
  const State& st = *snapshot.value;
  auto cal = load_calibration();
  if (!cal) {  // a unit measured before any calibrate call calibrates itself on its first batch
    if (input.rows() == 0)
      raise<StateError>(kind_, ": first measure (auto-calibration) needs a non-empty batch");
    calibrate(input, rng);
    cal = load_calibration();
  }
  const Eigen::Index n = input.rows(), positions = geometry_.positions(), m = n * positions;
  const bool dense = geometry_.is_dense();
  if (out.response.rows() != n || out.response.cols() != input_dim()) out.response.resize(n, input_dim());
  const bool pools = geometry_.pools();
  Matrix& unpooled = pools ? out.pre_pool : out.output;
  const Eigen::Index unpooled_dim = geometry_.conv_dim();
  if (unpooled.rows() != n || unpooled.cols() != unpooled_dim) unpooled.resize(n, unpooled_dim);
  if (!pools) out.pre_pool.resize(0, 0);
  out.version = st.version;
  const double sigma = device_.read_sigma_rel, code_m = code_max(device_.adc_bits);
  {
    std::lock_guard lock(scratch_mutex_);
    Scratch& sc = *scratch_;
    if (sc.batch < n) {
      sc.batch = n;
      sc.volts.resize(n, input_dim());
    }
    if (sc.capacity < m) {
      sc.capacity = m;
      if (!dense) sc.patches.resize(m, rows_);
      if (sigma > 0.0 && !device_.read_noise_exact) {
        sc.squares.resize(m, rows_);
        sc.variance.resize(m, cols_);
      }
      sc.current.resize(m, cols_);
      if (!dense) sc.sum.resize(m, cols_);
    }
    quantise(input, cal->x_fs, out.response, sc.volts.topRows(n));
    if (!dense) geometry_.im2col(sc.volts.topRows(n), sc.patches.topRows(m));
    const auto volts = dense ? sc.volts.topRows(m) : sc.patches.topRows(m);
    if (sigma > 0.0 && !device_.read_noise_exact)
      sc.squares.topRows(m) = volts.array().square().cast<float>().matrix();
    auto sum = dense ? unpooled.topRows(m) : sc.sum.topRows(m);
    auto current = sc.current.topRows(m);
    std::int64_t saturated = 0, conversions = 0;
    for (Eigen::Index t = 0; t < row_tiles_; ++t) {
      const Eigen::Index r0 = t * device_.tile_rows, nr = std::min(device_.tile_rows, rows_ - r0);
      current.noalias() = volts.middleCols(r0, nr) * st.g_diff_uS.middleRows(r0, nr);
      if (sigma > 0.0 && !device_.read_noise_exact) {
        // Exact-distribution shortcut: sum_i v_i G_ij (1 + sigma eps) has variance sum_i v_i^2 sigma^2
        // G_ij^2.
        auto variance = sc.variance.topRows(m);
        variance.noalias() = sc.squares.topRows(m).middleCols(r0, nr) * st.g_var.middleRows(r0, nr);
        for (Eigen::Index k = 0; k < m; ++k)
          for (Eigen::Index j = 0; j < cols_; ++j)
            current(k, j) += std::sqrt(static_cast<double>(variance(k, j))) * rng.normal();
      } else if (sigma > 0.0) {
        for (Eigen::Index k = 0; k < m; ++k)
          for (Eigen::Index i = r0; i < r0 + nr; ++i) {
            const double v = volts(k, i);
            for (Eigen::Index j = 0; j < cols_; ++j)
              current(k, j) +=
                  v * sigma * (st.g_pos_uS(i, j) * rng.normal() - st.g_neg_uS(i, j) * rng.normal());
          }
      }
      // This array's ADCs, then the digital partial sum.
      const auto to_code = cal->to_code.row(t), offset = cal->offset_lsb.row(t),
                 from_code = cal->from_code.row(t);
      for (Eigen::Index k = 0; k < m; ++k)
        for (Eigen::Index j = 0; j < cols_; ++j) {
          double code = std::round(current(k, j) * to_code(j) + offset(j));
          code = std::clamp(code, -code_m, code_m);
          if (st.any_adc_fault && st.faults.adc_mode(j) != 0) {
            switch (static_cast<AdcFaultMode>(st.faults.adc_mode(j))) {
              case AdcFaultMode::zero:
                code = 0.0;
                break;
              case AdcFaultMode::full_scale:
                code = code_m;
                break;
              case AdcFaultMode::noise:
                code = static_cast<double>(rng.below(static_cast<std::uint64_t>(2.0 * code_m) + 1)) - code_m;
                break;
              case AdcFaultMode::none:
                break;
            }
          } else {
            ++conversions;
            if (std::abs(code) >= code_m) ++saturated;
          }
          const double value = code * from_code(j);
          sum(k, j) = t == 0 ? value : sum(k, j) + value;
        }
    }
    sc.saturated = saturated;
    sc.conversions = conversions;
    // Digital: scale to weight x input units, bias, activation.
    const double scale = st.weight_scale / (device_.g_max_uS - device_.g_min_uS) * cal->x_fs;
    if (dense) {
      unpooled *= scale;
      unpooled.rowwise() += st.bias;
    } else {
      for (Eigen::Index s = 0; s < n; ++s)
        for (Eigen::Index co = 0; co < cols_; ++co)
          for (Eigen::Index p = 0; p < positions; ++p)
            unpooled(s, co * positions + p) = sc.sum(s * positions + p, co) * scale + st.bias(co);
    }
  }
  apply_activation(activation_, unpooled);
  if (pools) geometry_.max_pool(out.pre_pool, out.output);
  clock_.hold_measure(n);
}

double MemristorCrossbarUnit::last_adc_saturation_fraction() const {
  std::lock_guard lock(scratch_mutex_);
  return scratch_->conversions > 0
             ? static_cast<double>(scratch_->saturated) / static_cast<double>(scratch_->conversions)
             : 0.0;
}

// ---- Gradient, deploy, faults
// ------------------------------------------------------------------------------

void MemristorCrossbarUnit::gradient(const Measurement& m, const Eigen::Ref<const Matrix>& dL_dZ,
                                     Eigen::Ref<Vector> grad) const {
  if (m.response.cols() != input_dim() || m.output.cols() != output_dim() ||
      dL_dZ.rows() != m.output.rows() || dL_dZ.cols() != output_dim() ||
      m.response.rows() != m.output.rows() || grad.size() != parameter_count())
    raise<InvalidArgument>(kind_, ": gradient shapes do not match the unit");
  if (geometry_.is_dense()) {
    dense_gradient(activation_, m.response, m.output, dL_dZ, grad);
    return;
  }
  // Conv: the ideal model is the dense layer on the im2col patches, outputs rearranged per position.
  const Eigen::Index n = m.response.rows(), positions = geometry_.positions();
  Matrix dpre;
  if (geometry_.pools()) {
    if (m.pre_pool.rows() != n || m.pre_pool.cols() != geometry_.conv_dim())
      raise<InvalidArgument>(kind_, ": gradient needs the measurement's pre_pool output");
    Matrix d_full;
    geometry_.max_pool_backward(m.pre_pool, dL_dZ, d_full);
    activation_backward(activation_, m.pre_pool, d_full, dpre);
  } else {
    activation_backward(activation_, m.output, dL_dZ, dpre);
  }
  Matrix patches(n * positions, rows_), d(n * positions, cols_);
  geometry_.im2col(m.response, patches);
  for (Eigen::Index s = 0; s < n; ++s)
    for (Eigen::Index co = 0; co < cols_; ++co)
      for (Eigen::Index p = 0; p < positions; ++p)
        d(s * positions + p, co) = dpre(s, co * positions + p);
  Eigen::Map<Matrix> grad_w(grad.data(), rows_, cols_);
  grad_w.noalias() = patches.transpose() * d;
  grad.tail(cols_) = d.colwise().sum().transpose();
}

void MemristorCrossbarUnit::deploy(const Eigen::Ref<const Vector>& parameters, Rng& rng) {
  if (parameters.size() != parameter_count())
    raise<InvalidArgument>(kind_, ": deploy got ", parameters.size(), " parameters, expected ",
                           parameter_count());
  std::lock_guard lock(writer_mutex_);
  const auto current = state_.load().value;
  State next;
  next.faults = current->faults;
  next.version = current->version + 1;
  const Eigen::Index changed = program<State>(next, current.get(), parameters, device_, rows_, cols_, rng);
  realise(next);
  next.deploy_us = device_.program_us_per_cell * static_cast<double>(changed);
  clock_.hold_deploy(next.deploy_us);  // measures meanwhile use the previous state
  state_.store(std::move(next));
}

void MemristorCrossbarUnit::inject_faults(const CrossbarFaults& faults, Rng& rng) {
  faults.validate(cols_, "faults");
  std::lock_guard lock(writer_mutex_);
  State next = *state_.load().value;
  add_faults(next, faults, rng);
  realise(next);
  state_.store(std::move(next));
}

void MemristorCrossbarUnit::inject_faults(const nlohmann::json& faults, Rng& rng) {
  inject_faults(CrossbarFaults::from_json(with_explicit_adc_channels(faults, cols_, rng), "faults"), rng);
}

void MemristorCrossbarUnit::clear_faults() {
  std::lock_guard lock(writer_mutex_);
  State next = *state_.load().value;
  next.faults.stuck_pos.setZero();
  next.faults.stuck_neg.setZero();
  next.faults.extra_pos.resize(0, 0);
  next.faults.extra_neg.resize(0, 0);
  next.faults.adc_mode.setZero();
  realise(next);
  state_.store(std::move(next));
}

Vector MemristorCrossbarUnit::parameters() const {
  return state_.load().value->parameters;
}

std::uint64_t MemristorCrossbarUnit::version() const {
  return state_.load().value->version;
}

DeviceTiming MemristorCrossbarUnit::timing() const {
  DeviceTiming t = clock_.timing();
  t.deploy_us = state_.load().value->deploy_us;
  return t;
}

MemristorCrossbarUnit::Diagnostics MemristorCrossbarUnit::diagnostics() const {
  const auto state = state_.load().value;
  Diagnostics d;
  d.g_pos_uS = state->g_pos_uS;
  d.g_neg_uS = state->g_neg_uS;
  const double step = (device_.g_max_uS - device_.g_min_uS) / static_cast<double>(device_.levels - 1);
  d.target_pos_uS = (device_.g_min_uS + state->level_pos.cast<double>().array() * step).matrix();
  d.target_neg_uS = (device_.g_min_uS + state->level_neg.cast<double>().array() * step).matrix();
  d.stuck_pos = state->faults.stuck_pos;
  d.stuck_neg = state->faults.stuck_neg;
  for (Eigen::Index j = 0; j < cols_; ++j)
    if (state->faults.adc_mode(j) != 0)
      d.adc_faults.emplace_back(j, static_cast<AdcFaultMode>(state->faults.adc_mode(j)));
  d.weight_scale = state->weight_scale;
  d.adc_code_max = static_cast<int>(std::min(code_max(device_.adc_bits), 2147483647.0));
  if (const auto cal = load_calibration()) {
    d.calibrated = true;
    d.dac_full_scale = cal->x_fs;
    d.adc_full_scale = cal->full_scale;
  }
  return d;
}

void MemristorCrossbarUnit::read_cells(Matrix& g_pos_uS, Matrix& g_neg_uS, Rng& rng, bool in_array) const {
  const auto state = state_.load().value;
  g_pos_uS = in_array ? state->g_pos_uS : state->cell_pos_uS;
  g_neg_uS = in_array ? state->g_neg_uS : state->cell_neg_uS;
  const double sigma = device_.read_sigma_rel;
  if (sigma <= 0.0) return;
  for (Eigen::Index k = 0; k < g_pos_uS.size(); ++k) {
    g_pos_uS.data()[k] *= 1.0 + sigma * rng.normal();
    g_neg_uS.data()[k] *= 1.0 + sigma * rng.normal();
  }
}
}  // namespace pib::units
