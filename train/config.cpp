#include "train/config.hpp"

#include "common/config.hpp"
#include "common/error.hpp"

namespace pib::train {

namespace {

bottleneck::KernelWidth read_width(const nlohmann::json& j, const std::string& path,
                                   bottleneck::KernelWidth width) {
  ConfigReader r(j, path);
  std::string rule = bottleneck::to_string(width.rule);
  r.get("rule", rule);
  r.get("value", width.value);
  r.get("k", width.k);
  r.get("gamma", width.gamma);
  r.finish();
  try {
    width.rule = bottleneck::parse_width_rule(rule);
    width.validate();
  } catch (const InvalidArgument& e) {
    raise<ConfigError>(path, ": ", e.what());
  }
  return width;
}

nlohmann::json width_json(const bottleneck::KernelWidth& w) {
  return {{"rule", bottleneck::to_string(w.rule)}, {"value", w.value}, {"k", w.k}, {"gamma", w.gamma}};
}

}  // namespace

TrainConfig TrainConfig::from_json(const nlohmann::json& json) {
  TrainConfig c;
  ConfigReader r(json, "");
  r.get("seed", c.seed);
  std::string task = "supervised", schedule = "cascade";
  r.get("task", task);
  r.get("schedule", schedule);
  if (task == "supervised")
    c.task = Task::supervised;
  else if (task == "self_supervised")
    c.task = Task::self_supervised;
  else
    raise<ConfigError>("task: '", task, "' is not a task (expected supervised or self_supervised)");
  if (schedule == "cascade")
    c.schedule = Schedule::cascade;
  else if (schedule == "parallel")
    c.schedule = Schedule::parallel;
  else
    raise<ConfigError>("schedule: '", schedule, "' is not a schedule (expected cascade or parallel)");
  c.data = data::DatasetConfig::from_json(r.child("data"), "data");
  const auto& units = r.child("units");
  if (!units.is_array() || units.empty())
    raise<ConfigError>("units: expected a non-empty array of unit configs, got ", units.dump());
  for (std::size_t l = 0; l < units.size(); ++l)
    if (!units[l].is_object() || !units[l].contains("kind"))
      raise<ConfigError>("units[", l, "]: expected an object with a \"kind\", got ", units[l].dump());
  c.units = units;
  r.get("center_inputs", c.center_inputs);
  r.get("batch_size", c.batch_size);
  r.get("epochs_per_unit", c.epochs_per_unit);
  r.get("unit_epochs", c.unit_epochs);
  r.get("lr_final_fraction", c.lr_final_fraction);
  c.optimizer = AdamConfig::from_json(r.child("optimizer"), "optimizer");
  {
    ConfigReader p(r.child("pib"), "pib");
    p.get("alpha", c.pib.alpha);
    p.get("beta", c.pib.beta);
    c.pib.z_width = read_width(p.child("z_width"), "pib.z_width", c.pib.z_width);
    std::string z_kernel = bottleneck::to_string(c.pib.z_kernel);
    p.get("z_kernel", z_kernel);
    try {
      c.pib.z_kernel = bottleneck::parse_kernel(z_kernel);
    } catch (const InvalidArgument& e) {
      raise<ConfigError>("pib.z_kernel: ", e.what());
    }
    c.pib.x_width = read_width(p.child("x_width"), "pib.x_width", c.pib.x_width);
    p.finish();
  }
  r.get("calibration_samples", c.calibration_samples);
  r.get("eval_batch", c.eval_batch);
  c.readout = ReadoutConfig::from_json(r.child("readout"), "readout");
  r.get("track_readout_every_epoch", c.track_readout_every_epoch);
  {
    ConfigReader p(r.child("validation"), "validation");
    p.get("fraction", c.validation.fraction);
    p.get("patience", c.validation.patience);
    p.finish();
  }
  {
    ConfigReader p(r.child("compare"), "compare");
    p.get("pib_ideal", c.compare_pib_ideal);
    p.get("raw_readout", c.compare_raw_readout);
    p.finish();
  }
  {
    ConfigReader p(r.child("backprop"), "backprop");
    p.get("enabled", c.backprop.enabled);
    p.get("epochs", c.backprop.epochs);
    p.get("batch_size", c.backprop.batch_size);
    c.backprop.optimizer = AdamConfig::from_json(p.child("optimizer"), "backprop.optimizer");
    p.finish();
  }
  {
    ConfigReader p(r.child("fault"), "fault");
    p.get("enabled", c.fault.enabled);
    p.get("unit", c.fault.unit);
    p.get("adc_channels", c.fault.adc_channels);
    p.get("channel_fraction", c.fault.channel_fraction);
    p.get("mode", c.fault.mode);
    p.get("recovery_epochs", c.fault.recovery_epochs);
    p.finish();
  }
  {
    ConfigReader p(r.child("ssl"), "ssl");
    p.get("iterations_per_unit", c.ssl.iterations_per_unit);
    p.get("probe_every", c.ssl.probe_every);
    p.get("probe_train_samples", c.ssl.probe_train_samples);
    if (p.has("augment"))
      c.ssl.augment = p.child("augment");
    else
      p.child("augment");
    p.finish();
  }
  r.finish();
  c.validate();
  return c;
}

nlohmann::json TrainConfig::to_json() const {
  return {{"seed", seed},
          {"task", task == Task::supervised ? "supervised" : "self_supervised"},
          {"schedule", schedule == Schedule::cascade ? "cascade" : "parallel"},
          {"data", data.to_json()},
          {"units", units},
          {"center_inputs", center_inputs},
          {"batch_size", batch_size},
          {"epochs_per_unit", epochs_per_unit},
          {"unit_epochs", unit_epochs},
          {"lr_final_fraction", lr_final_fraction},
          {"optimizer", optimizer.to_json()},
          {"pib",
           {{"alpha", pib.alpha},
            {"beta", pib.beta},
            {"z_width", width_json(pib.z_width)},
            {"z_kernel", bottleneck::to_string(pib.z_kernel)},
            {"x_width", width_json(pib.x_width)}}},
          {"calibration_samples", calibration_samples},
          {"eval_batch", eval_batch},
          {"readout", readout.to_json()},
          {"track_readout_every_epoch", track_readout_every_epoch},
          {"validation", {{"fraction", validation.fraction}, {"patience", validation.patience}}},
          {"compare", {{"pib_ideal", compare_pib_ideal}, {"raw_readout", compare_raw_readout}}},
          {"backprop",
           {{"enabled", backprop.enabled},
            {"epochs", backprop.epochs},
            {"batch_size", backprop.batch_size},
            {"optimizer", backprop.optimizer.to_json()}}},
          {"fault",
           {{"enabled", fault.enabled},
            {"unit", fault.unit},
            {"adc_channels", fault.adc_channels},
            {"channel_fraction", fault.channel_fraction},
            {"mode", fault.mode},
            {"recovery_epochs", fault.recovery_epochs}}},
          {"ssl",
           {{"iterations_per_unit", ssl.iterations_per_unit},
            {"probe_every", ssl.probe_every},
            {"probe_train_samples", ssl.probe_train_samples},
            {"augment", ssl.augment}}}};
}

void TrainConfig::validate() const {
  data.validate();
  require_config(batch_size >= 4, "batch_size", batch_size, ">= 4");
  require_config(epochs_per_unit >= 0, "epochs_per_unit", epochs_per_unit, ">= 0");
  for (int e : unit_epochs)
    require_config(e >= 0, "unit_epochs", e, "epochs >= 0");
  if (!unit_epochs.empty())
    require_config(unit_epochs.size() == units.size(), "unit_epochs", nlohmann::json(unit_epochs).dump(),
                   "one entry per unit (" + std::to_string(units.size()) + ")");
  require_config(lr_final_fraction >= 0 && lr_final_fraction <= 1, "lr_final_fraction", lr_final_fraction,
                 "in [0, 1]");
  require_config(pib.alpha > 0 && pib.alpha != 1.0, "pib.alpha", pib.alpha, "> 0 and != 1");
  require_config(pib.beta >= 0, "pib.beta", pib.beta, ">= 0");
  require_config(validation.fraction >= 0 && validation.fraction < 1, "validation.fraction",
                 validation.fraction, "in [0, 1)");
  require_config(validation.patience >= 0, "validation.patience", validation.patience, ">= 0");
  require_config(calibration_samples >= 1, "calibration_samples", calibration_samples, ">= 1");
  require_config(eval_batch >= 1, "eval_batch", eval_batch, ">= 1");
  require_config(backprop.epochs >= 1, "backprop.epochs", backprop.epochs, ">= 1");
  require_config(backprop.batch_size >= 1, "backprop.batch_size", backprop.batch_size, ">= 1");
  const int n_units = static_cast<int>(units.size());
  require_config(fault.unit >= 0 && fault.unit < n_units, "fault.unit", fault.unit,
                 "a unit index in [0, " + std::to_string(n_units) + ")");
  require_config(fault.channel_fraction >= 0 && fault.channel_fraction <= 1, "fault.channel_fraction",
                 fault.channel_fraction, "in [0, 1]");
  require_config(fault.mode == "zero" || fault.mode == "full_scale" || fault.mode == "noise", "fault.mode",
                 fault.mode, "zero, full_scale or noise");
  require_config(fault.recovery_epochs >= 0, "fault.recovery_epochs", fault.recovery_epochs, ">= 0");
  if (fault.enabled)
    require_config(!fault.adc_channels.empty() || fault.channel_fraction > 0, "fault.adc_channels", "[]",
                   "channels to break (or fault.channel_fraction > 0)");
  for (int ch : fault.adc_channels)
    require_config(ch >= 0, "fault.adc_channels", ch, "channel indices >= 0");
  require_config(ssl.iterations_per_unit >= 0, "ssl.iterations_per_unit", ssl.iterations_per_unit, ">= 0");
  require_config(ssl.probe_every >= 1, "ssl.probe_every", ssl.probe_every, ">= 1");
  if (task == Task::self_supervised) {
    require_config(!backprop.enabled, "backprop.enabled", true, "false for task self_supervised");
    require_config(!fault.enabled, "fault.enabled", true, "false for task self_supervised");
  }
  if (validation.enabled())
    require_config(task == Task::supervised && schedule == Schedule::cascade, "validation.fraction",
                   validation.fraction, "0 unless task is supervised and schedule is cascade");
}

}  // namespace pib::train
