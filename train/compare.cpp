// `pib compare` (train/compare.hpp).
#include "train/compare.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <map>
#include <sstream>

#include "common/config.hpp"
#include "common/error.hpp"
#include "train/context.hpp"
#include "train/experiments.hpp"
#include "train/generalisation.hpp"
#include "train/methods.hpp"
#include "units/chain.hpp"

namespace pib::train {
namespace {

const std::vector<std::string> kTests{"input_noise", "data_fraction", "ood"};

// The sum over units of a ledger field.
double ledger_total(const nlohmann::json& device, const char* key) {
  double total = 0;
  for (const auto& u : device)
    total += u.at(key).get<double>();
  return total;
}

}  // namespace

CompareConfig CompareConfig::from_json(const nlohmann::json& json) {
  if (!json.is_object()) raise<ConfigError>("compare config: expected a JSON object");
  CompareConfig c;
  nlohmann::json rest = json, own = nlohmann::json::object();
  for (const char* key : {"methods", "tests", "data_fractions"})
    if (rest.contains(key)) {
      own[key] = rest[key];
      rest.erase(key);
    }
  for (const auto& m : training_methods())
    c.methods.emplace_back(m.name);
  ConfigReader r(own, "");
  r.get("methods", c.methods);
  r.get("tests", c.tests);
  r.get("data_fractions", c.data_fractions);
  const bool noise_given = rest.contains("generalisation") && rest["generalisation"].contains("input_noise");
  const bool held_given =
      rest.contains("generalisation") && rest["generalisation"].contains("held_out_classes");
  c.train = TrainConfig::from_json(rest);
  if (!noise_given) c.train.generalisation.input_noise = {0.0, 0.01, 0.02, 0.03, 0.04, 0.05};
  if (!held_given) c.train.generalisation.held_out_classes.clear();  // the last two, once the data are known

  require_config(!c.methods.empty(), "methods", "[]", "at least one method");
  for (const auto& m : c.methods)
    check_method_units(find_method(m, "methods"), c.train.units, "methods", c.train.twin);
  require_config(!c.tests.empty(), "tests", "[]", "at least one of input_noise, data_fraction, ood");
  for (const auto& t : c.tests)
    require_config(std::find(kTests.begin(), kTests.end(), t) != kTests.end(), "tests", t,
                   "input_noise, data_fraction or ood");
  for (const double f : c.data_fractions)
    require_config(f > 0.0 && f <= 1.0, "data_fractions", f, "fractions in (0, 1]");
  require_config(c.train.task == Task::supervised, "task", "self_supervised", "supervised for pib compare");
  // The trainer's own experiments do not run here: a key that asks for one would be silently ignored.
  const char* listed = "off in pib compare (list the method in methods)";
  require_config(!c.train.backprop.enabled, "backprop.enabled", true, listed);
  require_config(!c.train.compare_pib_ideal, "compare.pib_ideal", true, "off in pib compare");
  require_config(!c.train.compare_raw_readout, "compare.raw_readout", true, "off in pib compare");
  require_config(c.train.faults.empty(), "faults", "[...]", "none in pib compare");
  require_config(c.train.generalisation.data_fraction == 1.0, "generalisation.data_fraction",
                 c.train.generalisation.data_fraction,
                 "1 in pib compare (data_fractions lists the fractions)");
  return c;
}

nlohmann::json CompareConfig::to_json() const {
  nlohmann::json j = train.to_json();
  j["methods"] = methods;
  j["tests"] = tests;
  j["data_fractions"] = data_fractions;
  return j;
}

bool CompareConfig::has_test(const std::string& test) const {
  return std::find(tests.begin(), tests.end(), test) != tests.end();
}

CompareResult run_compare(const CompareConfig& config, const Callbacks& callbacks) {
  const auto start = std::chrono::steady_clock::now();
  CompareResult out;
  std::map<std::string, MethodScores> scores;
  std::vector<std::string> order;
  auto scores_of = [&](const std::string& variant) -> MethodScores& {
    if (!scores.count(variant)) order.push_back(variant);
    return scores[variant];
  };
  // One run: a Context with `cfg`, every method trained in it, the generalisation tests of cfg on each.
  auto run = [&](TrainConfig cfg, const std::string& label, const auto& take) {
    cfg.validate();
    Callbacks cb = callbacks;
    if (callbacks.on_record)
      cb.on_record = [&](const nlohmann::json& r) {
        auto tagged = r;
        tagged["run"] = label;
        callbacks.on_record(tagged);
      };
    if (callbacks.on_progress)
      cb.on_progress = [&](const Progress& p) {
        auto tagged = p;
        tagged.stage = "[" + label + "] " + p.stage;
        callbacks.on_progress(tagged);
      };
    Context ctx(cfg, cb);
    ctx.record({{"type", "start"}, {"data", ctx.result.data}});
    for (const auto& name : config.methods) {
      const auto t0 = std::chrono::steady_clock::now();
      auto trained = find_method(name, "methods").train(ctx);
      const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      for (auto& t : trained) {
        run_generalisation(ctx, t.name, *t.chain, t.readout, t.input_map);
        take(scores_of(t.name), t, ctx.result.generalisation[t.name], wall);
      }
    }
  };
  TrainConfig base = config.train;
  base.generalisation = {};
  const bool fractions = config.has_test("data_fraction");
  // What depends on the data is checked on it before any training: the units' models with the input size
  // known (a twin's budget depends on it), then (in the first run) the held-out classes.
  const auto dataset = data::load_dataset(base.data);
  const auto resolved = units::resolve_chain(base.units, dataset.num_features());
  for (const auto& m : config.methods)
    check_method_units(find_method(m, "methods"), resolved, "methods", base.twin);
  if (config.has_test("ood")) {
    TrainConfig cfg = base;
    cfg.generalisation.held_out_classes = config.train.generalisation.held_out_classes;
    if (cfg.generalisation.held_out_classes.empty()) {  // the dataset's last two classes
      const int k = dataset.num_classes();
      cfg.generalisation.held_out_classes = {k - 2, k - 1};
    }
    run(cfg, "ood", [&](MethodScores& s, const TrainedMethod&, const GeneralisationScores& g, double) {
      s.ood_auroc_msp = g.ood_auroc_msp;
      s.ood_auroc_energy = g.ood_auroc_energy;
      s.ood_roc_msp = g.ood_roc_msp;
      s.ood_roc_energy = g.ood_roc_energy;
    });
  }
  {  // the full training split: clean accuracy, cost, input noise, fraction 1
    TrainConfig cfg = base;
    if (config.has_test("input_noise"))
      cfg.generalisation.input_noise = config.train.generalisation.input_noise;
    const bool one = fractions && std::find(config.data_fractions.begin(), config.data_fractions.end(),
                                            1.0) != config.data_fractions.end();
    run(cfg, "full",
        [&](MethodScores& s, const TrainedMethod& t, const GeneralisationScores& g, double wall) {
          s.accuracy = t.accuracy;
          s.device = t.device;
          s.wall_s = wall;
          s.input_noise = g.accuracy_by_input_noise;
          if (one) s.data_fraction.emplace_back(1.0, t.accuracy);
        });
  }
  if (fractions) {
    for (const double f : config.data_fractions) {
      if (f == 1.0) continue;
      TrainConfig cfg = base;
      cfg.generalisation.data_fraction = f;
      run(cfg, "data_fraction " + nlohmann::json(f).dump(),
          [&](MethodScores& s, const TrainedMethod& t, const GeneralisationScores&, double) {
            s.data_fraction.emplace_back(f, t.accuracy);
          });
    }
    for (auto& [name, s] : scores)
      std::sort(s.data_fraction.begin(), s.data_fraction.end());
  }
  for (const auto& name : order)
    out.variants.emplace_back(name, scores[name]);
  out.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return out;
}

nlohmann::json CompareResult::to_json() const {
  nlohmann::json j;
  j["devices"] = "simulated";
  j["wall_s"] = wall_s;
  j["methods"] = nlohmann::json::object();
  j["method_order"] = nlohmann::json::array();
  for (const auto& [name, s] : variants) {
    j["method_order"].push_back(name);
    nlohmann::json m;
    m["accuracy"] = s.accuracy;
    for (const auto& [level, acc] : s.input_noise)
      m["input_noise"].push_back({{"level", level}, {"accuracy", acc}});
    for (const auto& [fraction, acc] : s.data_fraction)
      m["data_fraction"].push_back({{"fraction", fraction}, {"accuracy", acc}});
    if (s.ood_auroc_msp) m["ood_auroc"] = {{"msp", *s.ood_auroc_msp}, {"energy", *s.ood_auroc_energy}};
    if (!s.ood_roc_msp.empty()) m["ood_roc"] = ood_roc_json(s.ood_roc_msp, s.ood_roc_energy);
    m["device"] = s.device;
    m["measures"] = ledger_total(s.device, "measures");
    m["deploys"] = ledger_total(s.device, "deploys");
    m["device_busy_s"] = ledger_total(s.device, "busy_us") * 1e-6;
    m["train_wall_s"] = s.wall_s;
    j["methods"][name] = m;
  }
  return j;
}

std::string CompareResult::markdown() const {
  std::ostringstream o;
  auto pct = [](double v) {
    char b[32];
    std::snprintf(b, sizeof b, "%.2f", 100.0 * v);
    return std::string(b);
  };
  const auto& first = variants.empty() ? MethodScores{} : variants.front().second;
  o << "| method | clean";
  for (const auto& [level, acc] : first.input_noise)
    o << " | noise " << pct(level) << " %";
  for (const auto& [fraction, acc] : first.data_fraction)
    o << " | data " << pct(fraction) << " %";
  if (first.ood_auroc_msp) o << " | OOD AUROC (MSP) | OOD AUROC (energy)";
  o << " | measure calls | deploys | device s | train wall s |\n|---|---";
  const std::size_t cols =
      first.input_noise.size() + first.data_fraction.size() + (first.ood_auroc_msp ? 2 : 0);
  for (std::size_t c = 0; c < cols + 4; ++c)
    o << "|---";
  o << "|\n";
  for (const auto& [name, s] : variants) {
    o << "| " << name << " | " << pct(s.accuracy);
    for (const auto& [level, acc] : s.input_noise)
      o << " | " << pct(acc);
    for (const auto& [fraction, acc] : s.data_fraction)
      o << " | " << pct(acc);
    if (s.ood_auroc_msp) o << " | " << pct(*s.ood_auroc_msp) << " | " << pct(*s.ood_auroc_energy);
    char tail[128];
    std::snprintf(tail, sizeof tail, " | %.0f | %.0f | %.1f | %.1f |\n", ledger_total(s.device, "measures"),
                  ledger_total(s.device, "deploys"), ledger_total(s.device, "busy_us") * 1e-6, s.wall_s);
    o << tail;
  }
  o << "\nAccuracies and AUROCs in %, on simulated devices.\n";
  return o.str();
}

}  // namespace pib::train
