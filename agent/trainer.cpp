#include "agent/trainer.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <exception>
#include <numeric>
#include <thread>

#include "agent/actor.hpp"
#include "agent/calibration.hpp"
#include "agent/checkpoint_io.hpp"
#include "agent/distributed.hpp"
#include "agent/learner.hpp"
#include "agent/network.hpp"
#include "agent/observation.hpp"
#include "common/error.hpp"
#include "envs/registry.hpp"

namespace pib::agent {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

}  // namespace

// The run: the network and its observation scaling, the learner (with the replay buffer), the actor
// feeding it through the transition sink, the episode returns, and the control of the actor's thread.
struct Trainer::Impl {
  RlConfig cfg;
  std::optional<ObservationScale> scale;
  std::unique_ptr<QNetwork> net;
  std::unique_ptr<Learner> learner;
  std::unique_ptr<TransitionSink> sink;
  std::unique_ptr<Actor> actor;
  ReturnTracker returns;
  std::vector<SolveCheck> solve_checks;  // of the current run() call
  // A distributed run's actors: each one's steps (as the learner last heard) and the episodes they
  // finished, kept from the hub when the run ends or checkpoints (for env_steps and a resume).
  std::vector<std::int64_t> actor_steps;
  std::int64_t actor_episodes = 0;
  void keep_actor_counts(const ActorHub& hub) {
    actor_steps = hub.actor_steps();
    actor_episodes = hub.episodes();
  }
  std::int64_t actor_rank_steps() const {
    return std::accumulate(actor_steps.begin(), actor_steps.end(), std::int64_t{0});
  }

  // Run control of the async actor's thread.
  std::atomic<bool> stop{false};
  std::atomic<bool> stop_requested{false};  // Trainer::request_stop: end the run at the next pass
  std::atomic<bool> pause_requested{false};
  std::atomic<bool> actor_paused{false};
  std::atomic<bool> actor_finished{false};
  std::exception_ptr actor_error;

  explicit Impl(RlConfig c);
  bool actor_may_step() const;
  void actor_loop();
  IntervalMetrics interval_metrics(std::int64_t known_steps, double interval_s, std::int64_t interval_steps,
                                   std::int64_t interval_updates, Clock::time_point start);
  std::vector<double> greedy_returns(int episodes, std::uint64_t eval_seed);
  template <typename Pause, typename Resume>
  bool solved(std::int64_t known, std::optional<double> threshold, std::int64_t& next_check, const Callbacks& cb,
              Pause pause, Resume resume);
  Summary summary(double wall_s) const;
  Summary loop(const Callbacks& cb, const std::filesystem::path& checkpoint_dir, std::int64_t max_updates);
  Summary distributed_loop(const Callbacks& cb, const std::filesystem::path& checkpoint_dir, Transport* transport);
  Summary learn_from_actors(const Callbacks& cb, const std::filesystem::path& checkpoint_dir, ActorHub& hub);
  void save_distributed(const std::filesystem::path& checkpoint_dir, ActorHub& hub, const Callbacks& cb);
  void save(const std::filesystem::path& file);

  // Every piece of state a resumed sync run needs to continue exactly (after the stored config).
  template <typename Archive>
  void serialize(Archive& a) {
    returns.serialize(a);
    actor->serialize(a);
    learner->serialize(a);
    if (cfg.distributed.actors > 0) {
      a(actor_episodes);
      a(actor_steps);
      a.check(actor_steps.size() == static_cast<std::size_t>(cfg.distributed.actors), actor_steps.size(),
              " actors' step counts for ", cfg.distributed.actors, " actors");
    }
  }
};

// Building: observation scaling, the network, a check of the configured faults, calibration, then the
// learner and the actor.
Trainer::Impl::Impl(RlConfig c) : cfg(std::move(c)) {
  const auto env = envs::make(cfg.env);
  const auto dim = env->observation_dim();
  if (dim > replay::kDefaultMaxObsDim)
    raise<ConfigError>("env: ", cfg.env, " has ", dim, " observation values, more than the ",
                       replay::kDefaultMaxObsDim, " the agent's transition queue carries");
  const auto states = calibration_states(cfg);
  scale.emplace(cfg.obs_scale, *env, states.raw);
  net = std::make_unique<QNetwork>(cfg.units, static_cast<Eigen::Index>(dim), env->action_count(),
                                   cfg.time_scale, cfg.seed);
  // A fault the unit cannot take fails now, not minutes into the run: try each on a copy of its device.
  for (std::size_t k = 0; k < cfg.faults.size(); ++k) {
    const auto& f = cfg.faults[k];
    try {
      Rng probe = Rng::derive(cfg.seed, Stream::fault, k);  // the draws the injection makes
      net->online(static_cast<std::size_t>(f.unit)).clone()->inject_faults(f.inject, probe);
    } catch (const Error& e) {
      raise<ConfigError>("faults[", k, "] (unit ", f.unit, "): ", e.what());
    }
  }
  const double sigma_x = calibrate_network(cfg, states, *scale, *net);
  net->publish_policy();
  learner = std::make_unique<Learner>(cfg, *net, *scale, sigma_x);
  sink = std::make_unique<TransitionSink>(cfg.schedule, learner->replay());
  actor = std::make_unique<Actor>(cfg, *net, *scale, *sink);
}

// The actor may step until total_steps, and at most `update_every` steps past the learner's next update.
bool Trainer::Impl::actor_may_step() const {
  const auto t = actor->steps();
  const auto bound =
      std::max<std::int64_t>(cfg.learning_starts, 0) + cfg.update_every * (learner->updates() + 1);
  return t < cfg.total_steps && t < bound;
}

// The async actor's thread: steps while allowed, holds at a step boundary while a pause is requested.
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
      if (actor->steps() >= cfg.total_steps) break;
      if (!actor_may_step()) {
        std::this_thread::yield();
        continue;
      }
      actor->step();
    }
  } catch (...) {
    actor_error = std::current_exception();
  }
  actor_finished.store(true, std::memory_order_release);
}

IntervalMetrics Trainer::Impl::interval_metrics(std::int64_t known_steps, double interval_s,
                                                std::int64_t interval_steps, std::int64_t interval_updates,
                                                Clock::time_point start) {
  IntervalMetrics im;
  im.step = known_steps;
  im.updates = learner->updates();
  im.episodes = returns.episodes();
  im.mean_return_100 = returns.mean_100();
  im.epsilon = actor->epsilon(known_steps);
  im.lr = learner->lr(known_steps);
  im.steps_per_s = interval_s > 0 ? static_cast<double>(interval_steps) / interval_s : 0.0;
  im.updates_per_s = interval_s > 0 ? static_cast<double>(interval_updates) / interval_s : 0.0;
  im.wall_s = seconds_since(start);
  im.eta_s = im.steps_per_s > 0 ? static_cast<double>(cfg.total_steps - known_steps) / im.steps_per_s : 0.0;
  for (std::size_t l = 0; l < net->depth(); ++l)
    im.units.push_back(learner->take_metrics(l));
  return im;
}

Summary Trainer::Impl::summary(double wall_s) const {
  Summary s;
  s.env = cfg.env;
  s.solved_at_step = returns.solved_at();
  s.solve_checks = solve_checks;
  s.best_mean_return_100 = returns.best_mean_100();
  s.env_steps = actor->steps();
  s.updates = learner->updates();
  s.episodes = returns.episodes();
  s.wall_s = wall_s;
  s.compute_s = learner->compute_s();
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

// Whether the run is solved at `known` steps: the 100-episode training mean at the threshold and, with
// solve_check_episodes > 0, a greedy check of the current network at it too. A check runs at most once per
// solve_check_every steps (`next_check`), between `pause` and `resume` of the actor.
template <typename Pause, typename Resume>
bool Trainer::Impl::solved(std::int64_t known, std::optional<double> threshold, std::int64_t& next_check,
                           const Callbacks& cb, Pause pause, Resume resume) {
  if (!cfg.stop_when_solved || !threshold || !returns.mean_100() || *returns.mean_100() < *threshold) return false;
  if (cfg.solve_check_episodes == 0) return true;
  if (known < next_check) return false;
  pause();  // the greedy episodes measure the online devices the actor acts with
  const auto r = greedy_returns(cfg.solve_check_episodes,
                                derive_seed(cfg.seed, Stream::solve_check, static_cast<std::uint64_t>(known)));
  resume();
  SolveCheck check{known, std::accumulate(r.begin(), r.end(), 0.0) / static_cast<double>(r.size()), false};
  check.passed = check.mean_return >= *threshold;
  solve_checks.push_back(check);
  if (cb.on_solve_check) cb.on_solve_check(check);
  next_check = known + cfg.solve_check_every;
  return check.passed;
}

// The one loop both schedules run. Each pass: the actor's turn (sync: here, up to its bound; async: on its
// own thread, checked for errors), due faults, the hand-over of transitions and finished episodes, at most
// one update, metrics, a checkpoint, the stop conditions. `max_updates` > 0 stops after that many more
// updates.
Summary Trainer::Impl::loop(const Callbacks& cb, const std::filesystem::path& checkpoint_dir,
                            std::int64_t max_updates) {
  const auto start = Clock::now();
  const bool async = cfg.schedule == Schedule::async;
  const auto updates_at_start = learner->updates();
  stop = false;
  actor_finished = false;
  actor_error = nullptr;
  std::thread actor_thread;
  if (async) actor_thread = std::thread([this] { actor_loop(); });

  auto interval_start = Clock::now();
  std::int64_t interval_steps0 = actor->steps(), interval_updates0 = learner->updates();
  std::int64_t next_metrics = (actor->steps() / cfg.metrics_every + 1) * cfg.metrics_every;
  std::int64_t next_checkpoint =
      cfg.checkpoint_every > 0 ? (actor->steps() / cfg.checkpoint_every + 1) * cfg.checkpoint_every : -1;
  const auto threshold = actor->env().reward_threshold();
  std::int64_t next_solve_check = 0;
  solve_checks.clear();

  auto finish_actor = [&] {
    stop.store(true, std::memory_order_release);
    if (actor_thread.joinable()) actor_thread.join();
  };
  auto pause_actor = [&] {  // async: hold the actor at a step boundary
    if (!async) return;
    pause_requested.store(true, std::memory_order_release);
    while (!actor_paused.load(std::memory_order_acquire) && !actor_finished.load(std::memory_order_acquire)) {
      sink->drain();  // an actor waiting on a full queue reaches its step boundary only once it is drained
      std::this_thread::sleep_for(std::chrono::microseconds(50));
    }
  };
  auto resume_actor = [&] { pause_requested.store(false, std::memory_order_release); };

  try {
    while (true) {
      if (!async) {
        while (actor_may_step())
          actor->step();
        if (actor->steps() >= cfg.total_steps) actor_finished = true;
      } else if (actor_error) {
        std::rethrow_exception(actor_error);
      }
      const auto known = actor->steps();
      for (const auto& f : learner->inject_due_faults(known))
        if (cb.on_fault) cb.on_fault(known, f);
      sink->drain();
      for (const auto& e : actor->take_finished()) {
        returns.add(e, threshold);
        if (cb.on_episode) cb.on_episode(e);
      }
      bool did_update = false;
      if (learner->updates() < learner->updates_due(known) && learner->can_update()) {
        learner->update(known);
        did_update = true;
      }
      if (known >= next_metrics && cb.on_interval) {
        const auto updates = learner->updates();
        cb.on_interval(interval_metrics(known, seconds_since(interval_start), known - interval_steps0,
                                        updates - interval_updates0, start));
        interval_start = Clock::now();
        interval_steps0 = known;
        interval_updates0 = updates;
        next_metrics = (known / cfg.metrics_every + 1) * cfg.metrics_every;
      }
      const bool solved_stop = solved(known, threshold, next_solve_check, cb, pause_actor, resume_actor);
      const bool updates_done = max_updates > 0 && learner->updates() - updates_at_start >= max_updates;
      const bool all_done = actor_finished.load() &&
                            learner->updates() >= learner->updates_due(actor->steps()) && sink->empty() &&
                            !did_update;
      if (next_checkpoint > 0 && known >= next_checkpoint && !checkpoint_dir.empty() && !solved_stop &&
          !all_done) {
        pause_actor();
        learner->wait_deploys();
        sink->drain();
        const auto file = checkpoint_dir / ("checkpoint_" + std::to_string(actor->steps()) + ".pib");
        save(file);
        if (cb.on_checkpoint) cb.on_checkpoint(file);
        resume_actor();
        next_checkpoint = (actor->steps() / cfg.checkpoint_every + 1) * cfg.checkpoint_every;
      }
      if (solved_stop || updates_done || all_done || stop_requested.load(std::memory_order_relaxed)) break;
      if (async && !did_update) std::this_thread::yield();
    }
  } catch (...) {
    finish_actor();
    learner->wait_deploys();
    throw;
  }
  finish_actor();
  if (actor_error) std::rethrow_exception(actor_error);
  learner->wait_deploys();
  sink->drain();
  if (!checkpoint_dir.empty()) {
    const auto file = checkpoint_dir / ("checkpoint_" + std::to_string(actor->steps()) + ".pib");
    save(file);
    if (cb.on_checkpoint) cb.on_checkpoint(file);
  }
  auto s = summary(seconds_since(start));
  s.interrupted = stop_requested.exchange(false);
  return s;
}

// The learner of a distributed run: its actors on `transport`'s ranks 1.., or on threads here.
Summary Trainer::Impl::distributed_loop(const Callbacks& cb, const std::filesystem::path& checkpoint_dir,
                                        Transport* transport) {
  if (actor_steps.empty()) actor_steps.assign(static_cast<std::size_t>(cfg.distributed.actors), 0);
  const int A = cfg.distributed.actors;
  if (transport) {
    if (transport->size() != A + 1)
      raise<ConfigError>("distributed.actors: ", A, " actors need ", A + 1, " ranks (a learner and the actors); this job has ",
                         transport->size());
    ActorHub hub(cfg, *transport, actor_steps, actor_episodes);
    return learn_from_actors(cb, checkpoint_dir, hub);
  }
  auto endpoints = LocalTransport::group(A + 1);
  std::vector<std::thread> threads;
  for (int r = 1; r <= A; ++r)
    threads.emplace_back([this, &endpoints, r] {
      try {
        run_actor(cfg, endpoints[static_cast<std::size_t>(r)]);
      } catch (...) {  // reported to the learner as a failure message
      }
    });
  try {
    ActorHub hub(cfg, endpoints[0], actor_steps, actor_episodes);
    auto s = learn_from_actors(cb, checkpoint_dir, hub);
    for (auto& t : threads)
      t.join();
    return s;
  } catch (...) {
    endpoints[0].mailboxes().close("the learner ended");
    for (auto& t : threads)
      t.join();
    throw;
  }
}

// The learner's loop over the hub's messages: transitions into replay, updates at the recipe's ratio, a
// policy every sync_every updates, metrics and the stop conditions as in loop().
Summary Trainer::Impl::learn_from_actors(const Callbacks& cb, const std::filesystem::path& checkpoint_dir,
                                         ActorHub& hub) {
  const auto start = Clock::now();
  std::int64_t next_checkpoint =
      cfg.checkpoint_every > 0 ? (hub.steps() / cfg.checkpoint_every + 1) * cfg.checkpoint_every : -1;
  const auto threshold = actor->env().reward_threshold();
  std::int64_t next_metrics = cfg.metrics_every, next_solve_check = 0;
  std::int64_t interval_updates0 = learner->updates();
  auto interval_start = Clock::now();
  solve_checks.clear();
  std::vector<EpisodeRecord> episodes;
  std::vector<ActorFailure> failures;
  hub.send_restore();  // a resumed run: every actor goes on from its step count
  hub.send_policy(*net, learner->updates(), learner->recalibrations(), learner->recalibration_states());
  try {
    while (true) {
      episodes.clear();
      failures.clear();
      bool busy = hub.poll(&learner->replay(), learner->updates(), episodes, failures);
      for (std::size_t k = 0; k < failures.size(); ++k) {  // actors dropped in this poll: hub.alive() is after all
        const auto& f = failures[k];
        const bool last_one = hub.alive() == 0 && k + 1 == failures.size();
        if (cfg.distributed.on_actor_failure == "stop" || last_one)
          raise<StateError>("actor rank ", f.rank, " failed: ", f.message, last_one ? " (no actor is left)" : "");
        if (cb.on_actor_failure) cb.on_actor_failure(f.rank, f.message);
      }
      const auto known = hub.steps();
      for (const auto& e : episodes) {
        returns.add(e, threshold);
        if (cb.on_episode) cb.on_episode(e);
      }
      for (const auto& f : learner->inject_due_faults(known))
        if (cb.on_fault) cb.on_fault(known, f);
      if (learner->updates() < learner->updates_due(known) && learner->can_update()) {
        learner->update(known);
        busy = true;
        if (learner->updates() % cfg.distributed.sync_every == 0) {
          learner->wait_deploys();
          hub.send_policy(*net, learner->updates(), learner->recalibrations(),
                          learner->recalibration_states());
        } else {
          hub.send_budget(learner->updates());
        }
      }
      if (known >= next_metrics && cb.on_interval) {
        const auto updates = learner->updates();
        auto im = interval_metrics(known, seconds_since(interval_start), 0, updates - interval_updates0, start);
        im.actors = hub.take_metrics();
        im.steps_per_s = 0;
        for (const auto& a : im.actors)
          im.steps_per_s += a.steps_per_s;
        im.eta_s = im.steps_per_s > 0 ? static_cast<double>(cfg.total_steps - known) / im.steps_per_s : 0.0;
        cb.on_interval(im);
        interval_start = Clock::now();
        interval_updates0 = updates;
        next_metrics = (known / cfg.metrics_every + 1) * cfg.metrics_every;
      }
      const bool solved_stop = solved(known, threshold, next_solve_check, cb, [] {}, [] {});
      const bool all_done = known >= cfg.total_steps && learner->updates() >= learner->updates_due(known);
      if (next_checkpoint > 0 && known >= next_checkpoint && !checkpoint_dir.empty() && !solved_stop && !all_done) {
        save_distributed(checkpoint_dir, hub, cb);
        next_checkpoint = (known / cfg.checkpoint_every + 1) * cfg.checkpoint_every;
      }
      if (solved_stop || all_done || stop_requested.load(std::memory_order_relaxed)) break;
      if (!busy) std::this_thread::sleep_for(std::chrono::microseconds(20));
    }
  } catch (...) {
    hub.stop();
    learner->wait_deploys();
    throw;
  }
  hub.stop();
  learner->wait_deploys();
  keep_actor_counts(hub);
  if (!checkpoint_dir.empty()) save_distributed(checkpoint_dir, hub, cb);
  auto s = summary(seconds_since(start));
  s.env_steps = actor_rank_steps();
  s.schedule = "distributed";
  s.interrupted = stop_requested.exchange(false);
  return s;
}

// A distributed run's checkpoint: the learner's state with every actor's step count and the episodes they
// finished. Transitions still in flight are not in it; a resumed actor goes on from the count the learner
// heard last, with new episodes.
void Trainer::Impl::save_distributed(const std::filesystem::path& checkpoint_dir, ActorHub& hub, const Callbacks& cb) {
  learner->wait_deploys();
  keep_actor_counts(hub);
  const auto file = checkpoint_dir / ("checkpoint_" + std::to_string(actor_rank_steps()) + ".pib");
  save(file);
  if (cb.on_checkpoint) cb.on_checkpoint(file);
}

// A checkpoint: the config the run was built from, then the state. No deploy may be in flight.
void Trainer::Impl::save(const std::filesystem::path& file) {
  SaveArchive a;
  std::string config = cfg.to_json().dump();
  a(config);
  serialize(a);
  a.commit(file);
}

// ---------------------------------------------------------------------------------------------------------

Trainer::Trainer(RlConfig config) : impl_(std::make_unique<Impl>(std::move(config))) {}
Trainer::Trainer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Trainer::~Trainer() = default;

std::unique_ptr<Trainer> Trainer::resume(const std::filesystem::path& checkpoint) {
  LoadArchive a(checkpoint);
  std::string text;
  a(text);
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded()) a.fail("the stored config is not valid JSON");
  // A checkpoint of a version without recalibration passes goes on without them (and has no record of them).
  if (j.is_object() && !j.contains("recalibrate_every")) j["recalibrate_every"] = 0;
  auto impl = std::make_unique<Impl>(RlConfig::from_json(j));
  impl->serialize(a);
  a.finish();
  return std::unique_ptr<Trainer>(new Trainer(std::move(impl)));
}

Summary Trainer::run(const Callbacks& callbacks, const std::filesystem::path& checkpoint_dir, Transport* actors) {
  if (!checkpoint_dir.empty()) std::filesystem::create_directories(checkpoint_dir);
  if (impl_->cfg.distributed.actors > 0) return impl_->distributed_loop(callbacks, checkpoint_dir, actors);
  return impl_->loop(callbacks, checkpoint_dir, 0);
}

void Trainer::request_stop() { impl_->stop_requested.store(true, std::memory_order_relaxed); }

Summary Trainer::run_updates(std::int64_t updates, const Callbacks& callbacks) {
  PIB_EXPECTS(updates > 0, "run_updates needs a positive count, got ", updates);
  return impl_->loop(callbacks, {}, updates);
}

void Trainer::save_checkpoint(const std::filesystem::path& file) {
  impl_->learner->wait_deploys();
  impl_->save(file);
}

const RlConfig& Trainer::config() const {
  return impl_->cfg;
}
std::int64_t Trainer::env_steps() const {
  return impl_->cfg.distributed.actors > 0 ? impl_->actor_rank_steps() : impl_->actor->steps();
}

std::vector<double> Trainer::evaluate(int episodes, std::uint64_t eval_seed) {
  PIB_EXPECTS(episodes > 0, "evaluate needs a positive episode count, got ", episodes);
  return impl_->greedy_returns(episodes, eval_seed);
}

// Greedy episodes of the online network on a fresh environment instance. The actor must not be stepping.
std::vector<double> Trainer::Impl::greedy_returns(int episodes, std::uint64_t eval_seed) {
  learner->wait_deploys();
  auto env = envs::make(cfg.env);
  Rng rng = Rng::derive(eval_seed, Stream::evaluation);
  std::vector<double> out;
  Matrix x;
  for (int e = 0; e < episodes; ++e) {
    auto o = env->reset(derive_seed(eval_seed, Stream::evaluation_episode, static_cast<std::uint64_t>(e)));
    double ret = 0.0;
    while (true) {
      scale->apply(o, x);
      const auto r = env->step(net->act(x, rng));
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
