#include "agent/trainer.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <deque>
#include <exception>
#include <fstream>
#include <numeric>
#include <thread>

#include <tbb/global_control.h>
#include <tbb/parallel_invoke.h>
#include <tbb/task_group.h>

#include "agent/adam.hpp"
#include "agent/checkpoint_io.hpp"
#include "agent/network.hpp"
#include "agent/nstep.hpp"
#include "agent/observation.hpp"
#include "agent/programmer.hpp"
#include "bottleneck/objectives.hpp"
#include "common/error.hpp"
#include "envs/registry.hpp"
#include "replay/transition_queue.hpp"
#include "replay/uniform_replay.hpp"

namespace pib::agent {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

bottleneck::RlTarget rl_target(const std::string& y) {
  if (y == "action") return bottleneck::RlTarget::action;
  if (y == "action_target") return bottleneck::RlTarget::action_target;
  return bottleneck::RlTarget::td_target;
}

nlohmann::json ledger_json(const units::DeviceLedger& l) {
  return {{"measure_us", l.measure_us}, {"deploy_us", l.deploy_us}, {"busy_us", l.busy_us},
          {"idle_us", l.idle_us},       {"measures", l.measures},   {"deploys", l.deploys}};
}

// A user's environment may return anything: NaN or infinite values stop the run with a clear error
// instead of poisoning the replay buffer and every unit trained on it.
void check_step(const std::string& env, const envs::StepResult& r, int step, const std::string& episode) {
  for (std::size_t k = 0; k < r.observation.size(); ++k) {
    if (!std::isfinite(r.observation[k]))
      raise<InvalidArgument>("environment ", env, " returned a non-finite observation (value ", k, " = ",
                             r.observation[k], ") at step ", step, " of ", episode);
  }
  if (!std::isfinite(r.reward))
    raise<InvalidArgument>("environment ", env, " returned a non-finite reward at step ", step, " of ",
                           episode);
}

// Field by field: the struct's padding bytes would make equal states write different checkpoints.
void write_transition(CheckpointWriter& w, const replay::Transition& t) {
  w.bytes(t.obs.data(), sizeof t.obs);
  w.bytes(t.next_obs.data(), sizeof t.next_obs);
  w.value(t.obs_dim);
  w.value(t.action);
  w.value(t.reward);
  w.value(t.discount);
  w.value(t.terminated);
  w.value(t.truncated);
}

replay::Transition read_transition(CheckpointReader& r) {
  replay::Transition t;
  r.bytes(t.obs.data(), sizeof t.obs);
  r.bytes(t.next_obs.data(), sizeof t.next_obs);
  t.obs_dim = r.value<std::uint32_t>();
  if (t.obs_dim > replay::Transition::kMaxObsDim)
    r.fail("a transition of ", t.obs_dim, " observation values");
  t.action = r.value<int>();
  t.reward = r.value<double>();
  t.discount = r.value<double>();
  t.terminated = r.value<bool>();
  t.truncated = r.value<bool>();
  return t;
}

}  // namespace

nlohmann::json Summary::to_json() const {
  nlohmann::json j;
  j["env"] = env;
  j["solved_at_step"] = solved_at_step ? nlohmann::json(*solved_at_step) : nlohmann::json(nullptr);
  j["best_mean_return_100"] =
      best_mean_return_100 ? nlohmann::json(*best_mean_return_100) : nlohmann::json(nullptr);
  j["env_steps"] = env_steps;
  j["updates"] = updates;
  j["episodes"] = episodes;
  j["wall_s"] = wall_s;
  j["compute_s"] = compute_s;
  j["schedule"] = schedule;
  j["device"] = device;
  j["devices_simulated"] = true;
  return j;
}

// ---------------------------------------------------------------------------------------------------------
// Per-unit learner state. Touched by the learner thread and by the unit's own update/deploy tasks, never
// by two of them at once (the learner waits for a unit's tasks before touching it again).
struct UnitLearner {
  Vector params;                        // intended parameters of the unit's trainable part
  Adam adam;                            // over [params, head parameters]
  Rng deploy_rng;                       // programming noise of the online device
  Rng::State deploy_rng_before_last{};  // its state before the last deploy (exact resume)
  Rng target_rng;                       // programming noise of the target device
  Rng::State target_rng_before_last{};
  Vector target_params;
  Vector deploying;             // the parameters the in-flight deploy reads
  std::uint64_t requested = 0;  // deploys requested so far (the learner's version of the parameters)
  // requested minus the device's own deploy count when both describe the same parameters: a resumed run
  // re-programs its devices once, so their count restarts while the learner's continues.
  std::uint64_t version_offset = 0;

  // Scratch, sized once.
  bottleneck::Workspace ws;
  Matrix q, dq, dz_td, dz_pib;
  Vector grad_td, grad_pib, grad, head_grad, all_params, all_grad;

  // Interval accumulators.
  double td_loss = 0, pib_loss = 0, i_xz = 0, i_yz = 0, gn_td = 0, gn_pib = 0, staleness = 0;
  std::int64_t count = 0;

  DeviceProgrammer programmer;  // async: the device's programming channel, at most one deploy in flight
};

struct Trainer::Impl {
  RlConfig cfg;
  std::unique_ptr<envs::Environment> env;
  std::optional<ObservationScale> obs_scale;
  double sigma_x = 1.0;
  std::unique_ptr<QNetwork> net;
  std::vector<std::unique_ptr<UnitLearner>> learners;
  replay::UniformReplay replay;
  replay::TransitionQueue queue{8192};

  // Actor state (actor thread while running).
  Rng actor_rng;
  NStepAggregator nstep;
  std::vector<float> obs;
  bool episode_running = false;
  double episode_return = 0.0;
  int episode_length = 0;
  std::int64_t actor_episode = 0;               // episodes started (episode e resets with Stream::episode, e)
  std::atomic<std::int64_t> steps{0};           // environment steps taken (written by the actor)
  std::vector<EpisodeRecord> pending_episodes;  // guarded by episode_mutex
  std::mutex episode_mutex;
  Matrix actor_x;
  std::vector<replay::Transition> emitted;

  // Learner state.
  Rng rng_sample, rng_online, rng_next, rng_target;
  std::atomic<std::int64_t> updates{0};
  std::vector<double> returns;  // every finished episode
  std::optional<std::int64_t> solved_at;
  std::optional<double> best_mean;
  replay::Batch batch;
  Matrix xs, xn;
  std::vector<units::Measurement> m_s, m_next, m_target;
  Matrix q_target, q_online;                            // the last heads on the next states (sized once)
  std::optional<bottleneck::BatchTargets> pib_targets;  // this update's, read by every unit's task
  Eigen::VectorXd y;
  std::vector<int> actions;
  double compute_s = 0.0;
  std::size_t faults_applied = 0;  // cfg.faults[0, faults_applied) are in the devices

  // Run control.
  std::atomic<bool> stop{false};
  std::atomic<bool> pause_requested{false};
  std::atomic<bool> actor_paused{false};
  std::atomic<bool> actor_finished{false};
  std::exception_ptr actor_error;

  explicit Impl(RlConfig c);
  void build();
  void calibrate();

  // Actor.
  void actor_step();
  std::int64_t actor_bound() const;
  void actor_loop();
  double epsilon(std::int64_t t) const {
    return linear_schedule(cfg.epsilon_start, cfg.epsilon_final, cfg.epsilon_decay_steps, t);
  }
  double lr(std::int64_t t) const {
    const auto& o = cfg.optimizer;
    return o.lr_final > 0.0 ? linear_schedule(o.lr, o.lr_final, cfg.lr_decay_steps, t) : o.lr;
  }

  void send(const replay::Transition& t);

  // Learner.
  std::int64_t updates_due(std::int64_t known_steps) const;
  void drain();
  void update(std::int64_t known_steps);
  void update_unit(std::size_t l, double lr_now);
  void deploy_unit(std::size_t l);
  void update_targets();
  void wait_deploys();
  void inject_fault(std::size_t k);
  IntervalMetrics interval_metrics(std::int64_t known_steps, double interval_s, std::int64_t interval_steps,
                                   std::int64_t interval_updates, Clock::time_point start);
  Summary summary(double wall_s) const;
  Summary loop(const Callbacks& cb, const std::filesystem::path& checkpoint_dir, std::int64_t max_updates);

  void save(const std::filesystem::path& file);
  void load(CheckpointReader& r);
};

Trainer::Impl::Impl(RlConfig c)
    : cfg(std::move(c)),
      env(envs::make(cfg.env)),
      replay(static_cast<std::size_t>(cfg.buffer_size), env->observation_dim()),
      actor_rng(Rng::derive(cfg.seed, Stream::actor)),
      nstep(cfg.n_step, cfg.gamma),
      rng_sample(Rng::derive(cfg.seed, Stream::replay)),
      rng_online(Rng::derive(cfg.seed, Stream::measure, 0)),
      rng_next(Rng::derive(cfg.seed, Stream::measure, 1)),
      rng_target(Rng::derive(cfg.seed, Stream::measure, 2)) {
  if (env->observation_dim() > replay::kDefaultMaxObsDim)
    raise<ConfigError>("env: ", cfg.env, " has ", env->observation_dim(),
                       " observation values, more than the ", replay::kDefaultMaxObsDim,
                       " the agent's transition queue carries");
  build();
}

void Trainer::Impl::build() {
  const auto dim = env->observation_dim();
  obs_scale.emplace(cfg.obs_scale, *env);
  net = std::make_unique<QNetwork>(cfg.units, static_cast<Eigen::Index>(dim), env->action_count(),
                                   cfg.time_scale, cfg.seed);
  learners.clear();
  for (std::size_t l = 0; l < net->depth(); ++l) {
    auto u = std::make_unique<UnitLearner>();
    u->params = net->online(l).parameters();
    u->target_params = u->params;
    u->adam.reset(u->params.size() + net->head(l).parameter_count());
    u->deploy_rng = Rng::derive(cfg.seed, Stream::deploy, l);
    u->target_rng = Rng::derive(cfg.seed, Stream::target_deploy, l);
    u->requested = net->online(l).version();
    u->version_offset = 0;
    learners.push_back(std::move(u));
  }
  // A fault the unit cannot take fails now, not minutes into the run: try each on a copy of its device.
  for (std::size_t k = 0; k < cfg.faults.size(); ++k) {
    const auto& f = cfg.faults[k];
    try {
      Rng probe = Rng::derive(cfg.seed, Stream::fault, k);  // the draws inject_fault(k) makes
      net->online(static_cast<std::size_t>(f.unit)).clone()->inject_faults(f.inject, probe);
    } catch (const Error& e) {
      raise<ConfigError>("faults[", k, "] (unit ", f.unit, "): ", e.what());
    }
  }
  calibrate();
  net->publish_policy();
}

// Calibration states from random-policy episodes of a separate environment instance, seeded from the run's
// seed: the same for a fresh run and its resumption.
void Trainer::Impl::calibrate() {
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
    check_step(cfg.env, r, cal_env->elapsed_steps(), "a calibration episode");
    o = (r.terminated || r.truncated) ? cal_env->reset() : r.observation;
  }
  Matrix x;
  obs_scale->apply(raw, x);
  net->calibrate(x, rng);
  // pib.x_width on a batch-sized sample, fixed for the run.
  sigma_x = cfg.pib.x_width.select(x.topRows(std::min<Eigen::Index>(n, cfg.batch_size)));
  if (!(sigma_x > 0.0) || !std::isfinite(sigma_x)) sigma_x = 1.0;
}

// ---------------------------------------------------------------------------------------------------------
// Actor

void Trainer::Impl::actor_step() {
  const auto t = steps.load(std::memory_order_relaxed);
  if (!episode_running) {
    const auto o =
        env->reset(derive_seed(cfg.seed, Stream::episode, static_cast<std::uint64_t>(actor_episode)));
    obs.assign(o.begin(), o.end());
    episode_running = true;
    episode_return = 0.0;
    episode_length = 0;
    nstep.clear();
  }
  int action;
  if (actor_rng.uniform() < epsilon(t)) {
    action = static_cast<int>(actor_rng.below(static_cast<std::uint64_t>(env->action_count())));
  } else {
    obs_scale->apply(obs, actor_x);
    action = net->act(actor_x, actor_rng);
  }
  const auto r = env->step(action);
  check_step(cfg.env, r, episode_length + 1, "episode " + std::to_string(actor_episode));
  episode_return += r.reward;
  ++episode_length;
  nstep.add(obs, action, r.reward, r.observation, r.terminated, r.truncated, emitted);
  for (const auto& tr : emitted)
    send(tr);
  obs.assign(r.observation.begin(), r.observation.end());
  if (r.terminated || r.truncated) {
    episode_running = false;
    {
      std::lock_guard lock(episode_mutex);
      pending_episodes.push_back({actor_episode, episode_return, episode_length, t + 1});
    }
    ++actor_episode;
  }
  steps.store(t + 1, std::memory_order_release);
}

// The actor's one way to hand a transition to the learner, through the queue. Async: a full queue waits for
// the learner thread to drain it. Sync: the learner is this thread and drains the queue only after the
// actor's steps, so a full queue is drained into the replay buffer here (in order: the buffer ends up the
// same as if the queue were unbounded).
void Trainer::Impl::send(const replay::Transition& t) {
  while (!queue.try_push(t)) {
    if (cfg.schedule == Schedule::sync) {
      drain();
    } else {
      std::this_thread::yield();
    }
  }
}

// The actor may run while steps < bound: at most `update_every` steps ahead of the learner's updates.
std::int64_t Trainer::Impl::actor_bound() const {
  return std::max<std::int64_t>(cfg.learning_starts, 0) +
         cfg.update_every * (updates.load(std::memory_order_acquire) + 1);
}

void Trainer::Impl::actor_loop() {
  try {
    while (!stop.load(std::memory_order_acquire)) {
      if (pause_requested.load(std::memory_order_acquire)) {
        actor_paused.store(true, std::memory_order_release);
        while (pause_requested.load(std::memory_order_acquire) && !stop.load(std::memory_order_acquire))
          std::this_thread::sleep_for(std::chrono::microseconds(50));
        actor_paused.store(false, std::memory_order_release);
        continue;
      }
      const auto t = steps.load(std::memory_order_relaxed);
      if (t >= cfg.total_steps) break;
      if (t >= actor_bound()) {
        std::this_thread::yield();
        continue;
      }
      actor_step();
    }
  } catch (...) {
    actor_error = std::current_exception();
  }
  actor_finished.store(true, std::memory_order_release);
}

// ---------------------------------------------------------------------------------------------------------
// Learner

std::int64_t Trainer::Impl::updates_due(std::int64_t known_steps) const {
  const auto start = std::max<std::int64_t>(cfg.learning_starts, 0);
  if (known_steps < start + cfg.update_every) return 0;
  return (known_steps - start) / cfg.update_every;
}

void Trainer::Impl::drain() {
  replay::Transition t;
  while (queue.try_pop(t))
    replay.push(t);
}

void Trainer::Impl::update(std::int64_t known_steps) {
  const auto t0 = Clock::now();
  const bool async = cfg.schedule == Schedule::async;
  replay.sample(static_cast<std::size_t>(cfg.batch_size), rng_sample, batch);
  obs_scale->apply(batch.obs, xs);
  obs_scale->apply(batch.next_obs, xn);
  const auto L = net->depth();
  m_s.resize(L);
  m_next.resize(L);
  m_target.resize(L);

  // Measure the states (online) and the next states (target, and online for Double DQN). These overlap
  // with deploys still in flight from the previous update.
  auto measure_s = [&] { net->measure_online(xs, m_s, rng_online); };
  auto measure_next = [&] {
    if (cfg.double_dqn) net->measure_online(xn, m_next, rng_next);
  };
  auto measure_target = [&] { net->measure_target(xn, m_target, rng_target); };
  if (async) {
    tbb::parallel_invoke(measure_s, measure_next, measure_target);
  } else {
    measure_s();
    measure_next();
    measure_target();
  }

  // TD targets from the last unit's heads.
  const auto n = xs.rows();
  const auto last = L - 1;
  net->target_head(last).forward(m_target[last].output, q_target);
  if (cfg.double_dqn) net->head(last).forward(m_next[last].output, q_online);
  y.resize(n);
  actions.resize(static_cast<std::size_t>(n));
  for (Eigen::Index i = 0; i < n; ++i) {
    double bootstrap;
    if (cfg.double_dqn) {
      Eigen::Index a_star;
      q_online.row(i).maxCoeff(&a_star);
      bootstrap = q_target(i, a_star);
    } else {
      bootstrap = q_target.row(i).maxCoeff();
    }
    y(i) = batch.rewards(i) + batch.discounts(i) * (1.0 - batch.terminated(i)) * bootstrap;
    actions[static_cast<std::size_t>(i)] = batch.actions(i);
  }

  // The batch-constant part of every unit's PIB term (Gram matrices of X and Y), built once and shared.
  if (cfg.pib.enabled)
    pib_targets.emplace(bottleneck::BatchTargets::rl(xs, sigma_x, y, cfg.pib.sigma_y, cfg.pib.alpha,
                                                     rl_target(cfg.pib.y), actions, net->action_count()));

  const double lr_now = lr(known_steps);
  if (async) {
    tbb::task_group group;
    for (std::size_t l = 0; l < L; ++l)
      group.run([this, l, lr_now] { update_unit(l, lr_now); });
    group.wait();
  } else {
    for (std::size_t l = 0; l < L; ++l)
      update_unit(l, lr_now);
  }
  for (std::size_t l = 0; l < L; ++l)
    deploy_unit(l);
  net->publish_policy();
  const auto done = updates.load(std::memory_order_relaxed) + 1;
  updates.store(done, std::memory_order_release);
  if (cfg.target_update == "polyak" || done % cfg.target_update_every == 0) update_targets();
  compute_s += seconds_since(t0);
}

// One unit's local update: L_l = L_PIB,l + lambda L_TD,l on its own measured features.
void Trainer::Impl::update_unit(std::size_t l, double lr_now) {
  auto& u = *learners[l];
  auto& head = net->head(l);
  auto& unit = net->online(l);
  const auto& m = m_s[l];
  const auto n = m.output.rows();
  const auto A = net->action_count();

  // TD part through the unit's own Q head.
  head.forward(m.output, u.q);
  u.dq.setZero(n, A);
  double td = 0.0;
  for (Eigen::Index i = 0; i < n; ++i) {
    const int a = actions[static_cast<std::size_t>(i)];
    const double delta = u.q(i, a) - y(i);
    double g;
    if (cfg.td_loss == TdLoss::huber) {
      td += std::abs(delta) <= 1.0 ? 0.5 * delta * delta : std::abs(delta) - 0.5;
      g = std::clamp(delta, -1.0, 1.0);
    } else {
      td += 0.5 * delta * delta;
      g = delta;
    }
    u.dq(i, a) = cfg.lambda_td * g / static_cast<double>(n);
  }
  td /= static_cast<double>(n);
  u.head_grad.resize(head.parameter_count());
  u.dz_td.resize(n, m.output.cols());
  head.backward(m.output, u.dq, u.head_grad, u.dz_td);
  u.grad_td.resize(unit.parameter_count());
  unit.gradient(m, u.dz_td, u.grad_td);

  // PIB part: X = the scaled states, Y = the TD targets (or the action, or both).
  u.grad_pib.setZero(unit.parameter_count());
  if (cfg.pib.enabled) {
    const auto& targets = *pib_targets;
    u.dz_pib.resize(n, m.output.cols());
    const auto terms = bottleneck::pib_loss(targets, m.output, cfg.pib, u.ws, u.dz_pib);
    unit.gradient(m, u.dz_pib, u.grad_pib);
    u.pib_loss += terms.loss;
    u.i_xz += terms.i_xz;
    u.i_yz += terms.i_yz;
  }

  // Adam on [unit parameters, head parameters] with the global-norm clip.
  const auto P = unit.parameter_count();
  const auto H = head.parameter_count();
  u.all_grad.resize(P + H);
  u.all_grad.head(P) = u.grad_td + u.grad_pib;
  u.all_grad.tail(H) = u.head_grad;
  cfg.optimizer.clip(u.all_grad);
  u.all_params.resize(P + H);
  u.all_params.head(P) = u.params;
  u.all_params.tail(H) = head.parameters();
  u.adam.step(u.all_params, u.all_grad, lr_now, cfg.optimizer);
  u.params = u.all_params.head(P);
  head.set_parameters(u.all_params.tail(H));

  u.td_loss += td;
  u.gn_td += u.grad_td.norm();
  u.gn_pib += u.grad_pib.norm();
  u.staleness += static_cast<double>(u.requested - u.version_offset - m.version);
  ++u.count;
}

// Deploys a unit's intended parameters: in async mode as a task that overlaps with the next update's
// sampling and target computation (waiting first for the unit's previous deploy: a device programs one
// parameter set at a time); in sync mode to completion.
void Trainer::Impl::deploy_unit(std::size_t l) {
  auto& u = *learners[l];
  auto& unit = net->online(l);
  u.programmer.wait();  // async: the device programs one parameter set at a time (sync: nothing in flight)
  ++u.requested;
  u.deploy_rng_before_last = u.deploy_rng.state();
  if (cfg.schedule == Schedule::sync) {
    unit.deploy(u.params, u.deploy_rng);
    return;
  }
  u.deploying = u.params;  // the previous deploy has finished reading it
  u.programmer.start([&unit, &u] { unit.deploy(u.deploying, u.deploy_rng); });
}

void Trainer::Impl::wait_deploys() {
  for (auto& u : learners)
    u->programmer.wait();
}

// Injects fault k into unit l's online and target devices (one chip: the same fault draws for both).
void Trainer::Impl::inject_fault(std::size_t k) {
  const auto& f = cfg.faults[k];
  const auto l = static_cast<std::size_t>(f.unit);
  Rng a = Rng::derive(cfg.seed, Stream::fault, k);
  Rng b = a;
  net->online(l).inject_faults(f.inject, a);
  net->target(l).inject_faults(f.inject, b);
}

// Hard copy (or Polyak average) of the intended parameters into the target devices and heads.
void Trainer::Impl::update_targets() {
  for (std::size_t l = 0; l < net->depth(); ++l) {
    auto& u = *learners[l];
    if (cfg.target_update == "polyak") {
      u.target_params = cfg.polyak_tau * u.params + (1.0 - cfg.polyak_tau) * u.target_params;
      net->target_head(l).set_parameters(cfg.polyak_tau * net->head(l).parameters() +
                                         (1.0 - cfg.polyak_tau) * net->target_head(l).parameters());
    } else {
      u.target_params = u.params;
      net->target_head(l).set_parameters(net->head(l).parameters());
    }
    u.target_rng_before_last = u.target_rng.state();
    net->target(l).deploy(u.target_params, u.target_rng);
  }
}

IntervalMetrics Trainer::Impl::interval_metrics(std::int64_t known_steps, double interval_s,
                                                std::int64_t interval_steps, std::int64_t interval_updates,
                                                Clock::time_point start) {
  IntervalMetrics im;
  im.step = known_steps;
  im.updates = updates.load();
  im.episodes = static_cast<std::int64_t>(returns.size());
  if (returns.size() >= 100)
    im.mean_return_100 = std::accumulate(returns.end() - 100, returns.end(), 0.0) / 100.0;
  im.epsilon = epsilon(known_steps);
  im.lr = lr(known_steps);
  im.steps_per_s = interval_s > 0 ? static_cast<double>(interval_steps) / interval_s : 0.0;
  im.updates_per_s = interval_s > 0 ? static_cast<double>(interval_updates) / interval_s : 0.0;
  im.wall_s = seconds_since(start);
  im.eta_s = im.steps_per_s > 0 ? static_cast<double>(cfg.total_steps - known_steps) / im.steps_per_s : 0.0;
  for (std::size_t l = 0; l < learners.size(); ++l) {
    auto& u = *learners[l];
    UnitMetrics um;
    const double c = u.count > 0 ? static_cast<double>(u.count) : 1.0;
    um.td_loss = u.td_loss / c;
    um.pib_loss = u.pib_loss / c;
    um.i_xz = u.i_xz / c;
    um.i_yz = u.i_yz / c;
    um.grad_norm_td = u.gn_td / c;
    um.grad_norm_pib = u.gn_pib / c;
    um.staleness = u.staleness / c;
    um.ledger = net->online(l).ledger();
    im.units.push_back(um);
    u.td_loss = u.pib_loss = u.i_xz = u.i_yz = u.gn_td = u.gn_pib = u.staleness = 0.0;
    u.count = 0;
  }
  return im;
}

Summary Trainer::Impl::summary(double wall_s) const {
  Summary s;
  s.env = cfg.env;
  s.solved_at_step = solved_at;
  s.best_mean_return_100 = best_mean;
  s.env_steps = steps.load();
  s.updates = updates.load();
  s.episodes = static_cast<std::int64_t>(returns.size());
  s.wall_s = wall_s;
  s.compute_s = compute_s;
  s.schedule = cfg.schedule == Schedule::sync ? "sync" : "async";
  s.device = nlohmann::json::array();
  for (std::size_t l = 0; l < net->depth(); ++l) {
    const auto& u = net->online(l);
    const auto t = u.timing();
    s.device.push_back({{"unit", l},
                        {"kind", u.kind()},
                        {"simulated", true},
                        {"forward_us_per_sample", t.forward_us_per_sample},
                        {"deploy_us", t.deploy_us},
                        {"time_scale", t.time_scale},
                        {"ledger", ledger_json(u.ledger())}});
  }
  return s;
}

// The one loop both schedules run. `max_updates` > 0 stops after that many more updates.
Summary Trainer::Impl::loop(const Callbacks& cb, const std::filesystem::path& checkpoint_dir,
                            std::int64_t max_updates) {
  const auto start = Clock::now();
  const bool async = cfg.schedule == Schedule::async;
  const auto updates_at_start = updates.load();
  stop = false;
  actor_finished = false;
  actor_error = nullptr;
  std::thread actor;
  if (async) actor = std::thread([this] { actor_loop(); });

  auto interval_start = Clock::now();
  std::int64_t interval_steps0 = steps.load(), interval_updates0 = updates.load();
  std::int64_t next_metrics = (steps.load() / cfg.metrics_every + 1) * cfg.metrics_every;
  std::int64_t next_checkpoint =
      cfg.checkpoint_every > 0 ? (steps.load() / cfg.checkpoint_every + 1) * cfg.checkpoint_every : -1;
  const auto threshold = env->reward_threshold();

  auto finish_actor = [&] {
    stop.store(true, std::memory_order_release);
    if (actor.joinable()) actor.join();
  };
  auto pause_actor = [&] {  // async: hold the actor at a step boundary
    if (!async) return;
    pause_requested.store(true, std::memory_order_release);
    while (!actor_paused.load(std::memory_order_acquire) && !actor_finished.load(std::memory_order_acquire)) {
      drain();  // an actor waiting on a full queue reaches its step boundary only once it is drained
      std::this_thread::sleep_for(std::chrono::microseconds(50));
    }
  };
  auto resume_actor = [&] { pause_requested.store(false, std::memory_order_release); };

  try {
    while (true) {
      if (!async) {
        // Sync: the actor runs up to its bound, then the learner catches up.
        while (steps.load() < cfg.total_steps && steps.load() < actor_bound())
          actor_step();
        if (steps.load() >= cfg.total_steps) actor_finished = true;
      } else if (actor_error) {
        std::rethrow_exception(actor_error);
      }
      const auto known = steps.load(std::memory_order_acquire);
      while (faults_applied < cfg.faults.size() && cfg.faults[faults_applied].at_step <= known) {
        inject_fault(faults_applied);
        if (cb.on_fault) cb.on_fault(known, cfg.faults[faults_applied]);
        ++faults_applied;
      }
      drain();
      std::vector<EpisodeRecord> finished;
      {
        std::lock_guard lock(episode_mutex);
        finished.swap(pending_episodes);
      }
      for (const auto& e : finished) {
        returns.push_back(e.episode_return);
        if (cb.on_episode) cb.on_episode(e);
        if (returns.size() >= 100) {
          const double mean = std::accumulate(returns.end() - 100, returns.end(), 0.0) / 100.0;
          if (!best_mean || mean > *best_mean) best_mean = mean;
          if (!solved_at && threshold && mean >= *threshold) solved_at = e.step;
        }
      }
      bool did_update = false;
      if (updates.load() < updates_due(known) && replay.size() >= static_cast<std::size_t>(cfg.batch_size)) {
        update(known);
        did_update = true;
      }
      if (known >= next_metrics && cb.on_interval) {
        const double dt = seconds_since(interval_start);
        auto im =
            interval_metrics(known, dt, known - interval_steps0, updates.load() - interval_updates0, start);
        cb.on_interval(im);
        interval_start = Clock::now();
        interval_steps0 = known;
        interval_updates0 = updates.load();
        next_metrics = (known / cfg.metrics_every + 1) * cfg.metrics_every;
      }
      const bool solved_stop = cfg.stop_when_solved && solved_at.has_value();
      const bool updates_done = max_updates > 0 && updates.load() - updates_at_start >= max_updates;
      const bool all_done = actor_finished.load() && updates.load() >= updates_due(steps.load()) &&
                            queue.read_available() == 0 && !did_update;
      if (next_checkpoint > 0 && known >= next_checkpoint && !checkpoint_dir.empty() && !solved_stop &&
          !all_done) {
        pause_actor();
        wait_deploys();
        drain();
        const auto file = checkpoint_dir / ("checkpoint_" + std::to_string(steps.load()) + ".pib");
        save(file);
        if (cb.on_checkpoint) cb.on_checkpoint(file);
        resume_actor();
        next_checkpoint = (steps.load() / cfg.checkpoint_every + 1) * cfg.checkpoint_every;
      }
      if (solved_stop || updates_done || all_done) break;
      if (async && !did_update) std::this_thread::yield();
    }
  } catch (...) {
    finish_actor();
    wait_deploys();
    throw;
  }
  finish_actor();
  if (actor_error) std::rethrow_exception(actor_error);
  wait_deploys();
  drain();
  if (!checkpoint_dir.empty()) {
    const auto file = checkpoint_dir / ("checkpoint_" + std::to_string(steps.load()) + ".pib");
    save(file);
    if (cb.on_checkpoint) cb.on_checkpoint(file);
  }
  return summary(seconds_since(start));
}

// ---------------------------------------------------------------------------------------------------------
// Checkpoints: every piece of state a resumed sync run needs to continue exactly.

void Trainer::Impl::save(const std::filesystem::path& file) {
  CheckpointWriter w;
  w.string(cfg.to_json().dump());
  w.value(steps.load());
  w.value(updates.load());
  w.value(actor_episode);
  w.vector(returns);
  w.optional(solved_at);
  w.optional(best_mean);
  w.value(sigma_x);
  // Actor.
  w.value(episode_running);
  w.value(episode_return);
  w.value(episode_length);
  w.vector(obs);
  const auto es = env->get_state();
  w.vector(es.values);
  w.value(es.elapsed_steps);
  w.value(static_cast<std::uint64_t>(nstep.pending().size()));
  for (const auto& p : nstep.pending()) {
    write_transition(w, p.start);
    w.value(p.reward);
  }
  w.rng(actor_rng);
  w.rng(rng_sample);
  w.rng(rng_online);
  w.rng(rng_next);
  w.rng(rng_target);
  w.value(static_cast<std::uint64_t>(faults_applied));
  // Units.
  for (std::size_t l = 0; l < net->depth(); ++l) {
    auto& u = *learners[l];
    w.eigen(u.params);
    w.eigen(u.adam.m);
    w.eigen(u.adam.v);
    w.value(u.adam.t);
    w.eigen(Vector(net->head(l).parameters()));
    w.eigen(Vector(net->target_head(l).parameters()));
    w.eigen(u.target_params);
    w.value(u.requested);
    w.rng_state(u.deploy_rng_before_last);
    w.rng(u.deploy_rng);
    w.rng_state(u.target_rng_before_last);
    w.rng(u.target_rng);
  }
  std::ostringstream rb(std::ios::binary);
  replay.save(rb, "checkpoint replay");
  w.string(rb.str());
  w.commit(file);
}

void Trainer::Impl::load(CheckpointReader& r) {
  steps = r.value<std::int64_t>();
  updates = r.value<std::int64_t>();
  actor_episode = r.value<std::int64_t>();
  returns = r.vector<double>();
  solved_at = r.optional<std::int64_t>();
  best_mean = r.optional<double>();
  sigma_x = r.value<double>();
  episode_running = r.value<bool>();
  episode_return = r.value<double>();
  episode_length = r.value<int>();
  obs = r.vector<float>();
  const auto values = r.vector<double>();
  const int elapsed = r.value<int>();
  if (episode_running) env->set_state(values, elapsed);
  std::deque<NStepAggregator::Pending> pending;
  const auto np = r.value<std::uint64_t>();
  if (np > 1000) r.fail("n-step buffer of ", np, " entries");
  for (std::uint64_t i = 0; i < np; ++i) {
    NStepAggregator::Pending p;
    p.start = read_transition(r);
    p.reward = r.value<double>();
    pending.push_back(p);
  }
  nstep.restore(std::move(pending));
  r.rng(actor_rng);
  r.rng(rng_sample);
  r.rng(rng_online);
  r.rng(rng_next);
  r.rng(rng_target);
  const auto faults_before = r.value<std::uint64_t>();
  if (faults_before > cfg.faults.size())
    r.fail(faults_before, " faults applied, but the stored config lists ", cfg.faults.size());
  for (faults_applied = 0; faults_applied < faults_before; ++faults_applied)
    inject_fault(faults_applied);
  for (std::size_t l = 0; l < net->depth(); ++l) {
    auto& u = *learners[l];
    auto& unit = net->online(l);
    u.params = r.eigen(unit.parameter_count());
    u.adam.m = r.eigen(unit.parameter_count() + net->head(l).parameter_count());
    u.adam.v = r.eigen(u.adam.m.size());
    u.adam.t = r.value<std::int64_t>();
    net->head(l).set_parameters(r.eigen(net->head(l).parameter_count()));
    net->target_head(l).set_parameters(r.eigen(net->head(l).parameter_count()));
    u.target_params = r.eigen(unit.parameter_count());
    u.requested = r.value<std::uint64_t>();
    u.deploy_rng_before_last = r.rng_state();
    r.rng(u.deploy_rng);
    u.target_rng_before_last = r.rng_state();
    r.rng(u.target_rng);
    // Re-program the devices exactly as they were: the same parameters with the same programming noise.
    Rng replay_rng;
    replay_rng.set_state(u.deploy_rng_before_last);
    unit.deploy(u.params, replay_rng);
    replay_rng.set_state(u.target_rng_before_last);
    net->target(l).deploy(u.target_params, replay_rng);
    u.version_offset = u.requested - unit.version();
  }
  std::istringstream rb(r.string(), std::ios::binary);
  replay = replay::UniformReplay::load(rb, r.source() + " (replay)");
  r.finish();
  net->publish_policy();
}

// ---------------------------------------------------------------------------------------------------------

Trainer::Trainer(RlConfig config) : impl_(std::make_unique<Impl>(std::move(config))) {}
Trainer::Trainer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Trainer::~Trainer() {
  if (!impl_) return;
  try {
    impl_->wait_deploys();
  } catch (...) {
    // A deploy that failed after the run ended has nobody left to tell; the devices go away with us.
  }
}

std::unique_ptr<Trainer> Trainer::resume(const std::filesystem::path& checkpoint) {
  CheckpointReader r(checkpoint);
  const auto text = r.string();
  const auto j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded()) r.fail("the stored config is not valid JSON");
  auto impl = std::make_unique<Impl>(RlConfig::from_json(j));
  impl->load(r);
  return std::unique_ptr<Trainer>(new Trainer(std::move(impl)));
}

Summary Trainer::run(const Callbacks& callbacks, const std::filesystem::path& checkpoint_dir) {
  if (!checkpoint_dir.empty()) std::filesystem::create_directories(checkpoint_dir);
  return impl_->loop(callbacks, checkpoint_dir, 0);
}

Summary Trainer::run_updates(std::int64_t updates, const Callbacks& callbacks) {
  PIB_EXPECTS(updates > 0, "run_updates needs a positive count, got ", updates);
  return impl_->loop(callbacks, {}, updates);
}

void Trainer::save_checkpoint(const std::filesystem::path& file) {
  impl_->wait_deploys();
  impl_->save(file);
}

const RlConfig& Trainer::config() const {
  return impl_->cfg;
}
std::int64_t Trainer::env_steps() const {
  return impl_->steps.load();
}

std::vector<double> Trainer::evaluate(int episodes, std::uint64_t eval_seed) {
  PIB_EXPECTS(episodes > 0, "evaluate needs a positive episode count, got ", episodes);
  impl_->wait_deploys();
  auto env = envs::make(impl_->cfg.env);
  Rng rng = Rng::derive(eval_seed, Stream::evaluation);
  std::vector<double> out;
  Matrix x;
  for (int e = 0; e < episodes; ++e) {
    auto o = env->reset(derive_seed(eval_seed, Stream::evaluation_episode, static_cast<std::uint64_t>(e)));
    double ret = 0.0;
    while (true) {
      impl_->obs_scale->apply(o, x);
      const auto r = env->step(impl_->net->act(x, rng));
      ret += r.reward;
      if (r.terminated || r.truncated) break;
      o = r.observation;
    }
    out.push_back(ret);
  }
  return out;
}

std::filesystem::path latest_checkpoint(const std::filesystem::path& run_dir) {
  if (std::filesystem::is_regular_file(run_dir)) return run_dir;
  if (!std::filesystem::is_directory(run_dir))
    raise<FileError>(run_dir.string(), ": no such checkpoint file or run directory");
  std::filesystem::path best;
  long long best_step = -1;
  for (const auto& entry : std::filesystem::directory_iterator(run_dir)) {
    const auto name = entry.path().filename().string();
    if (name.rfind("checkpoint_", 0) != 0 || entry.path().extension() != ".pib") continue;
    const auto digits = name.substr(11, name.size() - 11 - 4);
    if (digits.empty() || digits.find_first_not_of("0123456789") != std::string::npos) continue;
    const long long step = std::stoll(digits);
    if (step > best_step) {
      best_step = step;
      best = entry.path();
    }
  }
  if (best.empty()) raise<FileError>(run_dir.string(), ": no checkpoint_<step>.pib in this run directory");
  return best;
}

}  // namespace pib::agent
