#include "bottleneck/settings.hpp"

#include "common/error.hpp"

namespace pib::bottleneck {

KernelWidth read_kernel_width(const nlohmann::json& json, const std::string& path, KernelWidth width) {
  if (json.is_string())
    raise<ConfigError>(path, ": expected an object {\"rule\": \"", json.get<std::string>(),
                       "\", \"k\"/\"value\"/\"gamma\": ...}, got ", json.dump());
  ConfigReader r(json, path);
  std::string rule = to_string(width.rule);
  r.get("rule", rule);
  r.get("value", width.value);
  r.get("k", width.k);
  r.get("gamma", width.gamma);
  r.finish();
  try {
    width.rule = parse_width_rule(rule);
    width.validate();
  } catch (const InvalidArgument& e) {
    raise<ConfigError>(path, ": ", e.what());
  }
  return width;
}

nlohmann::json to_json(const KernelWidth& w) {
  return {{"rule", to_string(w.rule)}, {"value", w.value}, {"k", w.k}, {"gamma", w.gamma}};
}

void read_pib_term(ConfigReader& r, PibTerm& term) {
  r.get("alpha", term.alpha);
  r.get("beta", term.beta);
  term.z_width = read_kernel_width(r.child("z_width"), r.key_path("z_width"), term.z_width);
  std::string z_kernel = to_string(term.z_kernel);
  r.get("z_kernel", z_kernel);
  try {
    term.z_kernel = parse_kernel(z_kernel);
  } catch (const InvalidArgument& e) {
    raise<ConfigError>(r.key_path("z_kernel"), ": ", e.what());
  }
  term.x_width = read_kernel_width(r.child("x_width"), r.key_path("x_width"), term.x_width);
  r.get("features", term.estimator.features);
  r.get("feature_seed", term.estimator.seed);
  r.moved("z_width_value", r.key_path("z_width") + ".value");
  r.moved("z_width_k", r.key_path("z_width") + ".k");
  r.moved("sigma_x", r.key_path("x_width") + " ({\"rule\": \"fixed\", \"value\": sigma})");
  require_config(term.alpha > 0 && term.alpha != 1.0, r.key_path("alpha"), term.alpha, "> 0 and != 1");
  require_config(term.beta >= 0, r.key_path("beta"), term.beta, ">= 0");
  require_config(term.estimator.features >= 0, r.key_path("features"), term.estimator.features,
                 ">= 0 (0: the exact n x n estimator)");
}

nlohmann::json to_json(const PibTerm& term) {
  return {{"alpha", term.alpha},
          {"beta", term.beta},
          {"z_width", to_json(term.z_width)},
          {"z_kernel", to_string(term.z_kernel)},
          {"x_width", to_json(term.x_width)},
          {"features", term.estimator.features},
          {"feature_seed", term.estimator.seed}};
}

}  // namespace pib::bottleneck
