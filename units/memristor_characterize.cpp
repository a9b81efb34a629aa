// `pib device characterize` for crossbar units: program a random weight matrix, read it repeatedly and report
// the statistics a user compares with the histograms measured on a real chip (issue 4).
#include <chrono>
#include <cmath>
#include <set>

#include "common/error.hpp"
#include "units/memristor.hpp"

namespace pib::units {

nlohmann::json characterize_memristor(Unit& unit_base, std::uint64_t seed, int reads) {
  auto* unit = dynamic_cast<MemristorCrossbarUnit*>(&unit_base);
  if (unit == nullptr)
    raise<InvalidArgument>("characterize_memristor: '", unit_base.kind(), "' is not a crossbar unit");
  if (reads < 2) raise<InvalidArgument>("characterize_memristor: reads must be >= 2, got ", reads);
  const CrossbarDeviceConfig& device = unit->device_config();
  Rng rng(seed);

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
  double rel_sum = 0.0, err_sq = 0.0, read_var_of_mean = 0.0;
  std::int64_t devices = 0;
  const auto device_stats = [&](const Matrix& sum, const Matrix& sq, const Matrix& target,
                                const auto& stuck) {
    for (Eigen::Index i = 0; i < sum.size(); ++i) {
      const double mean = sum.data()[i] / k;
      const double var = std::max(0.0, (sq.data()[i] - k * mean * mean) / (k - 1.0));
      if (mean > 0.0) rel_sum += std::sqrt(var) / mean;
      if (stuck.data()[i] != 0) continue;  // stuck devices are faults, not programming error
      err_sq += (mean - target.data()[i]) * (mean - target.data()[i]);
      read_var_of_mean += var / k;
      ++devices;
    }
  };
  device_stats(sum_pos, sq_pos, d.target_pos_uS, d.stuck_pos);
  device_stats(sum_neg, sq_neg, d.target_neg_uS, d.stuck_neg);
  const double all_devices = static_cast<double>(2 * rows * cols);
  const double program_error =
      devices > 0 ? std::sqrt(std::max(0.0, (err_sq - read_var_of_mean) / static_cast<double>(devices)))
                  : 0.0;
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
      {"program_error_uS_rms", program_error},
      {"program_error_uS_configured", device.prog_sigma_uS},
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

}  // namespace pib::units
