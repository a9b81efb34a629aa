// `pib device characterize` for crossbar units: program a random weight matrix, read it repeatedly and report
// the statistics a user compares with the histograms measured on a real chip (issue 4).
#include <chrono>
#include <cmath>
#include <set>

#include "common/error.hpp"
#include "units/characterize.hpp"
#include "units/memristor.hpp"

namespace pib::units {
namespace {

// The programming error of the cells, split into its two parts. Programs a fixed matrix A (|w| uniform in
// [0.5, 1], random signs, so every active device sits at least half-way up its range) and -A in turn, 8 times
// each, on an untimed copy of the unit: every device is reprogrammed at every deploy (its level alternates
// between 0 and its active level) and each time reads its active level. After each programming the active
// devices' own conductances (single-cell reads, the configured wire resistance compensated) are read
// `reads` times and averaged. Over the programmings, per device d with target t_d:
//   stochastic^2 = mean_d [ var_p(mean read) - read variance / reads ]          (redrawn at every write)
//   systematic^2 = mean_d [ (mean_p(mean read) - t_d)^2 - var_p / programmings ]  (fixed per device)
// Stuck devices are faults, not programming error, and are left out. Expected sizes: stochastic
// prog_sigma_uS (times the rms d2d factor, ~1); systematic d2d_sigma_rel x the rms active target.
struct ProgrammingError {
  double stochastic_uS = 0.0, systematic_uS = 0.0, systematic_expected_uS = 0.0;
  int programmings = 0;
};

ProgrammingError programming_error(const MemristorCrossbarUnit& original, int reads, Rng& rng) {
  constexpr int kProgrammings = 8;
  const auto unit = original.untimed_copy();
  const Eigen::Index rows = unit->crossbar_rows(), cols = unit->crossbar_cols();
  Vector a = Vector::Zero(unit->parameter_count());
  for (Eigen::Index k = 0; k < rows * cols; ++k)
    a[k] = (rng.uniform() < 0.5 ? -1.0 : 1.0) * rng.uniform(0.5, 1.0);
  const Eigen::Index devices = 2 * rows * cols;
  Eigen::VectorXd sum = Eigen::VectorXd::Zero(devices), sum_sq = sum, read_var = sum, target = sum;
  Eigen::VectorXi samples = Eigen::VectorXi::Zero(devices);
  Eigen::Matrix<bool, Eigen::Dynamic, 1> stuck = Eigen::Matrix<bool, Eigen::Dynamic, 1>::Zero(devices);
  Matrix g_pos, g_neg, s_pos(rows, cols), s_neg(rows, cols), q_pos(rows, cols), q_neg(rows, cols);
  for (int p = 0; p < 2 * kProgrammings; ++p) {
    const Vector w = p % 2 == 0 ? a : Vector(-a);
    unit->deploy(w, rng);
    s_pos.setZero();
    s_neg.setZero();
    q_pos.setZero();
    q_neg.setZero();
    for (int r = 0; r < reads; ++r) {
      unit->read_cells(g_pos, g_neg, rng, false);
      s_pos += g_pos;
      s_neg += g_neg;
      q_pos.array() += g_pos.array().square();
      q_neg.array() += g_neg.array().square();
    }
    const auto d = unit->diagnostics();
    const double k = static_cast<double>(reads);
    const auto collect = [&](const Matrix& s, const Matrix& q, const Matrix& t, const auto& stuck_cells,
                             const Eigen::Ref<const Matrix>& w_side, Eigen::Index offset) {
      for (Eigen::Index i = 0; i < s.size(); ++i) {
        if (!(w_side.data()[i] > 0.0)) continue;  // not active in this programming
        const Eigen::Index dev = offset + i;
        if (stuck_cells.data()[i] != 0) stuck[dev] = true;
        const double mean = s.data()[i] / k;
        sum[dev] += mean;
        sum_sq[dev] += mean * mean;
        read_var[dev] += std::max(0.0, (q.data()[i] - k * mean * mean) / (k - 1.0));
        target[dev] = t.data()[i];
        ++samples[dev];
      }
    };
    const Eigen::Map<const Matrix> wm(w.data(), rows, cols);
    collect(s_pos, q_pos, d.target_pos_uS, d.stuck_pos, wm, 0);
    collect(s_neg, q_neg, d.target_neg_uS, d.stuck_neg, -wm, rows * cols);
  }
  double stochastic_sq = 0.0, systematic_sq = 0.0, target_sq = 0.0;
  Eigen::Index used = 0;
  for (Eigen::Index dev = 0; dev < devices; ++dev) {
    const double n = samples[dev];
    if (n < 2 || stuck[dev]) continue;
    const double mean = sum[dev] / n;
    const double var = std::max(0.0, (sum_sq[dev] - n * mean * mean) / (n - 1.0));
    stochastic_sq += var - read_var[dev] / n / static_cast<double>(reads);
    systematic_sq += (mean - target[dev]) * (mean - target[dev]) - var / n;
    target_sq += target[dev] * target[dev];
    ++used;
  }
  ProgrammingError e;
  e.programmings = kProgrammings;
  if (used == 0) return e;
  const double u = static_cast<double>(used);
  e.stochastic_uS = std::sqrt(std::max(0.0, stochastic_sq / u));
  e.systematic_uS = std::sqrt(std::max(0.0, systematic_sq / u));
  e.systematic_expected_uS = original.device_config().d2d_sigma_rel * std::sqrt(target_sq / u);
  return e;
}

}  // namespace

nlohmann::json characterize_memristor(Unit& unit_base, std::uint64_t seed, int reads) {
  auto* unit = dynamic_cast<MemristorCrossbarUnit*>(&unit_base);
  if (unit == nullptr)
    raise<InvalidArgument>("characterize_memristor: '", unit_base.kind(), "' is not a crossbar unit");
  if (reads < 2) raise<InvalidArgument>("characterize_memristor: reads must be >= 2, got ", reads);
  const CrossbarDeviceConfig& device = unit->device_config();
  Rng rng = Rng::derive(seed, Stream::measure);
  const ProgrammingError programming = programming_error(*unit, reads, rng);

  // 1. Program a random weight matrix (uniform in [-1, 1], bias 0): programming time of the changed cells.
  Vector parameters(unit->parameter_count());
  for (Eigen::Index k = 0; k < parameters.size(); ++k)
    parameters[k] = rng.uniform(-1.0, 1.0);
  parameters.tail(unit->crossbar_cols()).setZero();
  unit->deploy(parameters, rng);
  const double deploy_us = unit->timing().deploy_us;

  // 2. Per-device conductances: `reads` single-cell reads of every device.
  const Eigen::Index rows = unit->crossbar_rows(), cols = unit->crossbar_cols();
  const auto d = unit->diagnostics();
  Matrix sum_pos = Matrix::Zero(rows, cols), sum_neg = sum_pos, sq_pos = sum_pos, sq_neg = sum_pos;
  Matrix g_pos, g_neg;
  for (int r = 0; r < reads; ++r) {
    unit->read_cells(g_pos, g_neg, rng);
    sum_pos += g_pos;
    sum_neg += g_neg;
    sq_pos.array() += g_pos.array().square();
    sq_neg.array() += g_neg.array().square();
  }
  const double k = static_cast<double>(reads);
  double rel_sum = 0.0;
  const auto device_stats = [&](const Matrix& sum, const Matrix& sq) {
    for (Eigen::Index i = 0; i < sum.size(); ++i) {
      const double mean = sum.data()[i] / k;
      const double var = std::max(0.0, (sq.data()[i] - k * mean * mean) / (k - 1.0));
      if (mean > 0.0) rel_sum += std::sqrt(var) / mean;
    }
  };
  device_stats(sum_pos, sq_pos);
  device_stats(sum_neg, sq_neg);
  const double all_devices = static_cast<double>(2 * rows * cols);
  std::set<double> levels_used;
  for (Eigen::Index i = 0; i < d.target_pos_uS.size(); ++i) {
    levels_used.insert(d.target_pos_uS.data()[i]);
    levels_used.insert(d.target_neg_uS.data()[i]);
  }

  // 3. Column path: calibrate on one random batch, measure another (ADC saturation, timing), then repeated
  //    reads of one fixed input (column noise in ADC LSB).
  const Eigen::Index n = 256;
  Matrix calibration_batch(n, unit->input_dim()), batch(n, unit->input_dim());
  for (Eigen::Index i = 0; i < calibration_batch.size(); ++i)
    calibration_batch.data()[i] = rng.uniform(-1.0, 1.0);
  for (Eigen::Index i = 0; i < batch.size(); ++i)
    batch.data()[i] = rng.uniform(-1.0, 1.0);
  unit->calibrate(calibration_batch, rng);
  Measurement m;
  const double measured_before_us = unit->ledger().measure_us;
  const auto wall_start = std::chrono::steady_clock::now();
  unit->measure(batch, m, rng);
  const double wall_us =
      std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - wall_start).count();
  const double measure_us_per_sample =
      (unit->ledger().measure_us - measured_before_us) / static_cast<double>(n);
  const double saturation = unit->last_adc_saturation_fraction();
  nlohmann::json constant_channels = nlohmann::json::array();
  const Eigen::Index positions = unit->output_dim() / cols;
  for (Eigen::Index j = 0; j < cols; ++j) {
    const auto block = m.output.middleCols(j * positions, positions);
    if (block.maxCoeff() == block.minCoeff()) constant_channels.push_back(j);
  }
  const Matrix fixed = batch.topRows(1).replicate(reads, 1);
  unit->measure(fixed, m, rng);
  const auto d_after = unit->diagnostics();
  const double scale = d_after.weight_scale / (device.g_max_uS - device.g_min_uS) * d_after.dac_full_scale;
  std::set<Eigen::Index> broken;
  for (const auto& [channel, mode] : d_after.adc_faults)
    broken.insert(channel);
  double lsb_sum = 0.0;
  Eigen::Index lsb_count = 0;
  for (Eigen::Index j = 0; j < m.output.cols(); ++j) {
    if (broken.count(j / positions)) continue;  // working channels only
    ++lsb_count;
    const double mean = m.output.col(j).mean();
    const double sd = std::sqrt((m.output.col(j).array() - mean).square().sum() / (k - 1.0));
    const double lsb = d_after.adc_full_scale(0, j / positions) / d_after.adc_code_max * scale;
    lsb_sum += sd / lsb;
  }

  nlohmann::json adc_faults = nlohmann::json::array();
  for (const auto& [channel, mode] : d_after.adc_faults)
    adc_faults.push_back({{"channel", channel}, {"mode", to_string(mode)}});
  std::set<Eigen::Index> affected;  // broken ADC channels and channels read constant
  for (const auto& [channel, mode] : d_after.adc_faults)
    affected.insert(channel);
  for (const auto& channel : constant_channels)
    affected.insert(channel.get<Eigen::Index>());
  nlohmann::json stuck_channels = nlohmann::json::array();
  for (Eigen::Index j = 0; j < cols; ++j)
    if ((d_after.stuck_pos.col(j).array() != 0).any() || (d_after.stuck_neg.col(j).array() != 0).any())
      stuck_channels.push_back(j);
  const auto stuck = [&](int mode) {
    return (d_after.stuck_pos.array() == mode).count() + (d_after.stuck_neg.array() == mode).count();
  };
  return {
      {"kind", unit->kind()},
      {"rows", rows},
      {"cols", cols},
      {"devices", 2 * rows * cols},
      {"reads", reads},
      {"read_noise_rel", rel_sum / all_devices},
      {"read_noise_rel_configured", device.read_sigma_rel},
      {"program_error_stochastic_uS_rms", programming.stochastic_uS},
      {"program_error_stochastic_uS_configured", device.prog_sigma_uS},
      {"program_error_systematic_uS_rms", programming.systematic_uS},
      {"program_error_systematic_uS_expected", programming.systematic_expected_uS},
      {"program_error_programmings", programming.programmings},
      {"levels", device.levels},
      {"levels_used", levels_used.size()},
      {"g_min_uS", device.g_min_uS},
      {"g_max_uS", device.g_max_uS},
      {"adc_saturation_fraction", saturation},
      {"column_noise_lsb", lsb_count > 0 ? lsb_sum / static_cast<double>(lsb_count) : 0.0},
      {"measure_us_per_sample", measure_us_per_sample},
      {"simulation_wall_us_per_sample", wall_us / static_cast<double>(n)},
      {"deploy_us", deploy_us},
      {"faults",
       {{"affected_channels", affected},
        {"adc_channels", adc_faults},
        {"stuck_cell_channels", stuck_channels},
        {"constant_channels", constant_channels},
        {"stuck_at_gmin_cells", stuck(1)},
        {"stuck_at_gmax_cells", stuck(2)}}},
      {"systematic",
       {{"d2d_sigma_rel", device.d2d_sigma_rel},
        {"adc_gain_sigma_rel", device.adc_gain_sigma_rel},
        {"adc_offset_sigma_lsb", device.adc_offset_sigma_lsb},
        {"iv_nonlinearity", device.iv_nonlinearity},
        {"ir_drop", device.ir_drop}}},
  };
}

DeviceCharacterization characterize_crossbar(Unit& unit, const nlohmann::json& /*parameters*/,
                                             std::uint64_t seed, int reads) {
  const nlohmann::json j = characterize_memristor(unit, seed, reads);
  DeviceCharacterization c;
  c.kind = j.at("kind").get<std::string>();
  c.reads = j.at("reads").get<int>();
  c.read_noise_rel = j.at("read_noise_rel").get<double>();
  c.program_error_stochastic_uS_rms = j.at("program_error_stochastic_uS_rms").get<double>();
  c.program_error_systematic_uS_rms = j.at("program_error_systematic_uS_rms").get<double>();
  c.levels = j.at("levels").get<double>();
  c.adc_saturation_fraction = j.at("adc_saturation_fraction").get<double>();
  c.measure_us_per_sample = j.at("measure_us_per_sample").get<double>();
  c.deploy_us = j.at("deploy_us").get<double>();
  c.faults = j.at("faults");
  c.details = j;
  return c;
}

}  // namespace pib::units
