#include "agent/learner.hpp"

#include <atomic>
#include <chrono>
#include <exception>
#include <sstream>
#include <thread>

#include "agent/checkpoint_io.hpp"

namespace pib::agent {
namespace {

bottleneck::RlTarget rl_target(const std::string& y) {
  if (y == "action") return bottleneck::RlTarget::action;
  if (y == "action_target") return bottleneck::RlTarget::action_target;
  return bottleneck::RlTarget::td_target;
}

}  // namespace

void combine_unit_gradient(const Vector& td, const Vector& pib, double share, Eigen::Ref<Vector> out) {
  if (share < 0.0) {
    out = td + pib;
    return;
  }
  const double pib_norm = pib.norm();
  out = (1.0 - share) * td;
  if (pib_norm > 0.0) out += (share * td.norm() / pib_norm) * pib;
}

Learner::Learner(const RlConfig& cfg, QNetwork& net, const ObservationScale& scale, double sigma_x)
    : cfg_(cfg),
      net_(net),
      scale_(scale),
      sigma_x_(sigma_x),
      replay_(static_cast<std::size_t>(cfg.buffer_size), scale.size()),
      rng_sample_(Rng::derive(cfg.seed, Stream::replay)),
      rng_online_(Rng::derive(cfg.seed, Stream::measure, 0)),
      rng_next_(Rng::derive(cfg.seed, Stream::measure, 1)),
      rng_target_(Rng::derive(cfg.seed, Stream::measure, 2)) {
  for (std::size_t l = 0; l < net_.depth(); ++l)
    any_drift_ = any_drift_ || net_.online(l).drifts();
  for (std::size_t l = 0; l < net_.depth(); ++l) {
    auto u = std::make_unique<UnitLearner>();
    u->params = net_.online(l).parameters();
    u->target_params = u->params;
    u->on_device = u->params;
    u->adam.reset(u->params.size() + net_.head(l).parameter_count());
    u->deploy_rng = Rng::derive(cfg.seed, Stream::deploy, l);
    u->target_rng = Rng::derive(cfg.seed, Stream::target_deploy, l);
    u->requested = net_.online(l).version();
    units_.push_back(std::move(u));
  }
}

Learner::~Learner() {
  try {
    wait_deploys();
  } catch (...) {
    // A deploy that failed after the run ended has nobody left to tell; the devices go away with us.
  }
}

std::int64_t Learner::updates_due(std::int64_t steps) const {
  const auto start = std::max<std::int64_t>(cfg_.learning_starts, 0);
  if (steps < start + cfg_.update_every) return 0;
  return (steps - start) / cfg_.update_every;
}

double Learner::lr(std::int64_t steps) const {
  const auto& o = cfg_.optimizer;
  return o.lr_final > 0.0 ? linear_schedule(o.lr, o.lr_final, cfg_.lr_decay_steps, steps) : o.lr;
}

void Learner::update(std::int64_t steps) {
  const auto t0 = std::chrono::steady_clock::now();
  replay_.sample(static_cast<std::size_t>(cfg_.batch_size), rng_sample_, batch_);
  scale_.apply(batch_.obs, xs_);
  scale_.apply(batch_.next_obs, xn_);
  const auto L = net_.depth();

  // Measure the states (online) and the next states (target, and online for Double DQN), the three cascades
  // on two workers, each with its own stream (so the results do not depend on their order: sync stays
  // bit-reproducible), and the TD targets as soon as the next-state cascades are done. In async these
  // overlap with deploys still in flight from the previous update.
  measure_cascades();

  const double lr_now = lr(steps);
  {  // the units split between two threads: a unit's update reads only its own state and the shared targets,
     // and its deploy touches only its own device
    std::atomic<std::size_t> next{0};
    pair_.run([&] {
      for (std::size_t l; (l = next.fetch_add(1, std::memory_order_relaxed)) < L;) {
        update_unit(l, lr_now);
        deploy_unit(l);
      }
    });
  }
  net_.publish_policy();
  const auto done = updates_.load(std::memory_order_relaxed) + 1;
  updates_.store(done, std::memory_order_release);
  if (cfg_.target_update == "polyak" || done % cfg_.target_update_every == 0) update_targets();
  if (cfg_.recalibrate_every > 0 && steps >= (recalibrations_ + 1) * cfg_.recalibrate_every) {
    ++recalibrations_;
    Rng rng = Rng::derive(cfg_.seed, Stream::recalibration, 2 * static_cast<std::uint64_t>(recalibrations_));
    replay_.sample(std::min<std::size_t>(1024, replay_.size()), rng, batch_);
    scale_.apply(batch_.obs, recalibration_states_);
    recalibrate();
  }
  compute_s_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// Calibrates every device again on recalibration_states_ once its deploys have landed.
void Learner::recalibrate() {
  wait_deploys();
  Rng rng =
      Rng::derive(cfg_.seed, Stream::recalibration, 2 * static_cast<std::uint64_t>(recalibrations_) + 1);
  net_.recalibrate(recalibration_states_, rng);
}

// The TD targets from the last unit's heads on the next-state cascades, and the batch-constant part of every
// unit's PIB term (Gram matrices of X and Y), built once and shared.
void Learner::compute_targets() {
  const auto n = xs_.rows();
  const auto last = net_.depth() - 1;
  net_.target_head(last).forward(m_target_[last].output, q_target_);
  if (cfg_.double_dqn) net_.head(last).forward(m_next_[last].output, q_online_);
  y_.resize(n);
  actions_.resize(static_cast<std::size_t>(n));
  for (Eigen::Index i = 0; i < n; ++i) {
    double bootstrap;
    if (cfg_.double_dqn) {
      Eigen::Index a_star;
      q_online_.row(i).maxCoeff(&a_star);
      bootstrap = q_target_(i, a_star);
    } else {
      bootstrap = q_target_.row(i).maxCoeff();
    }
    y_(i) = batch_.rewards(i) + batch_.discounts(i) * (1.0 - batch_.terminated(i)) * bootstrap;
    actions_[static_cast<std::size_t>(i)] = batch_.actions(i);
  }
  if (cfg_.pib.enabled)
    pib_targets_.emplace(bottleneck::BatchTargets::rl(xs_, sigma_x_, y_, cfg_.pib.sigma_y, cfg_.pib.alpha,
                                                      rl_target(cfg_.pib.y), actions_, net_.action_count()));
}

// The update's measurements: the three cascades (states online, next states online for Double DQN,
// next states target), each with its own stream and its units in order, as tasks taken in unit-major order
// (unit 0 of every cascade, then unit 1, ...) by two workers. Whole cascades on two cores leave one core idle
// for the third cascade; in unit-major order a free worker starts another cascade's cheap first unit
// instead. A task waits only for its own cascade's previous unit, which an earlier task holds.
void Learner::measure_cascades() {
  struct Cascade {
    bool online;
    const Matrix* x;
    std::vector<units::Measurement>* out;
    Rng* rng;
  };
  // A drifting device in sync sees its measurements in one fixed order: one worker takes every task, states
  // first. Otherwise the next-state cascades go first, so that the targets task (the last) can start while
  // the states' cascade finishes.
  const bool sequential = cfg_.schedule == Schedule::sync && any_drift_;
  const Cascade states{true, &xs_, &m_s_, &rng_online_};
  std::vector<Cascade> cascades;
  if (sequential) cascades.push_back(states);
  if (cfg_.double_dqn) cascades.push_back({true, &xn_, &m_next_, &rng_next_});
  cascades.push_back({false, &xn_, &m_target_, &rng_target_});
  if (!sequential) cascades.push_back(states);
  const std::size_t C = cascades.size(), L = net_.depth(), tasks = C * L;
  for (auto& c : cascades)
    c.out->resize(L);
  std::vector<std::atomic<bool>> done(tasks);
  std::atomic<bool> failed{false};  // a task threw: the other worker stops too
  std::atomic<std::size_t> next{0};
  auto wait_for = [&](std::size_t t) {
    while (!done[t].load(std::memory_order_acquire)) {
      if (failed.load(std::memory_order_acquire)) return false;
      std::this_thread::yield();
    }
    return true;
  };
  auto worker = [&] {
    for (std::size_t t; (t = next.fetch_add(1, std::memory_order_relaxed)) <= tasks;) {
      try {
        if (t == tasks) {  // the TD targets, once the next-state cascades' last units are measured
          for (std::size_t c = 0; c < C; ++c)
            if (cascades[c].x == &xn_ && !wait_for((L - 1) * C + c)) return;
          compute_targets();
          continue;
        }
        const std::size_t l = t / C;
        auto& c = cascades[t % C];
        if (l > 0 && !wait_for(t - C)) return;
        auto& unit = c.online ? net_.online(l) : net_.target(l);
        const Matrix& in = l == 0 ? *c.x : (*c.out)[l - 1].output;
        unit.measure(in, (*c.out)[l], *c.rng);
      } catch (...) {
        failed.store(true, std::memory_order_release);
        throw;
      }
      done[t].store(true, std::memory_order_release);
    }
  };
  if (sequential) {
    worker();
    return;
  }
  pair_.run(worker);
}

// One unit's local update: L_l = L_PIB,l + lambda L_TD,l on its own measured features.
void Learner::update_unit(std::size_t l, double lr_now) {
  auto& u = *units_[l];
  auto& head = net_.head(l);
  auto& unit = net_.online(l);
  const auto& m = m_s_[l];
  const auto n = m.output.rows();

  // TD part through the unit's own Q head.
  head.forward(m.output, u.q);
  u.dq.resize(n, net_.action_count());
  const double td = bottleneck::td_loss(u.q, actions_, y_, cfg_.td_loss, u.dq);
  u.dq *= cfg_.lambda_td;
  u.head_grad.resize(head.parameter_count());
  u.dz_td.resize(n, m.output.cols());
  head.backward(m.output, u.dq, u.head_grad, u.dz_td);
  u.grad_td.resize(unit.parameter_count());
  unit.gradient(m, u.dz_td, u.grad_td);

  // PIB part: X = the scaled states, Y = the TD targets (or the action, or both).
  if (cfg_.pib.enabled) {
    u.grad_pib.resize(unit.parameter_count());  // gradient() writes every value
    u.dz_pib.resize(n, m.output.cols());
    const auto terms = bottleneck::pib_loss(*pib_targets_, m.output, cfg_.pib, u.ws, u.dz_pib);
    unit.gradient(m, u.dz_pib, u.grad_pib);
    u.sums.pib_loss += terms.loss;
    u.sums.i_xz += terms.i_xz;
    u.sums.i_yz += terms.i_yz;
  } else {
    u.grad_pib.setZero(unit.parameter_count());
  }

  // Adam on [unit parameters, head parameters] with the global-norm clip.
  const auto P = unit.parameter_count();
  const auto H = head.parameter_count();
  u.all_grad.resize(P + H);
  combine_unit_gradient(u.grad_td, u.grad_pib, cfg_.pib.share, u.all_grad.head(P));
  u.all_grad.tail(H) = u.head_grad;
  cfg_.optimizer.clip(u.all_grad);
  u.all_params.resize(P + H);
  u.all_params.head(P) = u.params;
  u.all_params.tail(H) = head.parameters();
  u.adam.step(u.all_params, u.all_grad, lr_now, cfg_.optimizer);
  u.params = u.all_params.head(P);
  head.set_parameters(u.all_params.tail(H));

  u.sums.td_loss += td;
  u.sums.gn_td += u.grad_td.norm();
  u.sums.gn_pib += u.grad_pib.norm();
  u.sums.staleness += static_cast<double>(u.requested - u.version_offset - m.version);
  ++u.sums.count;
}

// Deploys a unit's intended parameters: in async mode on the unit's programming thread, overlapping the
// next update's sampling and target computation (a device programs one parameter set at a time, so the
// previous deploy is waited for first); in sync mode to completion.
void Learner::deploy_unit(std::size_t l) {
  auto& u = *units_[l];
  auto& unit = net_.online(l);
  u.programmer.wait();
  ++u.requested;
  if (cfg_.deploy_lag_updates > 0) {  // sync: the request of `lag` updates ago lands now
    u.lagged.push_back(u.params);
    if (u.lagged.size() <= static_cast<std::size_t>(cfg_.deploy_lag_updates)) return;
    u.on_device = std::move(u.lagged.front());
    u.lagged.pop_front();
    u.deploy_rng_before_last = u.deploy_rng.state();
    unit.deploy(u.on_device, u.deploy_rng);
    return;
  }
  u.deploy_rng_before_last = u.deploy_rng.state();
  if (cfg_.schedule == Schedule::sync) {
    unit.deploy(u.params, u.deploy_rng);
    return;
  }
  u.deploying = u.params;  // the previous deploy has finished reading it
  u.programmer.start([&unit, &u] { unit.deploy(u.deploying, u.deploy_rng); });
}

void Learner::wait_deploys() {
  for (auto& u : units_)
    u->programmer.wait();
}

// Hard copy (or Polyak average) of the intended parameters into the target devices and heads.
void Learner::update_targets() {
  for (std::size_t l = 0; l < net_.depth(); ++l) {
    auto& u = *units_[l];
    if (cfg_.target_update == "polyak") {
      u.target_params = cfg_.polyak_tau * u.params + (1.0 - cfg_.polyak_tau) * u.target_params;
      net_.target_head(l).set_parameters(cfg_.polyak_tau * net_.head(l).parameters() +
                                         (1.0 - cfg_.polyak_tau) * net_.target_head(l).parameters());
    } else {
      u.target_params = u.params;
      net_.target_head(l).set_parameters(net_.head(l).parameters());
    }
    u.target_rng_before_last = u.target_rng.state();
    net_.target(l).deploy(u.target_params, u.target_rng);
  }
}

std::vector<FaultEvent> Learner::inject_due_faults(std::int64_t steps) {
  std::vector<FaultEvent> injected;
  while (faults_applied_ < cfg_.faults.size() && cfg_.faults[faults_applied_].at_step <= steps) {
    inject_fault(faults_applied_);
    injected.push_back(cfg_.faults[faults_applied_]);
    ++faults_applied_;
  }
  return injected;
}

// Injects fault k into its unit's online and target devices (one chip: the same fault draws for both).
void Learner::inject_fault(std::size_t k) {
  const auto& f = cfg_.faults[k];
  const auto l = static_cast<std::size_t>(f.unit);
  Rng a = Rng::derive(cfg_.seed, Stream::fault, k);
  Rng b = a;
  net_.online(l).inject_faults(f.inject, a);
  net_.target(l).inject_faults(f.inject, b);
}

UnitMetrics Learner::take_metrics(std::size_t l) {
  return units_[l]->sums.take(net_.online(l).ledger());
}

template <typename Archive>
void Learner::serialize(Archive& a) {
  a(updates_);
  a(sigma_x_);
  a(rng_sample_);
  a(rng_online_);
  a(rng_next_);
  a(rng_target_);
  auto faults = static_cast<std::uint64_t>(faults_applied_);
  a(faults);
  a.check(faults <= cfg_.faults.size(), faults, " faults applied, but the stored config lists ",
          cfg_.faults.size());
  if constexpr (Archive::loading) {
    for (faults_applied_ = 0; faults_applied_ < faults; ++faults_applied_)
      inject_fault(faults_applied_);
  }
  for (std::size_t l = 0; l < net_.depth(); ++l) {
    auto& u = *units_[l];
    auto& unit = net_.online(l);
    const auto P = unit.parameter_count();
    const auto H = net_.head(l).parameter_count();
    a(u.params, P);
    a(u.adam.m, P + H);
    a(u.adam.v, P + H);
    a(u.adam.t);
    Vector head = net_.head(l).parameters(), target_head = net_.target_head(l).parameters();
    a(head, H);
    a(target_head, H);
    a(u.target_params, P);
    a(u.requested);
    a(u.deploy_rng_before_last);
    a(u.deploy_rng);
    a(u.target_rng_before_last);
    a(u.target_rng);
    if (cfg_.deploy_lag_updates > 0) {
      a(u.on_device, P);
      auto count = static_cast<std::uint64_t>(u.lagged.size());
      a(count);
      a.check(count <= static_cast<std::uint64_t>(cfg_.deploy_lag_updates), count, " lagged deploys, at most ",
              cfg_.deploy_lag_updates, " expected");
      u.lagged.resize(count);
      for (auto& v : u.lagged)
        a(v, P);
    }
    if constexpr (Archive::loading) {
      net_.head(l).set_parameters(head);
      net_.target_head(l).set_parameters(target_head);
      // Re-program the devices exactly as they were: the same parameters with the same programming noise.
      Rng again;
      again.set_state(u.deploy_rng_before_last);
      unit.deploy(cfg_.deploy_lag_updates > 0 ? u.on_device : u.params, again);
      again.set_state(u.target_rng_before_last);
      net_.target(l).deploy(u.target_params, again);
      u.version_offset = u.requested - unit.version();
    }
  }
  if (cfg_.recalibrate_every > 0) {
    a(recalibrations_);
    auto rows = static_cast<std::uint64_t>(recalibration_states_.rows());
    a(rows);
    a.check(rows <= 1024, rows, " recalibration states, at most 1024 expected");
    const auto n = static_cast<Eigen::Index>(rows), d = static_cast<Eigen::Index>(scale_.size());
    Vector flat = recalibration_states_.reshaped();
    a(flat, n * d);
    if constexpr (Archive::loading) {
      recalibration_states_ = flat.reshaped(n, d);
      if (recalibrations_ > 0) recalibrate();  // on the devices as just re-programmed
    }
  }
  std::string replay_bytes;
  if constexpr (!Archive::loading) {
    std::ostringstream out(std::ios::binary);
    replay_.save(out, "checkpoint replay");
    replay_bytes = out.str();
  }
  a(replay_bytes);
  if constexpr (Archive::loading) {
    std::istringstream in(replay_bytes, std::ios::binary);
    replay_ = replay::UniformReplay::load(in, a.source() + " (replay)");
    net_.publish_policy();
  }
}

template void Learner::serialize(SaveArchive&);
template void Learner::serialize(LoadArchive&);

}  // namespace pib::agent
