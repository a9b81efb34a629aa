#include "train/config.hpp"

#include "common/config.hpp"
#include "common/error.hpp"
#include "train/methods.hpp"

namespace pib::train {

const char* schedule_name(Schedule s) {
  switch (s) {
    case Schedule::cascade: return "cascade";
    case Schedule::parallel: return "parallel";
    case Schedule::decentralised: return "decentralised";
  }
  return "?";
}

TrainConfig TrainConfig::from_json(const nlohmann::json& json) {
  TrainConfig c;
  ConfigReader r(json, "");
  r.get("seed", c.seed);
  std::string task = "supervised", schedule = "cascade";
  r.get("task", task);
  r.get("schedule", schedule);
  c.task = parse_enum<Task>("task", task,
                            {{"supervised", Task::supervised}, {"self_supervised", Task::self_supervised}});
  c.schedule = parse_enum<Schedule>("schedule", schedule,
                                    {{"cascade", Schedule::cascade},
                                     {"parallel", Schedule::parallel},
                                     {"decentralised", Schedule::decentralised}});
  c.data = data::DatasetConfig::from_json(r.child("data"), "data");
  const auto& units = r.child("units");
  if (!units.is_array() || units.empty())
    raise<ConfigError>("units: expected a non-empty array of unit configs, got ", units.dump());
  for (std::size_t l = 0; l < units.size(); ++l)
    if (!units[l].is_object() || !units[l].contains("kind"))
      raise<ConfigError>("units[", l, "]: expected an object with a \"kind\", got ", units[l].dump());
  c.units = units;
  r.get("center_inputs", c.center_inputs);
  r.get("standardize_inputs", c.standardize_inputs);
  r.get("batch_size", c.batch_size);
  r.get("epochs_per_unit", c.epochs_per_unit);
  r.get("unit_epochs", c.unit_epochs);
  r.moved("lr_final_fraction", "optimizer.lr_final (the final learning rate itself)");
  c.optimizer = AdamConfig::from_json(r.child("optimizer"), "optimizer");
  {
    ConfigReader p(r.child("pib"), "pib");
    bottleneck::read_pib_term(p, c.pib);
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
    ConfigReader p(r.child("generalisation"), "generalisation");
    p.get("data_fraction", c.generalisation.data_fraction);
    p.get("held_out_classes", c.generalisation.held_out_classes);
    p.get("input_noise", c.generalisation.input_noise);
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
  for (auto [key, settings] : {std::pair<const char*, MethodSettings*>{"dfa", &c.dfa},
                               {"pat", &c.pat},
                               {"pib_dfa", &c.pib_dfa},
                               {"phyll", &c.phyll}}) {
    const std::string path = key;
    ConfigReader p(r.child(path), path);
    p.get("epochs", settings->epochs);
    p.get("batch_size", settings->batch_size);
    settings->optimizer = AdamConfig::from_json(p.child("optimizer"), path + ".optimizer");
    if (settings == &c.phyll) p.get("threshold", c.phyll.threshold);
    p.finish();
  }
  c.twin = units::TwinSettings::from_json(r.child("twin"), "twin");
  r.moved("fault", "faults ([{\"unit\": l, \"inject\": {\"adc_channels\": ...}}]) and fault_recovery_epochs");
  c.faults = units::read_fault_events(r.child("faults"), "faults", c.units.size(), false);
  r.get("fault_recovery_epochs", c.fault_recovery_epochs);
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
          {"schedule", schedule_name(schedule)},
          {"data", data.to_json()},
          {"units", units},
          {"center_inputs", center_inputs},
          {"standardize_inputs", standardize_inputs},
          {"batch_size", batch_size},
          {"epochs_per_unit", epochs_per_unit},
          {"unit_epochs", unit_epochs},
          {"optimizer", optimizer.to_json()},
          {"pib", bottleneck::to_json(pib)},
          {"calibration_samples", calibration_samples},
          {"eval_batch", eval_batch},
          {"readout", readout.to_json()},
          {"track_readout_every_epoch", track_readout_every_epoch},
          {"validation", {{"fraction", validation.fraction}, {"patience", validation.patience}}},
          {"generalisation",
           {{"data_fraction", generalisation.data_fraction},
            {"held_out_classes", generalisation.held_out_classes},
            {"input_noise", generalisation.input_noise}}},
          {"compare", {{"pib_ideal", compare_pib_ideal}, {"raw_readout", compare_raw_readout}}},
          {"backprop",
           {{"enabled", backprop.enabled},
            {"epochs", backprop.epochs},
            {"batch_size", backprop.batch_size},
            {"optimizer", backprop.optimizer.to_json()}}},
          {"dfa",
           {{"epochs", dfa.epochs}, {"batch_size", dfa.batch_size}, {"optimizer", dfa.optimizer.to_json()}}},
          {"pat",
           {{"epochs", pat.epochs}, {"batch_size", pat.batch_size}, {"optimizer", pat.optimizer.to_json()}}},
          {"pib_dfa",
           {{"epochs", pib_dfa.epochs},
            {"batch_size", pib_dfa.batch_size},
            {"optimizer", pib_dfa.optimizer.to_json()}}},
          {"phyll",
           {{"epochs", phyll.epochs},
            {"batch_size", phyll.batch_size},
            {"optimizer", phyll.optimizer.to_json()},
            {"threshold", phyll.threshold}}},
          {"twin", twin.to_json()},
          {"faults", units::to_json(faults, false)},
          {"fault_recovery_epochs", fault_recovery_epochs},
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
  require_config(validation.fraction >= 0 && validation.fraction < 1, "validation.fraction",
                 validation.fraction, "in [0, 1)");
  require_config(validation.patience >= 0, "validation.patience", validation.patience, ">= 0");
  require_config(calibration_samples >= 1, "calibration_samples", calibration_samples, ">= 1");
  require_config(eval_batch >= 1, "eval_batch", eval_batch, ">= 1");
  require_config(backprop.epochs >= 1, "backprop.epochs", backprop.epochs, ">= 1");
  require_config(backprop.batch_size >= 1, "backprop.batch_size", backprop.batch_size, ">= 1");
  require_config(phyll.threshold > 0, "phyll.threshold", phyll.threshold, "> 0");
  for (auto [key, m] : {std::pair<const char*, const MethodSettings*>{"dfa", &dfa},
                        {"pat", &pat},
                        {"pib_dfa", &pib_dfa},
                        {"phyll", &phyll}}) {
    require_config(m->epochs >= 1, std::string(key) + ".epochs", m->epochs, ">= 1");
    require_config(m->batch_size >= 2, std::string(key) + ".batch_size", m->batch_size, ">= 2");
  }
  require_config(fault_recovery_epochs >= 0, "fault_recovery_epochs", fault_recovery_epochs, ">= 0");
  require_config(ssl.iterations_per_unit >= 0, "ssl.iterations_per_unit", ssl.iterations_per_unit, ">= 0");
  require_config(ssl.probe_every >= 1, "ssl.probe_every", ssl.probe_every, ">= 1");
  if (task == Task::self_supervised) {
    require_config(!backprop.enabled, "backprop.enabled", true, "false for task self_supervised");
    require_config(faults.empty(), "faults", units::to_json(faults, false).dump(),
                   "none for task self_supervised");
  }
  if (schedule == Schedule::decentralised) {  // the ranks run PIB and the readout, nothing else
    const char* alone = "off with schedule decentralised";
    require_config(task == Task::supervised, "task", "self_supervised", "supervised with schedule decentralised");
    require_config(!backprop.enabled, "backprop.enabled", true, alone);
    require_config(faults.empty(), "faults", units::to_json(faults, false).dump(), "none with schedule decentralised");
    require_config(!compare_pib_ideal, "compare.pib_ideal", true, alone);
    require_config(!compare_raw_readout, "compare.raw_readout", true, alone);
    require_config(!track_readout_every_epoch, "track_readout_every_epoch", true, alone);
  }
  if (backprop.enabled)
    check_method_units(find_method("backprop", "backprop"), units, "backprop.enabled", twin);
  const auto& g = generalisation;
  require_config(g.data_fraction > 0.0 && g.data_fraction <= 1.0, "generalisation.data_fraction",
                 g.data_fraction, "in (0, 1]");
  for (const double level : g.input_noise)
    require_config(level >= 0.0 && level <= 1.0, "generalisation.input_noise", level,
                   "levels in [0, 1] (fractions of the input range)");
  for (const int c : g.held_out_classes)
    require_config(c >= 0, "generalisation.held_out_classes", c, "classes >= 0");
  if (g.enabled())
    require_config(task == Task::supervised && schedule != Schedule::decentralised, "generalisation",
                   nlohmann::json{{"data_fraction", g.data_fraction},
                                  {"held_out_classes", g.held_out_classes},
                                  {"input_noise", g.input_noise}}
                       .dump(),
                   "the defaults unless task is supervised and schedule cascade or parallel");
  if (validation.enabled())
    require_config(task == Task::supervised && schedule == Schedule::cascade, "validation.fraction",
                   validation.fraction, "0 unless task is supervised and schedule is cascade");
}

}  // namespace pib::train
