#include "agent/calibration.hpp"

#include <algorithm>
#include <cmath>
#include <utility>

#include "agent/actor.hpp"
#include "envs/registry.hpp"

namespace pib::agent {

CalibrationStates calibration_states(const RlConfig& cfg) {
  auto cal_env = envs::make(cfg.env);
  Rng rng = Rng::derive(cfg.seed, Stream::calibration);
  const Eigen::Index n = 1024;
  Matrix raw(n, static_cast<Eigen::Index>(cal_env->observation_dim()));
  auto o = cal_env->reset(derive_seed(cfg.seed, Stream::calibration_episode));
  for (Eigen::Index i = 0; i < n; ++i) {
    for (std::size_t k = 0; k < o.size(); ++k)
      raw(i, static_cast<Eigen::Index>(k)) = o[k];
    const auto r =
        cal_env->step(static_cast<int>(rng.below(static_cast<std::uint64_t>(cal_env->action_count()))));
    check_step(cfg.env, r, cal_env->elapsed_steps(), -1);
    o = (r.terminated || r.truncated) ? cal_env->reset() : r.observation;
  }
  return {std::move(raw), rng};
}

double calibrate_network(const RlConfig& cfg, const CalibrationStates& states, const ObservationScale& scale,
                         QNetwork& net) {
  Rng rng = states.rng;
  Matrix x;
  scale.apply(states.raw, x);
  net.calibrate(x, rng);
  const auto n = states.raw.rows();
  const double sigma_x = cfg.pib.x_width.select(x.topRows(std::min<Eigen::Index>(n, cfg.batch_size)));
  return sigma_x > 0.0 && std::isfinite(sigma_x) ? sigma_x : 1.0;
}

}  // namespace pib::agent
