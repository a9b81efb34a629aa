#include "agent/config.hpp"

#include <cmath>

#include "common/config.hpp"
#include "common/error.hpp"

namespace pib::agent {
nlohmann::json RlConfig::default_units() {
  nlohmann::json unit = {{"kind", "optical"}, {"encoding", "phase8"}, {"n_speckle", 256},
                         {"output_dim", 64},  {"activation", "relu"}, {"reference_pixels", 1}};
  nlohmann::json first = unit;
  first["activation"] = "tanh";  // bounded features for the next unit's modulator (see QNetwork)
  return nlohmann::json::array({first, unit});
}

AdamConfig RlConfig::default_optimizer() {
  AdamConfig o;
  o.lr = 1.5e-3;
  o.lr_final = 1e-5;
  o.grad_clip_norm = 10.0;
  return o;
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
  r.get("solve_check_episodes", c.solve_check_episodes);
  r.get("solve_check_every", c.solve_check_every);
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
  r.get("deploy_lag_updates", c.deploy_lag_updates);
  r.get("recalibrate_every", c.recalibrate_every);
  r.get("batch_size", c.batch_size);
  r.get("buffer_size", c.buffer_size);
  for (const char* key : {"lr", "lr_final", "grad_clip_norm"})
    r.moved(key, std::string("optimizer.") + key);
  r.moved("adam_beta1", "optimizer.beta1");
  r.moved("adam_beta2", "optimizer.beta2");
  r.moved("adam_eps", "optimizer.eps");
  c.optimizer = AdamConfig::from_json(r.child("optimizer"), "optimizer", c.optimizer);
  r.get("lr_decay_steps", c.lr_decay_steps);
  r.get("epsilon_start", c.epsilon_start);
  r.get("epsilon_final", c.epsilon_final);
  r.get("epsilon_decay_steps", c.epsilon_decay_steps);
  r.get("obs_scale", c.obs_scale);
  if (const auto& p = r.child("pib"); !p.is_null()) {
    ConfigReader pr(p, "pib");
    bottleneck::read_pib_term(pr, c.pib);
    pr.get("enabled", c.pib.enabled);
    pr.get("y", c.pib.y);
    pr.get("sigma_y", c.pib.sigma_y);
    pr.get("share", c.pib.share);
    pr.finish();
    if (c.pib.estimator.features != 0)
      raise<ConfigError>("pib.features: the feature-space estimator is for supervised and self-supervised ",
                         "batches (larger than the features); RL batches use the exact estimator (0), got ",
                         c.pib.estimator.features);
  }
  if (const auto& u = r.child("units"); !u.is_null()) c.units = u;
  r.get("time_scale", c.time_scale);
  c.faults =
      units::read_fault_events(r.child("faults"), "faults", c.units.is_array() ? c.units.size() : 0, true);
  if (const auto& d = r.child("distributed"); !d.is_null()) {
    ConfigReader dr(d, "distributed");
    dr.get("actors", c.distributed.actors);
    dr.get("envs_per_actor", c.distributed.envs_per_actor);
    dr.get("sync_every", c.distributed.sync_every);
    dr.get("batch_transitions", c.distributed.batch_transitions);
    dr.get("on_actor_failure", c.distributed.on_actor_failure);
    dr.finish();
  }
  r.finish();
  c.validate();
  return c;
}

nlohmann::json RlConfig::to_json() const {
  return {
      {"env", env},
      {"seed", seed},
      {"schedule", schedule == Schedule::sync ? "sync" : "async"},
      {"total_steps", total_steps},
      {"stop_when_solved", stop_when_solved},
      {"solve_check_episodes", solve_check_episodes},
      {"solve_check_every", solve_check_every},
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
      {"optimizer", optimizer.to_json()},
      {"lr_decay_steps", lr_decay_steps},
      {"epsilon_start", epsilon_start},
      {"epsilon_final", epsilon_final},
      {"epsilon_decay_steps", epsilon_decay_steps},
      {"obs_scale", obs_scale},
      {"pib", pib_json()},
      {"units", units},
      {"time_scale", time_scale},
      {"deploy_lag_updates", deploy_lag_updates},
      {"recalibrate_every", recalibrate_every},
      {"faults", units::to_json(faults, true)},
      {"distributed",
       {{"actors", distributed.actors},
        {"envs_per_actor", distributed.envs_per_actor},
        {"sync_every", distributed.sync_every},
        {"batch_transitions", distributed.batch_transitions},
        {"on_actor_failure", distributed.on_actor_failure}}},
  };
}

nlohmann::json RlConfig::pib_json() const {
  auto j = bottleneck::to_json(pib);
  j["enabled"] = pib.enabled;
  j["y"] = pib.y;
  j["sigma_y"] = pib.sigma_y;
  j["share"] = pib.share;
  return j;
}

void RlConfig::validate() const {
  require_config(!env.empty(), "env", "\"\"", "an environment id");
  require_config(total_steps > 0, "total_steps", total_steps, "> 0");
  require_config(metrics_every > 0, "metrics_every", metrics_every, "> 0");
  require_config(solve_check_episodes >= 0, "solve_check_episodes", solve_check_episodes, ">= 0");
  const auto& d = distributed;
  require_config(d.actors >= 0 && d.actors <= 1024, "distributed.actors", d.actors, "in [0, 1024]");
  require_config(d.envs_per_actor >= 1, "distributed.envs_per_actor", d.envs_per_actor, ">= 1");
  require_config(d.sync_every >= 1, "distributed.sync_every", d.sync_every, ">= 1");
  require_config(d.batch_transitions >= 1, "distributed.batch_transitions", d.batch_transitions, ">= 1");
  require_config(d.on_actor_failure == "stop" || d.on_actor_failure == "continue", "distributed.on_actor_failure",
                 d.on_actor_failure, "stop or continue");
  require_config(solve_check_every >= 1, "solve_check_every", solve_check_every, ">= 1");
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
  require_config(deploy_lag_updates >= 0 && deploy_lag_updates <= 100, "deploy_lag_updates", deploy_lag_updates,
                 "in [0, 100]");
  require_config(deploy_lag_updates == 0 || (schedule == Schedule::sync && distributed.actors == 0),
                 "deploy_lag_updates", deploy_lag_updates,
                 "0 unless schedule is sync without distributed actors (async has its own deploy latency)");
  require_config(recalibrate_every >= 0, "recalibrate_every", recalibrate_every, ">= 0 (0: calibrate once)");
  require_config(batch_size >= 2, "batch_size", batch_size, ">= 2");
  require_config(buffer_size >= batch_size, "buffer_size", buffer_size, ">= batch_size");
  optimizer.validate("optimizer");
  require_config(lr_decay_steps >= 0, "lr_decay_steps", lr_decay_steps, ">= 0");
  require_config(epsilon_start >= 0.0 && epsilon_start <= 1.0, "epsilon_start", epsilon_start, "in [0, 1]");
  require_config(epsilon_final >= 0.0 && epsilon_final <= 1.0, "epsilon_final", epsilon_final, "in [0, 1]");
  require_config(epsilon_decay_steps >= 0, "epsilon_decay_steps", epsilon_decay_steps, ">= 0");
  for (std::size_t i = 0; i < obs_scale.size(); ++i)
    require_config(obs_scale[i] > 0.0 && std::isfinite(obs_scale[i]), "obs_scale." + std::to_string(i),
                   obs_scale[i], "a finite value > 0");
  require_config(pib.y == "td_target" || pib.y == "action" || pib.y == "action_target", "pib.y", pib.y,
                 "td_target, action or action_target");
  require_config(std::isfinite(pib.share) && pib.share <= 1.0, "pib.share", pib.share,
                 "in [0, 1], or negative for the natural weighting");
  require_config(pib.share < 0.0 || pib.enabled, "pib.share", pib.share, "negative when pib.enabled is false");
  require_config(units.is_array() && !units.empty(), "units", units.dump(),
                 "a non-empty array of unit configs");
  require_config(time_scale >= 0.0, "time_scale", time_scale, ">= 0 (0: keep each unit's own)");
}

}  // namespace pib::agent
