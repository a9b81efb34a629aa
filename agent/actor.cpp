#include "agent/actor.hpp"

#include <cmath>
#include <deque>
#include <thread>

#include "agent/adam.hpp"
#include "agent/checkpoint_io.hpp"
#include "common/error.hpp"
#include "envs/registry.hpp"

namespace pib::agent {

void check_step(const std::string& env, const envs::StepResult& r, int step, std::int64_t episode) {
  // The episode's name is only spelt out for the error: this runs on every environment step.
  auto where = [&] {
    return episode < 0 ? std::string("a calibration episode") : "episode " + std::to_string(episode);
  };
  for (std::size_t k = 0; k < r.observation.size(); ++k) {
    if (!std::isfinite(r.observation[k]))
      raise<InvalidArgument>("environment ", env, " returned a non-finite observation (value ", k, " = ",
                             r.observation[k], ") at step ", step, " of ", where());
  }
  if (!std::isfinite(r.reward))
    raise<InvalidArgument>("environment ", env, " returned a non-finite reward at step ", step, " of ",
                           where());
}

void TransitionSink::send(const replay::Transition& t) {
  while (!queue_.try_push(t)) {
    if (sync_) {
      drain();
    } else {
      std::this_thread::yield();
    }
  }
}

void TransitionSink::drain() {
  replay::Transition t;
  while (queue_.try_pop(t))
    replay_.push(t);
}

Actor::Actor(const RlConfig& cfg, QNetwork& net, const ObservationScale& scale, TransitionSink& sink)
    : cfg_(cfg),
      env_(envs::make(cfg.env)),
      net_(net),
      scale_(scale),
      sink_(sink),
      rng_(Rng::derive(cfg.seed, Stream::actor)),
      nstep_(cfg.n_step, cfg.gamma) {}

double Actor::epsilon(std::int64_t t) const {
  return linear_schedule(cfg_.epsilon_start, cfg_.epsilon_final, cfg_.epsilon_decay_steps, t);
}

void Actor::step() {
  const auto t = steps_.load(std::memory_order_relaxed);
  if (!episode_running_) {
    const auto o = env_->reset(derive_seed(cfg_.seed, Stream::episode, static_cast<std::uint64_t>(episode_)));
    obs_.assign(o.begin(), o.end());
    episode_running_ = true;
    episode_return_ = 0.0;
    episode_length_ = 0;
    nstep_.clear();
  }
  int action;
  if (rng_.uniform() < epsilon(t)) {
    action = static_cast<int>(rng_.below(static_cast<std::uint64_t>(env_->action_count())));
  } else {
    scale_.apply(obs_, x_);
    action = net_.act(x_, rng_);
  }
  const auto r = env_->step(action);
  check_step(cfg_.env, r, episode_length_ + 1, episode_);
  episode_return_ += r.reward;
  ++episode_length_;
  nstep_.add(obs_, action, r.reward, r.observation, r.terminated, r.truncated, emitted_);
  for (const auto& tr : emitted_)
    sink_.send(tr);
  obs_.assign(r.observation.begin(), r.observation.end());
  if (r.terminated || r.truncated) {
    episode_running_ = false;
    {
      std::lock_guard lock(finished_mutex_);
      finished_.push_back({episode_, episode_return_, episode_length_, t + 1});
    }
    ++episode_;
  }
  steps_.store(t + 1, std::memory_order_release);
}

std::vector<EpisodeRecord> Actor::take_finished() {
  std::vector<EpisodeRecord> out;
  std::lock_guard lock(finished_mutex_);
  out.swap(finished_);
  return out;
}

template <typename Archive>
void Actor::serialize(Archive& a) {
  a(steps_);
  a(episode_);
  a(episode_running_);
  a(episode_return_);
  a(episode_length_);
  a(obs_);
  // An environment that cannot expose its state (a Python one) is saved with elapsed_steps -1; a resumed run
  // then starts a new episode where the interrupted one was, and drops that episode's pending n-step returns.
  envs::EnvState es{{}, -1};
  if constexpr (!Archive::loading) {
    if (env_->supports_state()) es = env_->get_state();
  }
  a(es.values);
  a(es.elapsed_steps);
  const bool restart = Archive::loading && episode_running_ && (es.elapsed_steps < 0 || !env_->supports_state());
  if constexpr (Archive::loading) {
    if (episode_running_ && !restart) env_->set_state(es.values, es.elapsed_steps);
  }
  std::deque<NStepAggregator::Pending> pending = nstep_.pending();
  auto count = static_cast<std::uint64_t>(pending.size());
  a(count);
  a.check(count <= 1000, "n-step buffer of ", count, " entries");
  pending.resize(count);
  for (auto& p : pending) {
    a(p.start);
    a(p.reward);
  }
  if constexpr (Archive::loading) {
    if (restart) {
      episode_running_ = false;
      ++episode_;
    } else {
      nstep_.restore(std::move(pending));
    }
  }
  a(rng_);
}

template void Actor::serialize(SaveArchive&);
template void Actor::serialize(LoadArchive&);

}  // namespace pib::agent
