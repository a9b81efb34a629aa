// Distributed RL in one process (agent/distributed.hpp): actors on threads feed the learner; config errors;
// a failing actor stops the run (or is dropped); a corrupt transition batch is an error naming its sender.
// tests/apps runs the same under mpirun.
#include <atomic>
#include <cmath>
#include <limits>
#include <string>

#include <catch2/catch.hpp>

#include "agent/config.hpp"
#include "agent/distributed.hpp"
#include "agent/trainer.hpp"
#include "common/transport.hpp"
#include "envs/registry.hpp"
#include "tests/agent/small_config.hpp"
#include "tests/temp_dir.hpp"

using pib::agent::RlConfig;
using pib::agent::Trainer;

namespace {

// Devices calibrate again every 1,000 steps, so the policy messages carry the passes' states to the actors.
RlConfig distributed_config(std::int64_t steps, int actors) {
  return pib::test::small_config(
      steps, {{"recalibrate_every", 1000},
              {"distributed",
               {{"actors", actors}, {"envs_per_actor", 2}, {"sync_every", 5}, {"batch_transitions", 16}}}});
}

// CartPole whose observation turns NaN at the `at`-th step of a copy.
class BreakingCartPole final : public pib::envs::Environment {
 public:
  explicit BreakingCartPole(int at) : inner_(pib::envs::make("CartPole-v1")), at_(at) {}
  std::string id() const override { return "BreakingCartPole-v0"; }
  const pib::envs::Box& observation_space() const override { return inner_->observation_space(); }
  const pib::envs::Discrete& action_space() const override { return inner_->action_space(); }
  int max_episode_steps() const override { return inner_->max_episode_steps(); }
  std::optional<double> reward_threshold() const override { return inner_->reward_threshold(); }
  std::span<const float> reset(std::uint64_t seed) override { return inner_->reset(seed); }
  std::span<const float> reset() override { return inner_->reset(); }
  pib::envs::StepResult step(int action) override {
    auto r = inner_->step(action);
    if (++steps_ == at_) {
      obs_.assign(r.observation.begin(), r.observation.end());
      obs_[0] = std::numeric_limits<float>::quiet_NaN();
      r.observation = obs_;
    }
    return r;
  }
  std::span<const float> observation() const override { return inner_->observation(); }
  int elapsed_steps() const override { return inner_->elapsed_steps(); }
  std::unique_ptr<Environment> clone() const override {
    return std::make_unique<BreakingCartPole>(at_);
  }

 private:
  std::unique_ptr<pib::envs::Environment> inner_;
  int at_;
  int steps_ = 0;
  std::vector<float> obs_;
};

}  // namespace

TEST_CASE("distributed config errors name the key", "[agent][distributed]") {
  auto with = [](const nlohmann::json& d) { return RlConfig::from_json({{"distributed", d}}); };
  CHECK_THROWS_WITH(with({{"sync_every", 0}}), Catch::Contains("distributed.sync_every"));
  CHECK_THROWS_WITH(with({{"actors", -1}}), Catch::Contains("distributed.actors"));
  CHECK_THROWS_WITH(with({{"on_actor_failure", "shrug"}}), Catch::Contains("distributed.on_actor_failure"));
  CHECK_THROWS_WITH(with({{"actor", 2}}), Catch::Contains("unknown key 'actor'"));
  const auto c = with({{"actors", 3}, {"envs_per_actor", 5}});
  CHECK(RlConfig::from_json(c.to_json()).to_json() == c.to_json());
}

TEST_CASE("distributed actors on threads feed the learner", "[agent][distributed][concurrency]") {
  const auto cfg = distributed_config(3000, 2);
  Trainer t(cfg);
  std::vector<pib::agent::IntervalMetrics> intervals;
  std::int64_t episodes = 0;
  pib::agent::Callbacks cb;
  cb.on_interval = [&](const pib::agent::IntervalMetrics& im) { intervals.push_back(im); };
  cb.on_episode = [&](const pib::agent::EpisodeRecord& e) {
    CHECK(e.episode == episodes++);
    CHECK(e.episode_return > 0);
  };
  const auto s = t.run(cb, {});
  CHECK(s.schedule == "distributed");
  CHECK(s.env_steps >= 3000);
  CHECK(s.episodes == episodes);
  CHECK(episodes > 10);
  // The learner kept the recipe's ratio: one update per update_every steps past learning_starts.
  CHECK(s.updates >= (3000 - 200) / 4 - 1);
  REQUIRE_FALSE(intervals.empty());
  const auto& last = intervals.back();
  REQUIRE(last.actors.size() == 2);
  std::int64_t steps = 0;
  for (const auto& a : last.actors) {
    CHECK(a.alive);
    CHECK(a.steps > 500);       // both actors stepped
    CHECK(a.staleness >= 0.0);  // versions never run ahead of the learner
    CHECK(a.staleness < 50.0);
    steps += a.steps;
  }
  CHECK(steps <= s.env_steps);  // the last interval was taken before the last batches arrived
  // The learner's greedy policy is its own network's.
  CHECK(t.evaluate(2, 1).size() == 2);
}

TEST_CASE("actors with many environments and small batches still reach every update", "[agent][distributed]") {
  auto cfg = distributed_config(2500, 2);
  cfg.distributed.envs_per_actor = 48;  // more than a batch and the budget's update slack together
  cfg.distributed.batch_transitions = 4;
  Trainer t(cfg);
  const auto s = t.run({}, {});
  CHECK(s.env_steps >= 2500);
  CHECK(s.updates >= (2500 - 200) / 4 - 1);
}

TEST_CASE("a failing actor stops the run, or is dropped", "[agent][distributed][concurrency]") {
  pib::envs::register_environment("BreakingCartPole-v0", [] { return std::make_unique<BreakingCartPole>(1200); });
  // Each copy breaks at its 1,200th step (after the 1,024 steps of calibration); 8,000 steps over 2 x 2
  // copies take each copy past it.
  auto cfg = distributed_config(8000, 2);
  cfg.env = "BreakingCartPole-v0";
  {
    Trainer t(cfg);
    CHECK_THROWS_WITH(t.run({}, {}), Catch::Contains("actor rank") && Catch::Contains("non-finite observation"));
  }
  cfg.distributed.on_actor_failure = "continue";
  {
    Trainer t(cfg);
    std::vector<int> dropped;
    pib::agent::Callbacks cb;
    cb.on_actor_failure = [&](int rank, const std::string&) { dropped.push_back(rank); };
    // Every actor's environment breaks: the first is dropped, the last ends the run.
    CHECK_THROWS_WITH(t.run(cb, {}), Catch::Contains("no actor is left"));
    CHECK(dropped.size() == 1);
  }
}

TEST_CASE("a corrupt transition batch is an error naming the actor", "[agent][distributed]") {
  const auto cfg = distributed_config(3000, 2);
  auto group = pib::LocalTransport::group(3);
  group[2].send(0, "PIBRLMSG and then nothing a learner can read");
  Trainer t(cfg);
  CHECK_THROWS_WITH(t.run({}, {}, &group[0]), Catch::Contains("message from rank 2"));
  auto wrong = pib::LocalTransport::group(2);
  CHECK_THROWS_WITH(Trainer(cfg).run({}, {}, &wrong[0]), Catch::Contains("this job has 2"));
}

TEST_CASE("a distributed run resumes from its checkpoint: the learner's state and every actor's count",
          "[agent][distributed][concurrency]") {
  pib::test::TempDir dir("dist_resume");
  auto cfg = distributed_config(3000, 2);
  cfg.checkpoint_every = 1000;
  std::vector<std::filesystem::path> files;
  {
    Trainer t(cfg);
    pib::agent::Callbacks cb;
    cb.on_checkpoint = [&](const std::filesystem::path& f) { files.push_back(f); };
    t.run(cb, dir.path());
  }
  REQUIRE(files.size() >= 3);  // at 1,000 and 2,000 steps (or just past), and at the end
  auto resumed = Trainer::resume(files[1]);
  const auto at = resumed->env_steps();
  CHECK(at >= 2000);
  CHECK(at < 3000);
  std::int64_t first_episode = -1;
  std::vector<pib::agent::IntervalMetrics> intervals;
  pib::agent::Callbacks cb;
  cb.on_episode = [&](const pib::agent::EpisodeRecord& e) {
    if (first_episode < 0) first_episode = e.episode;
  };
  cb.on_interval = [&](const pib::agent::IntervalMetrics& im) { intervals.push_back(im); };
  const auto s = resumed->run(cb, dir.path() / "again");
  CHECK(s.env_steps >= 3000);
  CHECK(s.episodes > first_episode);
  CHECK(first_episode > 0);  // episode numbers go on from the checkpoint's
  REQUIRE_FALSE(intervals.empty());
  for (const auto& a : intervals.front().actors)
    CHECK(a.steps >= at / 2 - 64);  // each actor went on from its count, not from 0
}
