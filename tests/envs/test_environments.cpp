// The environment contract, checked on every registered environment (registered_ids(), so a user's
// environment registered at start-up is checked by the same tests): spaces hold every observation, same
// seed same episode, the time limit is truncation, typed errors on bad input, state exposure. Then the
// built-ins' own facts: registry entries, reset bounds, Sutton & Barto's reward, dynamics details.

#include <catch2/catch.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "common/random.hpp"
#include "envs/acrobot.hpp"
#include "envs/cartpole.hpp"
#include "envs/mountain_car.hpp"
#include "envs/native.hpp"
#include "envs/registry.hpp"

using namespace pib::envs;

namespace {

const std::vector<std::string> kBuiltins = {"Acrobot-v1", "CartPole-v1", "MountainCar-v0"};

// A user's environment, registered at start-up the way envs/registry.hpp tells users to: a point walking
// on a line, pushed left or right with a little noise, ending when it leaves [-1, 1] or after 20 steps.
class ToyWalk {
 public:
  struct Params {
    int max_episode_steps = 20;
    void validate() const {}
  };
  static constexpr std::size_t kStateDim = 1;
  static constexpr std::size_t kObservationDim = 1;
  static constexpr int kActionCount = 2;
  using State = std::array<double, kStateDim>;

  explicit ToyWalk(const Params& params) : params_(params) {}
  const Params& params() const { return params_; }
  Box observation_space() const { return {{-1.2f}, {1.2f}, {kObservationDim}}; }
  std::optional<double> reward_threshold() const { return std::nullopt; }
  State initial_state(pib::Rng& rng) const { return {rng.uniform(-0.5, 0.5)}; }
  Transition<ToyWalk> transition(const State& s, int action, pib::Rng& rng) const {
    const double x = s[0] + (action == 1 ? 0.15 : -0.15) + rng.uniform(-0.01, 0.01);
    return {{x}, 1.0, std::abs(x) >= 1.0};
  }
  void observe(const State& s, std::span<float, kObservationDim> out) const {
    out[0] = static_cast<float>(s[0]);
  }

 private:
  Params params_;
};

[[maybe_unused]] const bool kToyWalkRegistered = [] {
  register_environment("ToyWalk-v0",
                       [] { return std::make_unique<NativeEnvironment<ToyWalk>>("ToyWalk-v0"); });
  return true;
}();

// Every id the conformance tests below check: the whole registry at the time they run.
std::vector<std::string> checked_ids() {
  return registered_ids();
}

// Runs random-policy episodes; calls `visit(result)` on every step.
template <typename Visit>
void random_episodes(Environment& env, int episodes, std::uint64_t seed, Visit visit) {
  pib::Rng policy(pib::derive_seed(seed, pib::Stream::actor, 0));
  for (int e = 0; e < episodes; ++e) {
    env.reset(pib::derive_seed(seed, pib::Stream::episode, static_cast<std::uint64_t>(e)));
    while (true) {
      const StepResult r = env.step(static_cast<int>(policy.below(env.action_count())));
      visit(r);
      if (r.terminated || r.truncated) break;
    }
  }
}

}  // namespace

TEST_CASE("the registry knows the built-ins and their Gymnasium registry facts", "[envs][registry]") {
  const auto ids = registered_ids();
  for (const auto& id : kBuiltins)
    CHECK(std::find(ids.begin(), ids.end(), id) != ids.end());

  const auto cartpole = make("CartPole-v1");
  CHECK(cartpole->id() == "CartPole-v1");
  CHECK(cartpole->observation_dim() == 4);
  CHECK(cartpole->action_count() == 2);
  CHECK(cartpole->max_episode_steps() == 500);
  CHECK(cartpole->reward_threshold() == 475.0);
  const auto acrobot = make("Acrobot-v1");
  CHECK(acrobot->observation_dim() == 6);
  CHECK(acrobot->action_count() == 3);
  CHECK(acrobot->max_episode_steps() == 500);
  CHECK(acrobot->reward_threshold() == -100.0);
  const auto car = make("MountainCar-v0");
  CHECK(car->observation_dim() == 2);
  CHECK(car->action_count() == 3);
  CHECK(car->max_episode_steps() == 200);
  CHECK(car->reward_threshold() == -110.0);
  CHECK(car->observation_space().low[0] == -1.2f);
  CHECK(car->observation_space().high[1] == 0.07f);
}

TEST_CASE("an unknown id is a typed error that lists the known ids", "[envs][registry][errors]") {
  try {
    make("CartPole-v0");
    FAIL("no error thrown");
  } catch (const UnknownEnvironmentError& e) {
    const std::string message = e.what();
    CHECK(message.find("CartPole-v0") != std::string::npos);
    for (const auto& id : kBuiltins)
      CHECK(message.find(id) != std::string::npos);
  }
  CHECK_THROWS_AS(make(""), pib::InvalidArgument);
}

TEST_CASE("a user environment joins with one registration call", "[envs][registry]") {
  CartPole::Params short_episodes;
  short_episodes.max_episode_steps = 7;
  register_environment("ShortCartPole-v0", [short_episodes] {
    return std::make_unique<NativeEnvironment<CartPole>>("ShortCartPole-v0", short_episodes);
  });
  const auto ids = registered_ids();
  CHECK(std::find(ids.begin(), ids.end(), "ShortCartPole-v0") != ids.end());
  const auto env = make("ShortCartPole-v0");
  CHECK(env->id() == "ShortCartPole-v0");
  CHECK(env->max_episode_steps() == 7);
  CHECK_THROWS_AS(register_environment("ShortCartPole-v0", [] { return make("CartPole-v1"); }),
                  pib::InvalidArgument);
  CHECK_THROWS_AS(register_environment("", [] { return make("CartPole-v1"); }), pib::InvalidArgument);
  CHECK_THROWS_AS(register_environment("Empty-v0", nullptr), pib::InvalidArgument);
}

TEST_CASE("a family of ids: one prefix, one factory that reads the rest of the id", "[envs][registry]") {
  register_family("shortpole:", "shortpole:STEPS", [](const std::string& id) -> std::unique_ptr<Environment> {
    CartPole::Params p;
    p.max_episode_steps = std::stoi(id.substr(10));
    return std::make_unique<NativeEnvironment<CartPole>>(id, p);
  });
  const auto env = make("shortpole:9");
  CHECK(env->id() == "shortpole:9");
  CHECK(env->max_episode_steps() == 9);
  CHECK(make("CartPole-v1")->max_episode_steps() == 500);  // exact ids are not a family's
  CHECK_THROWS_WITH(make("nopole:3"), Catch::Contains("unknown environment id 'nopole:3'") &&
                                          Catch::Contains("shortpole:STEPS"));
  const auto ids = registered_ids();
  CHECK(std::find(ids.begin(), ids.end(), "shortpole:9") == ids.end());
  CHECK_THROWS_AS(register_family("shortpole:", "again", [](const std::string&) { return make("CartPole-v1"); }),
                  pib::InvalidArgument);
  CHECK_THROWS_AS(register_family("", "none", [](const std::string&) { return make("CartPole-v1"); }),
                  pib::InvalidArgument);
}

TEST_CASE("the conformance tests check every registered environment, a user's included", "[envs][registry]") {
  const auto ids = checked_ids();
  CHECK(std::find(ids.begin(), ids.end(), "ToyWalk-v0") != ids.end());
  for (const auto& id : kBuiltins)
    CHECK(std::find(ids.begin(), ids.end(), id) != ids.end());
  CHECK(make("ToyWalk-v0")->observation_dim() == 1);
}

TEST_CASE("every observation lies inside the declared observation space", "[envs][spaces]") {
  for (const auto& id : checked_ids()) {
    INFO(id);
    const auto env = make(id);
    const Box& box = env->observation_space();
    REQUIRE(box.low.size() == env->observation_dim());
    REQUIRE(box.high.size() == env->observation_dim());
    REQUIRE(box.shape == std::vector<std::size_t>{env->observation_dim()});
    std::size_t outside = 0, steps = 0;
    for (int e = 0; e < 20; ++e) {
      if (!box.contains(env->reset(static_cast<std::uint64_t>(e)))) ++outside;
      random_episodes(*env, 1, static_cast<std::uint64_t>(e), [&](const StepResult& r) {
        outside += !box.contains(r.observation);
        ++steps;
      });
    }
    INFO(steps << " steps");
    CHECK(steps >= 20);
    CHECK(outside == 0);
  }
}

TEST_CASE("Box::contains rejects wrong sizes, out-of-range values and NaN", "[envs][spaces]") {
  const Box box{{-1.f, -2.f}, {1.f, 2.f}, {2}};
  const std::vector<float> inside{0.5f, -2.f}, outside{0.5f, 2.5f}, short_{0.f};
  const std::vector<float> nan{std::numeric_limits<float>::quiet_NaN(), 0.f};
  CHECK(box.contains(inside));
  CHECK_FALSE(box.contains(outside));
  CHECK_FALSE(box.contains(short_));
  CHECK_FALSE(box.contains(nan));
}

TEST_CASE("the same seed gives the same episode, also after the RNG was used", "[envs][determinism]") {
  for (const auto& id : checked_ids()) {
    INFO(id);
    const auto a = make(id);
    const auto b = make(id);
    const auto record = [](Environment& env, std::vector<double>& rewards, std::vector<float>& obs) {
      random_episodes(env, 3, 42, [&](const StepResult& r) {
        rewards.push_back(r.reward);
        obs.insert(obs.end(), r.observation.begin(), r.observation.end());
      });
    };
    std::vector<double> ra, rb, rc;
    std::vector<float> oa, ob, oc;
    record(*a, ra, oa);
    record(*b, rb, ob);
    CHECK(ra == rb);
    CHECK(oa == ob);
    // reset(seed) reseeds: the used environment repeats the same episodes.
    record(*a, rc, oc);
    CHECK(rc == ra);
    CHECK(oc == oa);
  }
}

TEST_CASE("the built-ins draw their initial state from the seed", "[envs][determinism]") {
  for (const auto& id : kBuiltins) {
    INFO(id);
    const auto first = make(id);
    const auto second = make(id);
    const auto o1 = first->reset(1);
    const auto o2 = second->reset(2);
    CHECK_FALSE(std::equal(o1.begin(), o1.end(), o2.begin()));
  }
}

TEST_CASE("reset draws the initial state within the reset bounds", "[envs][reset]") {
  SECTION("CartPole: every value uniform in [-0.05, 0.05)") {
    const auto env = make("CartPole-v1");
    double lo = 1, hi = -1;
    for (std::uint64_t seed = 0; seed < 500; ++seed) {
      env->reset(seed);
      for (double v : env->get_state().values) {
        CHECK(v >= -0.05);
        CHECK(v < 0.05);
        lo = std::min(lo, v);
        hi = std::max(hi, v);
      }
      CHECK(env->elapsed_steps() == 0);
    }
    CHECK(lo < -0.045);  // the whole range is used
    CHECK(hi > 0.045);
  }
  SECTION("CartPole: custom reset bounds") {
    CartPole::Params p;
    p.reset_low = 0.1;
    p.reset_high = 0.2;
    Native<CartPole> env(p);
    for (std::uint64_t seed = 0; seed < 50; ++seed) {
      env.reset(seed);
      for (double v : env.state()) {
        CHECK(v >= 0.1);
        CHECK(v < 0.2);
      }
    }
    p.reset_low = 0.3;
    CHECK_THROWS_AS(Native<CartPole>(p), pib::InvalidArgument);
  }
  SECTION("Acrobot: [-0.1, 0.1], stored as float32 values") {
    const auto env = make("Acrobot-v1");
    for (std::uint64_t seed = 0; seed < 200; ++seed) {
      env->reset(seed);
      for (double v : env->get_state().values) {
        CHECK(std::abs(v) <= 0.1);
        CHECK(static_cast<double>(static_cast<float>(v)) == v);
      }
    }
  }
  SECTION("MountainCar: position in [-0.6, -0.4), velocity 0") {
    const auto env = make("MountainCar-v0");
    for (std::uint64_t seed = 0; seed < 200; ++seed) {
      env->reset(seed);
      const auto s = env->get_state().values;
      CHECK(s[0] >= -0.6);
      CHECK(s[0] < -0.4);
      CHECK(s[1] == 0.0);
    }
  }
}

TEST_CASE("every environment truncates exactly at its time limit, and only there", "[envs][time-limit]") {
  for (const auto& id : checked_ids()) {
    INFO(id);
    const auto env = make(id);
    const int limit = env->max_episode_steps();
    REQUIRE(limit >= 1);
    random_episodes(*env, 10, 5, [&](const StepResult& r) {
      CHECK(env->elapsed_steps() <= limit);
      CHECK(r.truncated == (env->elapsed_steps() == limit));
    });
    if (!env->supports_state()) continue;
    // One step before the limit (restored through the state interface), the next step truncates.
    env->reset(7);
    env->set_state(env->get_state().values, limit - 1);
    const StepResult r = env->step(0);
    CHECK(r.truncated);
    CHECK(env->elapsed_steps() == limit);
    CHECK_THROWS_AS(env->step(0), EpisodeEndedError);
    env->reset();
    CHECK(env->elapsed_steps() == 0);
    CHECK_NOTHROW(env->step(0));
  }
}

TEST_CASE("the time limit is truncation, not termination", "[envs][time-limit]") {
  SECTION("CartPole held upright by a balancing policy reaches 500 steps") {
    Native<CartPole> env;
    env.reset(3);
    Native<CartPole>::Step s{};
    int steps = 0;
    do {
      const auto& st = env.state();
      s = env.step(st[2] + 0.5 * st[3] > 0 ? 1 : 0);  // push towards the falling side
      ++steps;
    } while (!s.terminated && !s.truncated);
    CHECK(steps == 500);
    CHECK(s.truncated);
    CHECK_FALSE(s.terminated);
    CHECK(s.reward == 1.0);
  }
  SECTION("MountainCar with no action truncates at 200") {
    const auto env = make("MountainCar-v0");
    env->reset(0);
    StepResult r;
    for (int t = 1; t <= 200; ++t) {
      r = env->step(1);
      CHECK(r.truncated == (t == 200));
      CHECK_FALSE(r.terminated);
      CHECK(env->elapsed_steps() == t);
    }
    CHECK_THROWS_AS(env->step(1), EpisodeEndedError);
  }
  SECTION("restored step count: the next step hits the limit") {
    const auto env = make("Acrobot-v1");
    env->set_state(std::vector<double>{0, 0, 0, 0}, 499);
    const StepResult r = env->step(1);
    CHECK(r.truncated);
    CHECK_FALSE(r.terminated);
    CHECK(r.reward == -1.0);
  }
}

TEST_CASE("bad input is a typed error, never undefined behaviour", "[envs][errors]") {
  for (const auto& id : checked_ids()) {
    INFO(id);
    const auto env = make(id);
    CHECK_THROWS_AS(env->step(0), StepBeforeResetError);
    CHECK_THROWS_AS(env->step(0), pib::StateError);
    env->reset(0);
    CHECK_THROWS_AS(env->step(-1), InvalidActionError);
    CHECK_THROWS_AS(env->step(env->action_count()), InvalidActionError);
    CHECK_THROWS_AS(env->step(-1), pib::InvalidArgument);
    CHECK(env->elapsed_steps() == 0);  // a rejected action changes nothing
    env->step(0);
    CHECK(env->elapsed_steps() == 1);

    if (!env->supports_state()) {
      CHECK_THROWS_AS(env->get_state(), pib::StateError);
      continue;
    }
    const auto before = env->get_state();
    const std::size_t n = env->state_dim();
    CHECK_THROWS_AS(env->set_state(std::vector<double>(n + 1, 0.0), 0), InvalidStateError);
    std::vector<double> bad(n, 0.0);
    bad[0] = std::numeric_limits<double>::quiet_NaN();
    CHECK_THROWS_AS(env->set_state(bad, 0), InvalidStateError);
    bad[0] = std::numeric_limits<double>::infinity();
    CHECK_THROWS_AS(env->set_state(bad, 0), InvalidStateError);
    bad[0] = -std::numeric_limits<double>::infinity();
    CHECK_THROWS_AS(env->set_state(bad, 0), InvalidStateError);
    CHECK_THROWS_AS(env->set_state(std::vector<double>(n, 0.0), -1), InvalidStateError);
    CHECK_THROWS_AS(env->set_state(std::vector<double>(n, 0.0), env->max_episode_steps()), InvalidStateError);
    CHECK(env->get_state().values == before.values);  // rejected states change nothing
    CHECK(env->get_state().elapsed_steps == before.elapsed_steps);
  }
}

TEST_CASE("step after termination is an error until reset", "[envs][errors]") {
  const auto env = make("CartPole-v1");
  env->set_state(std::vector<double>{2.39, 1.0, 0.0, 0.0}, 10);  // about to leave the track
  const StepResult r = env->step(1);
  CHECK(r.terminated);
  CHECK_FALSE(r.truncated);
  CHECK(r.reward == 1.0);  // +1 includes the terminating step
  CHECK_THROWS_AS(env->step(0), EpisodeEndedError);
  env->reset();
  CHECK_NOTHROW(env->step(0));
}

TEST_CASE("a clone continues identically, state get/set round-trips", "[envs][state]") {
  for (const auto& id : checked_ids()) {
    INFO(id);
    const auto env = make(id);
    env->reset(11);
    for (int i = 0; i < 3; ++i)
      env->step(i % env->action_count());
    // A clone copies the RNG too, so even stochastic dynamics continue identically.
    const auto cloned = env->clone();
    const auto ca = env->step(0);
    const std::vector<float> obs_a(ca.observation.begin(), ca.observation.end());
    const auto cb = cloned->step(0);
    CHECK(std::vector<float>(cb.observation.begin(), cb.observation.end()) == obs_a);
    CHECK(ca.reward == cb.reward);
    CHECK(env->elapsed_steps() == cloned->elapsed_steps());
    if (!env->supports_state()) continue;
    CHECK(env->get_state().values == cloned->get_state().values);
    // The state holds the state vector and the step count (not the RNG).
    const EnvState saved = env->get_state();
    CHECK(saved.elapsed_steps == 4);
    CHECK(saved.values.size() == env->state_dim());
    const auto copy = make(id);
    copy->set_state(saved);
    CHECK(copy->elapsed_steps() == 4);
    CHECK(copy->get_state().values == saved.values);
    CHECK_NOTHROW(copy->step(1));
  }
}

TEST_CASE("the built-ins' dynamics are deterministic: a restored state continues identically",
          "[envs][state]") {
  for (const auto& id : kBuiltins) {
    INFO(id);
    const auto env = make(id);
    env->reset(11);
    for (int i = 0; i < 5; ++i)
      env->step(i % env->action_count());
    const auto copy = make(id);
    copy->set_state(env->get_state());
    const auto a = env->step(1);
    const std::vector<float> obs_a(a.observation.begin(), a.observation.end());
    const auto b = copy->step(1);
    CHECK(std::vector<float>(b.observation.begin(), b.observation.end()) == obs_a);
    CHECK(env->get_state().values == copy->get_state().values);
  }
}

TEST_CASE("CartPole's sutton_barto_reward: 0 per step, -1 on termination", "[envs][cartpole]") {
  CartPole::Params p;
  p.sutton_barto_reward = true;
  NativeEnvironment<CartPole> env("CartPole-v1", p);
  CHECK(env.reward_threshold() == 0.0);
  env.reset(0);
  StepResult r;
  int steps = 0;
  do {
    r = env.step(1);  // always right: falls within a few dozen steps
    ++steps;
    if (!r.terminated) CHECK(r.reward == 0.0);
  } while (!r.terminated && !r.truncated);
  CHECK(r.terminated);
  CHECK(r.reward == -1.0);
  CHECK(steps < 100);
}

TEST_CASE("CartPole terminates strictly beyond the thresholds", "[envs][cartpole]") {
  Native<CartPole> env;
  const double theta_max = 12 * 2 * M_PI / 360;
  // x_dot and theta_dot are zero, so x and theta stay where they are for one Euler step.
  env.set_state({2.4, 0.0, 0.0, 0.0}, 0);
  CHECK_FALSE(env.step(0).terminated);
  env.set_state({0.0, 0.0, theta_max, 0.0}, 0);
  CHECK_FALSE(env.step(1).terminated);
  env.set_state({std::nextafter(2.4, 3.0), 0.0, 0.0, 0.0}, 0);
  CHECK(env.step(0).terminated);
}

TEST_CASE("Acrobot helpers wrap and bound as Gymnasium's", "[envs][acrobot]") {
  CHECK(Acrobot::wrap(4.0, -M_PI, M_PI) == Approx(4.0 - 2 * M_PI));
  CHECK(Acrobot::wrap(-7.0, -M_PI, M_PI) == Approx(-7.0 + 2 * M_PI));
  CHECK(Acrobot::wrap(M_PI, -M_PI, M_PI) == M_PI);
  CHECK(Acrobot::wrap(-10.0, -M_PI, M_PI) == Approx(-10.0 + 4 * M_PI));
  CHECK(Acrobot::bound(20.0, -4 * M_PI, 4 * M_PI) == 4 * M_PI);
  CHECK(Acrobot::bound(-20.0, -4 * M_PI, 4 * M_PI) == -4 * M_PI);
  CHECK(Acrobot::bound(1.0, -4 * M_PI, 4 * M_PI) == 1.0);
  // The nips dynamics differ from the default book dynamics once the links move.
  Acrobot::Params nips;
  nips.dynamics = Acrobot::Dynamics::kNips;
  Native<Acrobot> book_env, nips_env(nips);
  book_env.set_state({0.3, 0.2, 1.0, -1.0}, 0);
  nips_env.set_state({0.3, 0.2, 1.0, -1.0}, 0);
  book_env.step(2);
  nips_env.step(2);
  CHECK(book_env.state() != nips_env.state());
}

TEST_CASE("MountainCar clips at the left wall and zeroes the velocity", "[envs][mountain-car]") {
  Native<MountainCar> env;
  env.set_state({-1.19, -0.05}, 0);
  env.step(0);
  CHECK(env.state()[0] == -1.2);
  CHECK(env.state()[1] == 0.0);
  env.set_state({0.49, 0.07}, 0);
  const auto s = env.step(2);
  CHECK(s.terminated);
  CHECK(s.reward == -1.0);
}
