// The crossbar kinds' configs (faults, device physics, the three geometries), their units and registry
// records. The crossbar itself is in units/memristor.cpp.
#include <algorithm>
#include <string>

#include "common/error.hpp"
#include "units/ideal.hpp"
#include "units/memristor.hpp"

namespace pib::units {
namespace {

constexpr int kMaxBits = 52;  // codes stay exact integers in a double

std::string join(const std::string& path, const std::string& key) {
  return path.empty() ? key : path + "." + key;
}

void validate_init(const std::string& init, const std::string& path) {
  if (init != "auto" && init != "he" && init != "glorot")
    raise<ConfigError>(join(path, "init"), ": expected \"auto\", \"he\" or \"glorot\", got \"", init, "\"");
}

// The shared opening (units/unit_config.hpp); the timing keys land in `device` (a crossbar computes its
// deploy time from the cells programmed, so deploy_us is not a key). `dims`: input_dim / output_dim required.
UnitBasics read_basics(ConfigReader& reader, CrossbarDeviceConfig& device, bool dims) {
  UnitBasics defaults;
  defaults.timing = {device.forward_us_per_sample, 0.0, device.time_scale};
  const UnitBasics b = read_unit_basics(reader, defaults, {.dims_required = dims, .deploy_us = false});
  device.forward_us_per_sample = b.timing.forward_us_per_sample;
  device.time_scale = b.timing.time_scale;
  return b;
}

// Optional input_dim / output_dim keys of the conv kinds (0: not given) must agree with the geometry.
void check_dim(ConfigReader& reader, const std::string& key, Eigen::Index given, Eigen::Index expected) {
  if (given != 0 && given != expected)
    raise<ConfigError>(reader.key_path(key), ": ", given, " does not match the geometry, which gives ",
                       expected);
}

}  // namespace

// ---- Faults
// ------------------------------------------------------------------------------------------------

CrossbarFaults CrossbarFaults::from_json(const nlohmann::json& json, const std::string& path) {
  CrossbarFaults faults;
  ConfigReader reader(json, path);
  faults.adc_channels =
      parse_adc_channel_faults(reader.child("adc_channels"), reader.key_path("adc_channels"));
  reader.get("stuck_at_gmin_fraction", faults.stuck_at_gmin_fraction);
  reader.get("stuck_at_gmax_fraction", faults.stuck_at_gmax_fraction);
  reader.get("extra_d2d_sigma_rel", faults.extra_d2d_sigma_rel);
  reader.finish();
  return faults;
}

void CrossbarFaults::validate(Eigen::Index columns, const std::string& path) const {
  validate_adc_channels(adc_channels, columns, join(path, "adc_channels"));
  require_config(stuck_at_gmin_fraction >= 0.0 && stuck_at_gmin_fraction <= 1.0,
                 join(path, "stuck_at_gmin_fraction"), stuck_at_gmin_fraction, "in [0, 1]");
  require_config(stuck_at_gmax_fraction >= 0.0 && stuck_at_gmax_fraction <= 1.0,
                 join(path, "stuck_at_gmax_fraction"), stuck_at_gmax_fraction, "in [0, 1]");
  require_config(stuck_at_gmin_fraction + stuck_at_gmax_fraction <= 1.0, join(path, "stuck_at_gmax_fraction"),
                 stuck_at_gmax_fraction, "stuck_at_gmin_fraction + stuck_at_gmax_fraction <= 1");
  require_config(extra_d2d_sigma_rel >= 0.0, join(path, "extra_d2d_sigma_rel"), extra_d2d_sigma_rel, ">= 0");
}

bool CrossbarFaults::empty() const {
  return adc_channels.empty() && stuck_at_gmin_fraction == 0.0 && stuck_at_gmax_fraction == 0.0 &&
         extra_d2d_sigma_rel == 0.0;
}

// ---- Device config
// -----------------------------------------------------------------------------------------

void CrossbarDeviceConfig::read(ConfigReader& r) {
  r.get("g_min_uS", g_min_uS);
  r.get("g_max_uS", g_max_uS);
  r.get("levels", levels);
  r.get("prog_sigma_uS", prog_sigma_uS);
  r.get("read_sigma_rel", read_sigma_rel);
  r.get("read_noise_exact", read_noise_exact);
  r.get("dac_bits", dac_bits);
  r.get("adc_bits", adc_bits);
  r.get("dac_full_scale", dac_full_scale);
  r.get("adc_headroom", adc_headroom);
  r.get("tile_rows", tile_rows);
  r.get("tile_cols", tile_cols);
  r.get("d2d_sigma_rel", d2d_sigma_rel);
  r.get("adc_gain_sigma_rel", adc_gain_sigma_rel);
  r.get("adc_offset_sigma_lsb", adc_offset_sigma_lsb);
  r.get("iv_nonlinearity", iv_nonlinearity);
  r.get("ir_drop", ir_drop);
  r.get("drift_sigma_uS", drift_sigma_uS);
  r.get("program_us_per_cell", program_us_per_cell);
  faults = CrossbarFaults::from_json(r.child("faults"), r.key_path("faults"));
}

void CrossbarDeviceConfig::validate(const std::string& path) const {
  const auto key = [&](const char* name) { return join(path, name); };
  require_config(g_min_uS >= 0.0, key("g_min_uS"), g_min_uS, ">= 0");
  if (!(g_min_uS < g_max_uS))
    raise<ConfigError>(key("g_min_uS"), ": ", g_min_uS, " must be below g_max_uS (", g_max_uS, ")");
  require_config(levels >= 2 && levels <= (std::int64_t{1} << kMaxBits), key("levels"), levels,
                 "in [2, 2^52]");
  require_config(prog_sigma_uS >= 0.0, key("prog_sigma_uS"), prog_sigma_uS, ">= 0");
  require_config(read_sigma_rel >= 0.0, key("read_sigma_rel"), read_sigma_rel, ">= 0");
  require_config(dac_bits >= 2 && dac_bits <= kMaxBits, key("dac_bits"), dac_bits, "in [2, 52]");
  require_config(adc_bits >= 2 && adc_bits <= kMaxBits, key("adc_bits"), adc_bits, "in [2, 52]");
  require_config(dac_full_scale >= 0.0, key("dac_full_scale"), dac_full_scale, ">= 0 (0: from calibration)");
  require_config(adc_headroom > 0.0, key("adc_headroom"), adc_headroom, "> 0");
  require_config(tile_rows >= 1, key("tile_rows"), tile_rows, ">= 1");
  require_config(tile_cols >= 1, key("tile_cols"), tile_cols, ">= 1");
  require_config(d2d_sigma_rel >= 0.0, key("d2d_sigma_rel"), d2d_sigma_rel, ">= 0");
  require_config(adc_gain_sigma_rel >= 0.0, key("adc_gain_sigma_rel"), adc_gain_sigma_rel, ">= 0");
  require_config(adc_offset_sigma_lsb >= 0.0, key("adc_offset_sigma_lsb"), adc_offset_sigma_lsb, ">= 0");
  require_config(iv_nonlinearity > -1.0 / 3.0, key("iv_nonlinearity"), iv_nonlinearity,
                 "> -1/3 (a monotonic cell I-V)");
  require_config(ir_drop >= 0.0, key("ir_drop"), ir_drop, ">= 0");
  require_config(drift_sigma_uS >= 0.0, key("drift_sigma_uS"), drift_sigma_uS, ">= 0");
  require_config(program_us_per_cell >= 0.0, key("program_us_per_cell"), program_us_per_cell, ">= 0");
  require_config(forward_us_per_sample >= 0.0, key("forward_us_per_sample"), forward_us_per_sample, ">= 0");
  require_config(time_scale > 0.0, key("time_scale"), time_scale, "> 0");
}

CrossbarDeviceConfig CrossbarDeviceConfig::ideal(int bits) {
  CrossbarDeviceConfig c;
  c.levels = std::int64_t{1} << std::min(bits, kMaxBits);
  c.prog_sigma_uS = 0.0;
  c.read_sigma_rel = 0.0;
  c.dac_bits = bits;
  c.adc_bits = bits;
  c.d2d_sigma_rel = 0.0;
  c.adc_gain_sigma_rel = 0.0;
  c.adc_offset_sigma_lsb = 0.0;
  c.iv_nonlinearity = 0.0;
  c.ir_drop = 0.0;
  c.program_us_per_cell = 0.0;
  c.forward_us_per_sample = 0.0;
  return c;
}

// ---- Kind configs
// ------------------------------------------------------------------------------------------

MemristorDenseConfig MemristorDenseConfig::from_json(const nlohmann::json& json, const std::string& path) {
  MemristorDenseConfig c;
  ConfigReader r(json, path);
  const UnitBasics b = read_basics(r, c.device, true);
  c.input_dim = b.input_dim;
  c.output_dim = b.output_dim;
  c.activation = b.activation;
  c.init = b.init;
  c.device.read(r);
  r.finish();
  c.validate(path);
  return c;
}

void MemristorDenseConfig::validate(const std::string& path) const {
  require_config(input_dim > 0, join(path, "input_dim"), input_dim, "> 0");
  require_config(output_dim > 0, join(path, "output_dim"), output_dim, "> 0");
  validate_init(init, path);
  device.validate(path);
  device.faults.validate(output_dim, join(path, "faults"));
}

CrossbarGeometry MemristorDenseConfig::geometry() const {
  CrossbarGeometry g;
  g.in_channels = input_dim;
  g.out_channels = output_dim;
  return g;
}

namespace {

// The keys and checks both conv kinds share (their geometry keys aside).
template <typename Config>
void read_conv_keys(ConfigReader& r, Config& c) {
  r.get("in_channels", c.in_channels);
  r.get("out_channels", c.out_channels);
  r.get("kernel", c.kernel);
  r.get("stride", c.stride);
  r.get("padding", c.padding);
  r.get("pool", c.pool);
}

template <typename Config>
Config finish_conv_config(ConfigReader& r, Config c, const std::string& path) {
  const UnitBasics b = read_basics(r, c.device, false);
  c.activation = b.activation;
  c.init = b.init;
  c.device.read(r);
  c.validate(path);
  check_dim(r, "input_dim", b.input_dim, c.geometry().input_dim());
  check_dim(r, "output_dim", b.output_dim, c.geometry().output_dim());
  r.finish();
  return c;
}

template <typename Config>
void validate_conv_common(const Config& c, const std::string& path) {
  require_config(c.in_channels > 0, join(path, "in_channels"), c.in_channels, "> 0");
  require_config(c.out_channels > 0, join(path, "out_channels"), c.out_channels, "> 0");
  require_config(c.kernel > 0, join(path, "kernel"), c.kernel, "> 0");
  require_config(c.stride > 0, join(path, "stride"), c.stride, "> 0");
  require_config(c.padding >= 0, join(path, "padding"), c.padding, ">= 0");
}

template <typename Config>
void validate_conv_device(const Config& c, const std::string& path) {
  validate_init(c.init, path);
  c.device.validate(path);
  c.device.faults.validate(c.out_channels, join(path, "faults"));
}

}  // namespace

MemristorConv1dConfig MemristorConv1dConfig::from_json(const nlohmann::json& json, const std::string& path) {
  MemristorConv1dConfig c;
  ConfigReader r(json, path);
  read_conv_keys(r, c);
  r.get("length", c.length);
  return finish_conv_config(r, c, path);
}

void MemristorConv1dConfig::validate(const std::string& path) const {
  validate_conv_common(*this, path);
  require_config(length > 0, join(path, "length"), length, "> 0");
  require_config(kernel <= length + 2 * padding, join(path, "kernel"), kernel,
                 "<= length + 2 padding = " + std::to_string(length + 2 * padding));
  require_config(pool >= 1 && pool <= geometry().out_w(), join(path, "pool"), pool,
                 "in [1, conv output length " + std::to_string(geometry().out_w()) + "]");
  validate_conv_device(*this, path);
}

CrossbarGeometry MemristorConv1dConfig::geometry() const {
  CrossbarGeometry g;
  g.in_channels = in_channels;
  g.width = length;
  g.out_channels = out_channels;
  g.kernel_w = kernel;
  g.stride_w = stride;
  g.pad_w = padding;
  g.pool_w = pool;
  return g;
}

MemristorConv2dConfig MemristorConv2dConfig::from_json(const nlohmann::json& json, const std::string& path) {
  MemristorConv2dConfig c;
  ConfigReader r(json, path);
  read_conv_keys(r, c);
  r.get("height", c.height);
  r.get("width", c.width);
  return finish_conv_config(r, c, path);
}

void MemristorConv2dConfig::validate(const std::string& path) const {
  validate_conv_common(*this, path);
  require_config(height > 0, join(path, "height"), height, "> 0");
  require_config(width > 0, join(path, "width"), width, "> 0");
  require_config(
      kernel <= std::min(height, width) + 2 * padding, join(path, "kernel"), kernel,
      "<= min(height, width) + 2 padding = " + std::to_string(std::min(height, width) + 2 * padding));
  const Eigen::Index side = std::min(geometry().out_h(), geometry().out_w());
  require_config(pool >= 1 && pool <= side, join(path, "pool"), pool,
                 "in [1, the smaller conv output side " + std::to_string(side) + "]");
  validate_conv_device(*this, path);
}

CrossbarGeometry MemristorConv2dConfig::geometry() const {
  CrossbarGeometry g;
  g.in_channels = in_channels;
  g.height = height;
  g.width = width;
  g.out_channels = out_channels;
  g.kernel_h = g.kernel_w = kernel;
  g.stride_h = g.stride_w = stride;
  g.pad_h = g.pad_w = padding;
  g.pool_h = g.pool_w = pool;
  return g;
}

// ---- The three kinds
// ---------------------------------------------------------------------------------------

namespace {
template <typename Config>
const Config& validated(const Config& config) {
  config.validate();
  return config;
}
}  // namespace

MemristorDenseUnit::MemristorDenseUnit(const MemristorDenseConfig& config, std::uint64_t seed)
    : MemristorCrossbarUnit("memristor_dense", validated(config).geometry(), config.activation, config.device,
                            config.init, seed) {}

std::unique_ptr<Unit> MemristorDenseUnit::clone() const {
  return std::unique_ptr<Unit>(new MemristorDenseUnit(*this));
}

MemristorConv1dUnit::MemristorConv1dUnit(const MemristorConv1dConfig& config, std::uint64_t seed)
    : MemristorCrossbarUnit("memristor_conv1d", validated(config).geometry(), config.activation,
                            config.device, config.init, seed) {}

std::unique_ptr<Unit> MemristorConv1dUnit::clone() const {
  return std::unique_ptr<Unit>(new MemristorConv1dUnit(*this));
}

MemristorConv2dUnit::MemristorConv2dUnit(const MemristorConv2dConfig& config, std::uint64_t seed)
    : MemristorCrossbarUnit("memristor_conv2d", validated(config).geometry(), config.activation,
                            config.device, config.init, seed) {}

std::unique_ptr<Unit> MemristorConv2dUnit::clone() const {
  return std::unique_ptr<Unit>(new MemristorConv2dUnit(*this));
}

namespace {

// The registry record of a crossbar kind: a `UnitType` built from its `Config` (read under `name`), the
// ideal model of the same config, the crossbar's characterization and fault model.
template <typename UnitType, typename Config>
UnitKind crossbar_kind(const char* name, InputSize input_size) {
  UnitKind k;
  k.make = [name](const nlohmann::json& config, std::uint64_t seed) -> std::unique_ptr<Unit> {
    return std::make_unique<UnitType>(Config::from_json(config, name), seed);
  };
  k.input_size = input_size;
  k.ideal = [](const nlohmann::json& config, const std::string& path) {
    const auto c = Config::from_json(config, path);
    return IdealLayer(c.geometry(), c.activation, c.init);
  };
  k.characterize = &characterize_crossbar;
  k.has_fault_model = true;
  return k;
}

}  // namespace

UnitKind memristor_dense_kind() {
  return crossbar_kind<MemristorDenseUnit, MemristorDenseConfig>("memristor_dense", InputSize::key);
}
UnitKind memristor_conv1d_kind() {
  return crossbar_kind<MemristorConv1dUnit, MemristorConv1dConfig>("memristor_conv1d", InputSize::derived);
}
UnitKind memristor_conv2d_kind() {
  return crossbar_kind<MemristorConv2dUnit, MemristorConv2dConfig>("memristor_conv2d", InputSize::derived);
}

}  // namespace pib::units
