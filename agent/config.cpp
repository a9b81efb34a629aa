#include "agent/config.hpp"

#include <cmath>

#include "common/config.hpp"
#include "common/error.hpp"

namespace pib::agent {
namespace {

template <typename E>
E parse_enum(const std::string& path, const std::string& value,
             std::initializer_list<std::pair<const char*, E>> choices) {
  std::string known;
  for (const auto& [name, e] : choices) {
    if (value == name) return e;
    known += (known.empty() ? "" : ", ") + std::string(name);
  }
  raise<ConfigError>(path, ": '", value, "' is not one of ", known);
}

}  // namespace

nlohmann::json RlConfig::default_units() {
  nlohmann::json unit = {{"kind", "optical"}, {"encoding", "phase8"}, {"n_speckle", 256},
                         {"output_dim", 64},  {"activation", "relu"}, {"reference_pixels", 1}};
  nlohmann::json first = unit;
  first["activation"] = "tanh";  // bounded features for the next unit's modulator (see QNetwork)
  return nlohmann::json::array({first, unit});
}

RlConfig RlConfig::from_json(const nlohmann::json& j) {
  RlConfig c;
  ConfigReader r(j, "");
  r.get("env", c.env);
  r.get("seed", c.seed);
  std::string schedule = c.schedule == Schedule::sync ? "sync" : "async";
  r.get("schedule", schedule);
  c.schedule =
      parse_enum<Schedule>("schedule", schedule, {{"sync", Schedule::sync}, {"async", Schedule::async}});
  r.get("total_steps", c.total_steps);
  r.get("stop_when_solved", c.stop_when_solved);
  r.get("metrics_every", c.metrics_every);
  r.get("checkpoint_every", c.checkpoint_every);
  r.get("gamma", c.gamma);
  r.get("n_step", c.n_step);
  r.get("double_dqn", c.double_dqn);
  r.get("target_update", c.target_update);
  r.get("target_update_every", c.target_update_every);
  r.get("polyak_tau", c.polyak_tau);
  std::string td_loss = c.td_loss == TdLoss::huber ? "huber" : "squared";
  r.get("td_loss", td_loss);
  c.td_loss =
      parse_enum<TdLoss>("td_loss", td_loss, {{"huber", TdLoss::huber}, {"squared", TdLoss::squared}});
  r.get("lambda_td", c.lambda_td);
  r.get("learning_starts", c.learning_starts);
  r.get("update_every", c.update_every);
  r.get("batch_size", c.batch_size);
  r.get("buffer_size", c.buffer_size);
  r.get("lr", c.lr);
  r.get("lr_final", c.lr_final);
  r.get("lr_decay_steps", c.lr_decay_steps);
  r.get("adam_beta1", c.adam_beta1);
  r.get("adam_beta2", c.adam_beta2);
  r.get("adam_eps", c.adam_eps);
  r.get("grad_clip_norm", c.grad_clip_norm);
  r.get("epsilon_start", c.epsilon_start);
  r.get("epsilon_final", c.epsilon_final);
  r.get("epsilon_decay_steps", c.epsilon_decay_steps);
  r.get("obs_scale", c.obs_scale);
  if (const auto& p = r.child("pib"); !p.is_null()) {
    ConfigReader pr(p, "pib");
    pr.get("enabled", c.pib.enabled);
    pr.get("alpha", c.pib.alpha);
    pr.get("beta", c.pib.beta);
    pr.get("y", c.pib.y);
    pr.get("sigma_y", c.pib.sigma_y);
    pr.get("sigma_x", c.pib.sigma_x);
    pr.get("z_width", c.pib.z_width);
    pr.get("z_width_value", c.pib.z_width_value);
    pr.get("z_width_k", c.pib.z_width_k);
    pr.get("z_kernel", c.pib.z_kernel);
    pr.finish();
  }
  if (const auto& u = r.child("units"); !u.is_null()) c.units = u;
  r.get("time_scale", c.time_scale);
  if (const auto& f = r.child("faults"); !f.is_null()) {
    require_config(f.is_array(), "faults", f.dump(), "an array of {at_step, unit, inject}");
    for (std::size_t k = 0; k < f.size(); ++k) {
      const std::string path = "faults[" + std::to_string(k) + "]";
      ConfigReader fr(f[k], path);
      FaultEvent e;
      fr.get("at_step", e.at_step);
      fr.get("unit", e.unit);
      e.inject = fr.child("inject");
      fr.finish();
      require_config(fr.has("at_step") && fr.has("unit") && e.inject.is_object(), path, f[k].dump(),
                     "{\"at_step\": N, \"unit\": l, \"inject\": {...}}");
      c.faults.push_back(std::move(e));
    }
  }
  r.finish();
  c.validate();
  return c;
}

nlohmann::json RlConfig::to_json() const {
  auto faults_json = [this] {
    auto out = nlohmann::json::array();
    for (const auto& f : faults)
      out.push_back({{"at_step", f.at_step}, {"unit", f.unit}, {"inject", f.inject}});
    return out;
  };
  return {
      {"env", env},
      {"seed", seed},
      {"schedule", schedule == Schedule::sync ? "sync" : "async"},
      {"total_steps", total_steps},
      {"stop_when_solved", stop_when_solved},
      {"metrics_every", metrics_every},
      {"checkpoint_every", checkpoint_every},
      {"gamma", gamma},
      {"n_step", n_step},
      {"double_dqn", double_dqn},
      {"target_update", target_update},
      {"target_update_every", target_update_every},
      {"polyak_tau", polyak_tau},
      {"td_loss", td_loss == TdLoss::huber ? "huber" : "squared"},
      {"lambda_td", lambda_td},
      {"learning_starts", learning_starts},
      {"update_every", update_every},
      {"batch_size", batch_size},
      {"buffer_size", buffer_size},
      {"lr", lr},
      {"lr_final", lr_final},
      {"lr_decay_steps", lr_decay_steps},
      {"adam_beta1", adam_beta1},
      {"adam_beta2", adam_beta2},
      {"adam_eps", adam_eps},
      {"grad_clip_norm", grad_clip_norm},
      {"epsilon_start", epsilon_start},
      {"epsilon_final", epsilon_final},
      {"epsilon_decay_steps", epsilon_decay_steps},
      {"obs_scale", obs_scale},
      {"pib",
       {{"enabled", pib.enabled},
        {"alpha", pib.alpha},
        {"beta", pib.beta},
        {"y", pib.y},
        {"sigma_y", pib.sigma_y},
        {"sigma_x", pib.sigma_x},
        {"z_width", pib.z_width},
        {"z_width_value", pib.z_width_value},
        {"z_width_k", pib.z_width_k},
        {"z_kernel", pib.z_kernel}}},
      {"units", units},
      {"time_scale", time_scale},
      {"faults", faults_json()},
  };
}

void RlConfig::validate() const {
  require_config(!env.empty(), "env", "\"\"", "an environment id");
  require_config(total_steps > 0, "total_steps", total_steps, "> 0");
  require_config(metrics_every > 0, "metrics_every", metrics_every, "> 0");
  require_config(checkpoint_every >= 0, "checkpoint_every", checkpoint_every, ">= 0");
  require_config(gamma >= 0.0 && gamma <= 1.0, "gamma", gamma, "in [0, 1]");
  require_config(n_step >= 1 && n_step <= 100, "n_step", n_step, "in [1, 100]");
  require_config(target_update == "hard" || target_update == "polyak", "target_update", target_update,
                 "hard or polyak");
  require_config(target_update_every >= 1, "target_update_every", target_update_every, ">= 1");
  require_config(polyak_tau > 0.0 && polyak_tau <= 1.0, "polyak_tau", polyak_tau, "in (0, 1]");
  require_config(lambda_td >= 0.0, "lambda_td", lambda_td, ">= 0");
  // The first update samples a batch: by then the replay buffer must hold it (n-step transitions arrive
  // up to n_step - 1 steps late).
  require_config(learning_starts >= batch_size + n_step, "learning_starts", learning_starts,
                 ">= batch_size + n_step (" + std::to_string(batch_size + n_step) + ")");
  require_config(update_every >= 1, "update_every", update_every, ">= 1");
  require_config(batch_size >= 2, "batch_size", batch_size, ">= 2");
  require_config(buffer_size >= batch_size, "buffer_size", buffer_size, ">= batch_size");
  require_config(lr > 0.0, "lr", lr, "> 0");
  require_config(lr_final > 0.0 && lr_final <= lr, "lr_final", lr_final, "in (0, lr]");
  require_config(lr_decay_steps >= 0, "lr_decay_steps", lr_decay_steps, ">= 0");
  require_config(adam_beta1 >= 0.0 && adam_beta1 < 1.0, "adam_beta1", adam_beta1, "in [0, 1)");
  require_config(adam_beta2 >= 0.0 && adam_beta2 < 1.0, "adam_beta2", adam_beta2, "in [0, 1)");
  require_config(adam_eps > 0.0, "adam_eps", adam_eps, "> 0");
  require_config(epsilon_start >= 0.0 && epsilon_start <= 1.0, "epsilon_start", epsilon_start, "in [0, 1]");
  require_config(epsilon_final >= 0.0 && epsilon_final <= 1.0, "epsilon_final", epsilon_final, "in [0, 1]");
  require_config(epsilon_decay_steps >= 0, "epsilon_decay_steps", epsilon_decay_steps, ">= 0");
  for (std::size_t i = 0; i < obs_scale.size(); ++i)
    require_config(obs_scale[i] > 0.0 && std::isfinite(obs_scale[i]), "obs_scale." + std::to_string(i),
                   obs_scale[i], "a finite value > 0");
  require_config(pib.alpha > 0.0, "pib.alpha", pib.alpha, "> 0");
  require_config(pib.beta >= 0.0, "pib.beta", pib.beta, ">= 0");
  require_config(pib.y == "td_target" || pib.y == "action" || pib.y == "action_target", "pib.y", pib.y,
                 "td_target, action or action_target");
  require_config(
      pib.z_width == "knn" || pib.z_width == "median" || pib.z_width == "silverman" || pib.z_width == "fixed",
      "pib.z_width", pib.z_width, "knn, median, silverman or fixed");
  require_config(pib.z_width_value > 0.0, "pib.z_width_value", pib.z_width_value, "> 0");
  require_config(pib.z_width_k >= 1, "pib.z_width_k", pib.z_width_k, ">= 1");
  require_config(pib.z_kernel == "gaussian" || pib.z_kernel == "linear", "pib.z_kernel", pib.z_kernel,
                 "gaussian or linear");
  require_config(units.is_array() && !units.empty(), "units", units.dump(),
                 "a non-empty array of unit configs");
  require_config(time_scale >= 0.0, "time_scale", time_scale, ">= 0 (0: keep each unit's own)");
  for (std::size_t k = 0; k < faults.size(); ++k) {
    const std::string path = "faults[" + std::to_string(k) + "]";
    require_config(faults[k].at_step >= 0, path + ".at_step", faults[k].at_step, ">= 0");
    require_config(faults[k].unit >= 0 && static_cast<std::size_t>(faults[k].unit) < units.size(),
                   path + ".unit", faults[k].unit,
                   "a unit index in [0, " + std::to_string(units.size()) + ")");
    if (k > 0)
      require_config(faults[k].at_step >= faults[k - 1].at_step, path + ".at_step", faults[k].at_step,
                     ">= the previous fault's at_step");
  }
}

}  // namespace pib::agent
