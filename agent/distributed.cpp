#include "agent/distributed.hpp"

#include <algorithm>
#include <exception>
#include <sstream>
#include <thread>

#include "agent/actor.hpp"
#include "agent/adam.hpp"
#include "agent/calibration.hpp"
#include "agent/nstep.hpp"
#include "agent/observation.hpp"
#include "common/binary_io.hpp"
#include "common/error.hpp"
#include "envs/registry.hpp"
#include "envs/vector_env.hpp"

namespace pib::agent {
namespace {

constexpr BinaryFormat kRlMessage{"PIBRLMSG", 1, "RL message"};
enum class Kind : std::uint32_t { policy = 1, budget = 2, transitions = 3, failure = 4, stop = 5, restore = 6 };

const char* kind_name(std::uint32_t k) {
  switch (static_cast<Kind>(k)) {
    case Kind::policy: return "policy";
    case Kind::budget: return "budget";
    case Kind::transitions: return "transitions";
    case Kind::failure: return "failure";
    case Kind::stop: return "stop";
    case Kind::restore: return "restore";
  }
  return "unknown";
}

BinaryWriter open_message(Kind kind, int sender) {
  BinaryWriter w(kRlMessage);
  w.value(static_cast<std::uint32_t>(kind));
  w.value(static_cast<std::uint32_t>(sender));
  return w;
}

// An opened message: its kind read and its sender checked.
struct Opened {
  std::istringstream holder;
  std::optional<BinaryReader> in;
  std::uint32_t kind = 0;
};

void open(Opened& m, std::string bytes, int from) {
  m.holder.str(std::move(bytes));
  m.in.emplace(kRlMessage, m.holder, "message from rank " + std::to_string(from));
  m.kind = m.in->value<std::uint32_t>();
  const auto sender = m.in->value<std::uint32_t>();
  if (sender != static_cast<std::uint32_t>(from)) m.in->fail("it says it comes from rank ", sender);
  if (m.kind < 1 || m.kind > 6) m.in->fail("unknown message kind ", m.kind);
}

// ---- the actor ------------------------------------------------------------------------------------------

class ActorWorker {
 public:
  ActorWorker(const RlConfig& cfg, Transport& transport)
      : cfg_(cfg),
        t_(transport),
        index_(static_cast<std::uint64_t>(transport.rank() - 1)),
        probe_(envs::make(cfg.env)),
        states_(calibration_states(cfg)),
        scale_(cfg.obs_scale, *probe_, states_.raw),
        net_(cfg.units, static_cast<Eigen::Index>(probe_->observation_dim()), probe_->action_count(),
             cfg.time_scale, cfg.seed),
        envs_(cfg.env, static_cast<std::size_t>(cfg.distributed.envs_per_actor)),
        rng_(Rng::derive(cfg.seed, Stream::actor, index_ + 1)),
        deploy_rng_(Rng::derive(cfg.seed, Stream::actor_deploy, index_)) {
    calibrate_network(cfg_, states_, scale_, net_);
    const auto E = envs_.num_envs();
    nstep_.assign(E, NStepAggregator(cfg.n_step, cfg.gamma));
    ended_.assign(E, 0);
    returns_.assign(E, 0.0);
    lengths_.assign(E, 0);
    actions_.assign(E, 0);
    envs_.reset(derive_seed(cfg.seed, Stream::actor_envs, index_));
    prev_.assign(envs_.observations().begin(), envs_.observations().end());
  }

  void run() {
    while (version_ < 0)  // the first policy
      if (handle(t_.receive(0))) return;
    while (!stopped_) {
      while (auto m = t_.try_receive(0))
        if (handle(std::move(*m))) return;
      if (steps_ + static_cast<std::int64_t>(envs_.num_envs()) > budget_) {
        flush();  // the learner needs these before it raises the budget
        if (handle(t_.receive(0))) return;
        continue;
      }
      step();
      if (static_cast<int>(batch_.size()) >= cfg_.distributed.batch_transitions) flush();
    }
  }

 private:
  // Returns true on stop.
  bool handle(std::string bytes) {
    Opened m;
    open(m, std::move(bytes), 0);
    auto& in = *m.in;
    switch (static_cast<Kind>(m.kind)) {
      case Kind::policy: {
        version_ = in.value<std::int64_t>();
        learner_steps_ = in.value<std::int64_t>();
        steps_at_policy_ = steps_;
        budget_ = in.value<std::int64_t>();
        const auto depth = in.value<std::uint32_t>();
        if (depth != net_.depth()) in.fail("a policy of ", depth, " units for a network of ", net_.depth());
        for (std::size_t l = 0; l < net_.depth(); ++l) {
          const Vector p = in.eigen(net_.online(l).parameter_count());
          net_.online(l).deploy(p, deploy_rng_);
        }
        net_.head(net_.depth() - 1).set_parameters(in.eigen(net_.head(net_.depth() - 1).parameter_count()));
        const auto recalibrations = in.value<std::int64_t>();
        const auto rows = in.value<std::uint32_t>();
        if (rows > 1024) in.fail(rows, " recalibration states, at most 1024 expected");
        if (rows > 0) {
          const auto n = static_cast<Eigen::Index>(rows), d = static_cast<Eigen::Index>(scale_.size());
          const Matrix states = in.eigen(n * d).reshaped(n, d);
          if (recalibrations > recalibrations_) {  // the learner's devices calibrated again: these clones too
            recalibrations_ = recalibrations;
            Rng rng = Rng::derive(derive_seed(cfg_.seed, Stream::actor_deploy, index_), Stream::recalibration,
                                  static_cast<std::uint64_t>(recalibrations_));
            net_.recalibrate(states, rng);
          }
        }
        in.finish();
        net_.publish_policy();
        return false;
      }
      case Kind::budget:
        budget_ = in.value<std::int64_t>();
        in.finish();
        return false;
      case Kind::stop:
        in.finish();
        stopped_ = true;
        return true;
      case Kind::restore: {
        const auto steps = in.value<std::int64_t>();
        in.finish();
        restart_at(steps);
        return false;
      }
      default:
        in.fail("an actor does not take ", kind_name(m.kind), " messages");
    }
  }

  // A resumed run: go on from `steps` with new episodes; the reset and exploration streams are derived from
  // the count, so a resumption does not replay the first segment's draws.
  void restart_at(std::int64_t steps) {
    steps_ = steps_sent_ = steps_at_policy_ = steps;
    const auto k = static_cast<std::uint64_t>(steps);
    rng_ = Rng::derive(derive_seed(cfg_.seed, Stream::actor, index_ + 1), Stream::actor, k);
    envs_.reset(derive_seed(derive_seed(cfg_.seed, Stream::actor_envs, index_), Stream::actor_envs, k));
    prev_.assign(envs_.observations().begin(), envs_.observations().end());
    for (auto& n : nstep_)
      n.clear();
    std::fill(ended_.begin(), ended_.end(), 0);
    std::fill(returns_.begin(), returns_.end(), 0.0);
    std::fill(lengths_.begin(), lengths_.end(), 0);
    batch_.clear();
    finished_.clear();
  }

  // The learner's clock for exploration: the steps it knew of at the last policy plus every actor's steps
  // since, estimated from this one's.
  std::int64_t global_steps() const {
    return learner_steps_ + (steps_ - steps_at_policy_) * cfg_.distributed.actors;
  }

  void step() {
    const auto E = envs_.num_envs();
    const double eps = linear_schedule(cfg_.epsilon_start, cfg_.epsilon_final, cfg_.epsilon_decay_steps, global_steps());
    for (std::size_t i = 0; i < E; ++i) {
      if (rng_.uniform() < eps) {
        actions_[i] = static_cast<int>(rng_.below(static_cast<std::uint64_t>(envs_.action_count())));
      } else {
        scale_.apply(envs_.observation(i), x_);
        actions_[i] = net_.act(x_, rng_);
      }
    }
    envs_.step(actions_);
    const auto dim = envs_.observation_dim();
    for (std::size_t i = 0; i < E; ++i) {
      const auto obs = envs_.observation(i);
      const std::span<const float> prev(prev_.data() + i * dim, dim);
      if (ended_[i]) {  // this step reset copy i (auto-reset): a new episode starts, no transition
        ended_[i] = 0;
        nstep_[i].clear();
        std::copy(obs.begin(), obs.end(), prev_.begin() + static_cast<std::ptrdiff_t>(i * dim));
        continue;
      }
      const bool term = envs_.terminated()[i] != 0, trunc = envs_.truncated()[i] != 0;
      envs::StepResult r{obs, envs_.rewards()[i], term, trunc};
      check_step(cfg_.env, r, lengths_[i] + 1, -1);
      returns_[i] += r.reward;
      ++lengths_[i];
      ++steps_;
      nstep_[i].add(prev, actions_[i], r.reward, obs, term, trunc, emitted_);
      batch_.insert(batch_.end(), emitted_.begin(), emitted_.end());
      if (term || trunc) {
        finished_.push_back({returns_[i], lengths_[i]});
        returns_[i] = 0.0;
        lengths_[i] = 0;
        ended_[i] = 1;
      }
      std::copy(obs.begin(), obs.end(), prev_.begin() + static_cast<std::ptrdiff_t>(i * dim));
    }
  }

  void flush() {
    if (batch_.empty() && finished_.empty() && steps_ == steps_sent_) return;
    t_.send(0, encode_transitions(t_.rank(), version_, steps_, static_cast<std::uint32_t>(envs_.observation_dim()),
                                  batch_, finished_));
    batch_.clear();
    finished_.clear();
    steps_sent_ = steps_;
  }

  const RlConfig& cfg_;
  Transport& t_;
  std::uint64_t index_;
  std::unique_ptr<envs::Environment> probe_;
  CalibrationStates states_;
  ObservationScale scale_;
  QNetwork net_;
  envs::VectorEnv envs_;
  Rng rng_, deploy_rng_;
  std::vector<NStepAggregator> nstep_;
  std::vector<std::uint8_t> ended_;  // copy i's episode ended on the last step: the next step resets it
  std::vector<double> returns_;
  std::vector<int> lengths_;
  std::vector<int> actions_;
  std::vector<float> prev_;
  Matrix x_;
  std::vector<replay::Transition> emitted_, batch_;
  std::vector<FinishedEpisode> finished_;
  std::int64_t version_ = -1, learner_steps_ = 0, steps_at_policy_ = 0, budget_ = 0;
  std::int64_t steps_ = 0, steps_sent_ = 0;
  std::int64_t recalibrations_ = 0;  // the learner's passes these clones have followed
  bool stopped_ = false;
};

}  // namespace

std::string encode_transitions(int sender, std::int64_t version, std::int64_t steps, std::uint32_t obs_dim,
                               const std::vector<replay::Transition>& transitions,
                               const std::vector<FinishedEpisode>& finished) {
  auto w = open_message(Kind::transitions, sender);
  w.value(version);
  w.value(steps);
  w.value(obs_dim);
  w.value(static_cast<std::uint32_t>(transitions.size()));
  for (const auto& tr : transitions) {
    w.array(std::span<const float>(tr.obs.data(), obs_dim));
    w.array(std::span<const float>(tr.next_obs.data(), obs_dim));
    w.value(static_cast<std::int32_t>(tr.action));
    w.value(tr.reward);
    w.value(tr.discount);
    w.value(tr.terminated);
    w.value(tr.truncated);
  }
  w.value(static_cast<std::uint32_t>(finished.size()));
  for (const auto& e : finished) {
    w.value(e.episode_return);
    w.value(static_cast<std::int32_t>(e.length));
  }
  return w.finish();
}

void run_actor(const RlConfig& cfg, Transport& transport) {
  PIB_EXPECTS(transport.rank() >= 1, "rank 0 is the learner");
  try {
    ActorWorker(cfg, transport).run();
  } catch (const std::exception& e) {
    auto w = open_message(Kind::failure, transport.rank());
    w.string(e.what());
    transport.send(0, w.finish());
    throw;
  }
}

// ---- the learner's side -------------------------------------------------------------------------------

ActorHub::ActorHub(const RlConfig& cfg, Transport& transport, const std::vector<std::int64_t>& steps,
                   std::int64_t episodes)
    : cfg_(cfg), transport_(transport), episodes_(episodes), interval_start_(std::chrono::steady_clock::now()) {
  PIB_EXPECTS(steps.size() + 1 == static_cast<std::size_t>(transport.size()), steps.size(),
              " actor step counts for ", transport.size() - 1, " actors");
  for (int r = 1; r < transport.size(); ++r) {
    Actor a;
    a.rank = r;
    a.steps = a.interval_steps0 = steps[static_cast<std::size_t>(r - 1)];
    actors_.push_back(a);
  }
}

std::vector<std::int64_t> ActorHub::actor_steps() const {
  std::vector<std::int64_t> out;
  for (const auto& a : actors_)
    out.push_back(a.steps);
  return out;
}

void ActorHub::send_restore() {
  for (const auto& a : actors_) {
    if (!a.alive || a.steps == 0) continue;
    auto w = open_message(Kind::restore, 0);
    w.value(a.steps);
    transport_.send(a.rank, w.finish());
  }
}

int ActorHub::alive() const {
  return static_cast<int>(std::count_if(actors_.begin(), actors_.end(), [](const Actor& a) { return a.alive; }));
}

std::int64_t ActorHub::steps() const {
  std::int64_t s = 0;
  for (const auto& a : actors_)
    s += a.steps;
  return s;
}

std::int64_t ActorHub::budget(std::int64_t updates) const {
  const auto n = std::max(alive(), 1);
  const auto total = std::max<std::int64_t>(cfg_.learning_starts, 0) +
                     static_cast<std::int64_t>(cfg_.update_every) * (updates + cfg_.distributed.sync_every);
  // Each actor may also run one batch ahead, so that it is not held at every update, and one step of all
  // its environments (it stops when a step would pass the budget), so the actors together always reach
  // the steps the next update needs.
  return std::min(cfg_.total_steps, total) / n + cfg_.distributed.batch_transitions +
         cfg_.distributed.envs_per_actor;
}

void ActorHub::send_policy(QNetwork& net, std::int64_t updates, std::int64_t recalibrations,
                           const Matrix& states) {
  const auto b = budget(updates);
  auto w = open_message(Kind::policy, 0);
  w.value(updates);
  w.value(steps());
  w.value(b);
  w.value(static_cast<std::uint32_t>(net.depth()));
  for (std::size_t l = 0; l < net.depth(); ++l)
    w.eigen(net.online(l).parameters());
  w.eigen(net.head(net.depth() - 1).parameters());
  const bool with_states = recalibrations > recalibrations_sent_;
  w.value(recalibrations);
  w.value(static_cast<std::uint32_t>(with_states ? states.rows() : 0));
  if (with_states) w.eigen(states.reshaped());
  recalibrations_sent_ = recalibrations;
  const std::string bytes = w.finish();
  for (auto& a : actors_)
    if (a.alive) {
      transport_.send(a.rank, bytes);
      a.budget_sent = b;
    }
}

void ActorHub::send_budget(std::int64_t updates) {
  const auto b = budget(updates);
  std::optional<std::string> bytes;
  for (auto& a : actors_) {
    if (!a.alive || a.budget_sent == b) continue;
    if (!bytes) {
      auto w = open_message(Kind::budget, 0);
      w.value(b);
      bytes = w.finish();
    }
    transport_.send(a.rank, *bytes);
    a.budget_sent = b;
  }
}

bool ActorHub::poll(replay::UniformReplay* replay, std::int64_t updates, std::vector<EpisodeRecord>& episodes,
                    std::vector<ActorFailure>& failures) {
  bool any = false;
  for (auto& a : actors_) {
    while (a.alive) {
      auto bytes = transport_.try_receive(a.rank);
      if (!bytes) break;
      any = true;
      Opened m;
      open(m, std::move(*bytes), a.rank);
      auto& in = *m.in;
      if (m.kind == static_cast<std::uint32_t>(Kind::failure)) {
        failures.push_back({a.rank, in.string()});
        in.finish();
        a.alive = false;
        break;
      }
      if (m.kind != static_cast<std::uint32_t>(Kind::transitions))
        in.fail("the learner does not take ", kind_name(m.kind), " messages");
      const auto version = in.value<std::int64_t>();
      const auto steps = in.value<std::int64_t>();
      const auto dim = in.value<std::uint32_t>();
      if (replay && dim != replay->obs_dim()) in.fail("observations of ", dim, " values, expected ", replay->obs_dim());
      if (steps < a.steps) in.fail("its step count went back from ", a.steps, " to ", steps);
      const auto n = in.value<std::uint32_t>();
      std::vector<float> obs(dim), next(dim);
      for (std::uint32_t k = 0; k < n; ++k) {
        in.array(std::span<float>(obs));
        in.array(std::span<float>(next));
        const auto action = in.value<std::int32_t>();
        const auto reward = in.value<double>();
        const auto discount = in.value<double>();
        const auto terminated = in.value<bool>();
        const auto truncated = in.value<bool>();
        if (replay) replay->push(obs, action, reward, next, terminated, truncated, discount);
      }
      a.transitions += n;
      a.steps = steps;
      const auto finished = in.value<std::uint32_t>();
      for (std::uint32_t k = 0; k < finished; ++k) {
        const auto ret = in.value<double>();
        const auto len = in.value<std::int32_t>();
        episodes.push_back({episodes_++, ret, len, this->steps()});
      }
      in.finish();
      if (version >= 0) {
        a.staleness_sum += static_cast<double>(updates - version);
        ++a.batches;
      }
    }
  }
  return any;
}

void ActorHub::stop() {
  std::optional<std::string> bytes;
  for (auto& a : actors_) {
    if (!a.alive) continue;
    if (!bytes) bytes = open_message(Kind::stop, 0).finish();
    transport_.send(a.rank, *bytes);
  }
}

std::vector<ActorMetrics> ActorHub::take_metrics() {
  const auto now = std::chrono::steady_clock::now();
  const double dt = std::chrono::duration<double>(now - interval_start_).count();
  interval_start_ = now;
  std::vector<ActorMetrics> out;
  for (auto& a : actors_) {
    ActorMetrics m;
    m.rank = a.rank;
    m.alive = a.alive;
    m.steps = a.steps;
    m.steps_per_s = dt > 0 ? static_cast<double>(a.steps - a.interval_steps0) / dt : 0.0;
    m.staleness = a.batches > 0 ? a.staleness_sum / static_cast<double>(a.batches) : 0.0;
    m.transitions = a.transitions;
    out.push_back(m);
    a.interval_steps0 = a.steps;
    a.staleness_sum = 0.0;
    a.batches = 0;
  }
  return out;
}

}  // namespace pib::agent
