#pragma once
// The RL agent's configuration (DESIGN.md 4.3): every hyperparameter is runtime config with a documented
// default. The defaults are the recipe that solved CartPole-v1 in the prototype (DESIGN.md 8), with a 1.5x
// learning rate (chosen on seeds 0-4 of the optical network; docs/rl_cartpole.md): 3-step returns, gamma
// 0.995, Double DQN, hard target copy every 250 updates, one update every 4 environment steps, batch 64,
// buffer 50,000, Adam lr 1.5e-3 decaying linearly to 1e-5 over 200,000 steps, epsilon 1 -> 0.01 over 20,000
// steps, gradient-norm clip 10, PIB with alpha 2, beta 0.1, lambda 1 and Y = the TD targets (sigma_y = their
// batch std), two optical units with 8-bit phase encoding, 256 speckle pixels and 64 features each, one
// reference pixel, the first unit with tanh features (bounded for the second unit's modulator) and the second
// with ReLU. configs/cartpole_optical.json turns Double DQN off: its online pass over the next states is a
// third of the update's device measurements, and without it the optical network solved 10 of 10 seeds against
// 8 of 10 (docs/rl_cartpole.md).
//
// Read with `RlConfig::from_json` (unknown keys and out-of-range values are ConfigErrors naming the key)
// and written back, fully resolved, with `to_json`.

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "bottleneck/objectives.hpp"
#include "bottleneck/settings.hpp"
#include "common/adam.hpp"
#include "units/fault.hpp"

namespace pib::agent {

enum class Schedule { sync, async };
using TdLoss = bottleneck::TdLoss;  // squared | huber (bottleneck/objectives.hpp)

// The "pib" object: the shared keys (alpha, beta, z_width, z_kernel, x_width; bottleneck/settings.hpp) and
// the agent's own. x_width fixes sigma of the scaled states once, from the calibration states.
struct PibTermConfig : bottleneck::PibTerm {
  bool enabled = true;          // false: local TD alone
  std::string y = "td_target";  // what Y is: td_target | action | action_target
  double sigma_y = 0.0;         // Gaussian width on the TD targets; <= 0: their batch std
  // The PIB part's share of each unit's gradient (agent/learner.hpp, combine_unit_gradient): < 0 (default)
  // the sum L_PIB + lambda L_TD as the two come; in [0, 1] the PIB gradient rescaled so that its norm is this
  // share of the two parts' norms together (0: TD alone, with the information terms still measured).
  double share = -1.0;
  PibTermConfig() {
    alpha = 2.0;  // the closed-form fast path
    beta = 0.1;
  }
};

// A fault injected into a unit's devices (online and target: the same chip) once the run reaches `at_step`
// environment steps, e.g. {"at_step": 60000, "unit": 0, "inject": {"adc_channels": [{"channel": 3,
// "mode": "noise"}]}} (units/fault.hpp).
using FaultEvent = units::FaultEvent;

struct RlConfig {
  std::string env = "CartPole-v1";
  std::uint64_t seed = 0;
  Schedule schedule = Schedule::sync;

  // Run length and stopping.
  std::int64_t total_steps = 300000;      // environment steps
  bool stop_when_solved = true;           // stop once the 100-episode mean reaches the env's threshold
  // ... and, when solve_check_episodes > 0, a greedy evaluation of that many episodes also does. The check
  // runs while the training mean is at the threshold, at most once per solve_check_every steps.
  int solve_check_episodes = 20;
  std::int64_t solve_check_every = 5000;
  std::int64_t metrics_every = 2000;      // environment steps between update-interval metric lines
  std::int64_t checkpoint_every = 50000;  // environment steps between checkpoints (0: only at the end)

  // Q-learning.
  double gamma = 0.995;
  int n_step = 3;
  bool double_dqn = true;
  std::string target_update = "hard";  // hard | polyak
  int target_update_every = 250;       // updates between hard copies
  double polyak_tau = 0.005;
  TdLoss td_loss = TdLoss::squared;
  double lambda_td = 1.0;  // L_l = L_PIB + lambda L_TD

  // Data flow.
  std::int64_t learning_starts = 1000;
  int update_every = 4;
  int batch_size = 64;
  std::int64_t buffer_size = 50000;

  // Optimisation: Adam per unit over its layer and its head; lr decays linearly to optimizer.lr_final over
  // lr_decay_steps environment steps; optimizer.grad_clip_norm clips each unit's gradient (layer and head).
  AdamConfig optimizer = default_optimizer();
  std::int64_t lr_decay_steps = 200000;  // environment steps

  // Exploration.
  double epsilon_start = 1.0;
  double epsilon_final = 0.01;
  std::int64_t epsilon_decay_steps = 20000;

  // Observation scaling before the first unit: x / obs_scale, one value per observation (absent: each by the
  // smaller of its bound max(|low|, |high|) and its largest magnitude in the calibration states;
  // agent/observation.hpp).
  std::vector<double> obs_scale;

  PibTermConfig pib;

  // The Q-network: unit configs as pib::units::make_unit takes them (input_dim of the first unit and of
  // each next unit are filled in by the agent), and device overrides applied to every unit.
  nlohmann::json units = default_units();
  double time_scale = 0.0;  // > 0: overrides every unit's time_scale (1e9 turns latency emulation off)
  // Sync schedule only: each online deploy lands this many updates late (the device keeps the parameters of
  // update k - 1 - lag while update k measures it, and the actor acts with it). With 1, a bit-reproducible run
  // has the one version of staleness the async schedule has at a deploy latency of about one update, without
  // async's concurrent acting: the experiment that separates what stale devices cost from what the async
  // schedule's order costs (docs/latency.md).
  int deploy_lag_updates = 0;

  // Environment steps between calibration passes of every device after the one at the start (0: only that
  // one). A pass calibrates the online and target cascades on 1,024 states drawn from the replay buffer, so
  // DAC/ADC ranges and camera gains follow what training does to the parameters and to the states visited
  // (a crossbar's ADC calibrated once on random-policy states clips a trained unit's currents). It runs after
  // the first update at or past each multiple; a checkpoint at such a multiple resumes exactly. Distributed
  // actors calibrate their clones on the same states when the next policy reaches them.
  std::int64_t recalibrate_every = 10000;

  // Faults injected mid-run, in order of at_step.
  std::vector<FaultEvent> faults;

  // Distributed actors (agent/distributed.hpp). With actors > 0 the learner runs the online and target
  // devices, replay and updates, and `actors` actors (MPI ranks 1..actors under mpirun, threads otherwise)
  // each step envs_per_actor environments with their own clone of the devices, deployed with the
  // parameters the learner sends every sync_every updates, and send their n-step transitions in batches of
  // batch_transitions. An actor that fails stops the run (on_actor_failure "stop": checkpoint, then an error
  // naming the actor) or is dropped ("continue").
  struct Distributed {
    int actors = 0;
    int envs_per_actor = 4;
    int sync_every = 10;
    int batch_transitions = 64;
    std::string on_actor_failure = "stop";
  } distributed;

  static nlohmann::json default_units();
  static AdamConfig default_optimizer();
  static RlConfig from_json(const nlohmann::json& j);
  nlohmann::json to_json() const;
  void validate() const;

 private:
  nlohmann::json pib_json() const;
};

}  // namespace pib::agent
