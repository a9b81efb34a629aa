// The RL agent: n-step aggregation, config errors, sync-mode reproducibility, exact resume, corrupt
// checkpoints, a user's environment that returns NaN, the async schedule under real threads, and learning.
#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <numeric>
#include <sstream>

#include <tbb/global_control.h>
#include <catch2/catch.hpp>

#include "agent/config.hpp"
#include "agent/learner.hpp"
#include "agent/network.hpp"
#include "agent/nstep.hpp"
#include "agent/trainer.hpp"
#include "envs/registry.hpp"
#include "tests/agent/small_config.hpp"

namespace fs = std::filesystem;
using pib::agent::RlConfig;
using pib::agent::Trainer;
using pib::test::small_config;

namespace {

fs::path temp_dir(const std::string& name) {
  auto dir = fs::temp_directory_path() / ("pib_test_agent_" + name + "_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

std::string file_bytes(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// The episode returns of a fresh run of `cfg`.
std::vector<double> episode_returns(const RlConfig& cfg) {
  Trainer t(cfg);
  std::vector<double> returns;
  pib::agent::Callbacks cb;
  cb.on_episode = [&](const pib::agent::EpisodeRecord& e) { returns.push_back(e.episode_return); };
  t.run(cb, {});
  return returns;
}

}  // namespace

TEST_CASE("n-step aggregation: returns, discounts and episode ends", "[agent]") {
  pib::agent::NStepAggregator agg(3, 0.5);
  std::vector<pib::replay::Transition> out;
  const float o0[1] = {0}, o1[1] = {1}, o2[1] = {2}, o3[1] = {3}, o4[1] = {4};
  agg.add(o0, 0, 1.0, o1, false, false, out);
  CHECK(out.empty());
  agg.add(o1, 1, 2.0, o2, false, false, out);
  CHECK(out.empty());
  agg.add(o2, 0, 4.0, o3, false, false, out);
  REQUIRE(out.size() == 1);
  CHECK(out[0].obs[0] == 0.0f);
  CHECK(out[0].next_obs[0] == 3.0f);
  CHECK(out[0].reward == Approx(1.0 + 0.5 * 2.0 + 0.25 * 4.0));
  CHECK(out[0].discount == Approx(0.125));
  CHECK_FALSE(out[0].terminated);
  // The episode terminates on the next step: the two pending transitions flush with k = 3 and k = 2.
  agg.add(o3, 1, 8.0, o4, true, false, out);
  REQUIRE(out.size() == 3);
  CHECK(out[0].obs[0] == 1.0f);
  CHECK(out[0].reward == Approx(2.0 + 0.5 * 4.0 + 0.25 * 8.0));
  CHECK(out[1].obs[0] == 2.0f);
  CHECK(out[1].reward == Approx(4.0 + 0.5 * 8.0));
  CHECK(out[1].discount == Approx(0.25));
  CHECK(out[2].obs[0] == 3.0f);
  CHECK(out[2].reward == Approx(8.0));
  CHECK(out[2].discount == Approx(0.5));
  for (const auto& t : out) {
    CHECK(t.terminated);
    CHECK(t.next_obs[0] == 4.0f);
  }
  // Truncation bootstraps: the flag is truncated, not terminated.
  agg.add(o0, 0, 1.0, o1, false, true, out);
  REQUIRE(out.size() == 1);
  CHECK_FALSE(out[0].terminated);
  CHECK(out[0].truncated);
}

TEST_CASE("RL config errors name the key", "[agent]") {
  CHECK_THROWS_WITH(RlConfig::from_json({{"gama", 0.9}}), Catch::Contains("unknown key 'gama'"));
  CHECK_THROWS_WITH(RlConfig::from_json({{"gamma", 1.5}}), Catch::Contains("gamma"));
  CHECK_THROWS_WITH(RlConfig::from_json({{"pib", {{"alpha", -1}}}}), Catch::Contains("pib.alpha"));
  CHECK_THROWS_WITH(RlConfig::from_json({{"pib", {{"y", "reward"}}}}), Catch::Contains("pib.y"));
  CHECK_THROWS_WITH(RlConfig::from_json({{"pib", {{"z_kernel", "cosine"}}}}),
                    Catch::Contains("pib.z_kernel"));
  CHECK_THROWS_WITH(RlConfig::from_json({{"schedule", "eventually"}}), Catch::Contains("schedule"));
  CHECK_THROWS_AS(RlConfig::from_json({{"batch_size", "many"}}), pib::ConfigError);
  CHECK_THROWS_WITH(RlConfig::from_json({{"learning_starts", 10}}), Catch::Contains("learning_starts"));
  CHECK_THROWS_WITH(RlConfig::from_json({{"solve_check_every", 0}}), Catch::Contains("solve_check_every"));
  CHECK_THROWS_WITH(RlConfig::from_json({{"solve_check_episodes", -1}}), Catch::Contains("solve_check_episodes"));
  CHECK_THROWS_WITH(RlConfig::from_json({{"recalibrate_every", -1}}), Catch::Contains("recalibrate_every"));
  CHECK_THROWS_WITH(RlConfig::from_json({{"pib", {{"share", 1.5}}}}), Catch::Contains("pib.share"));
  CHECK_THROWS_WITH(RlConfig::from_json({{"pib", {{"features", 128}}}}), Catch::Contains("pib.features"));
  CHECK_THROWS_WITH(RlConfig::from_json({{"pib", {{"share", 0.2}, {"enabled", false}}}}),
                    Catch::Contains("pib.share"));
  const auto c = RlConfig::from_json({{"gamma", 0.9}, {"pib", {{"beta", 0.5}}}});
  const auto again = RlConfig::from_json(c.to_json());
  CHECK(again.to_json() == c.to_json());
  CHECK(again.gamma == 0.9);
  CHECK(again.pib.beta == 0.5);
  CHECK_THROWS_AS(Trainer(RlConfig::from_json({{"env", "NoSuchEnv-v0"}})), pib::InvalidArgument);
}

TEST_CASE("sync mode is bit-reproducible for a seed", "[agent]") {
  const auto dir = temp_dir("resume");
  auto cfg = small_config(1600);

  // Two uninterrupted runs with the same seed end in byte-identical checkpoints.
  Trainer a(cfg), b(cfg);
  std::vector<double> returns_a;
  pib::agent::Callbacks cb;
  cb.on_episode = [&](const pib::agent::EpisodeRecord& e) { returns_a.push_back(e.episode_return); };
  const auto sa = a.run(cb, {});
  b.run({}, {});
  CHECK(sa.env_steps == 1600);
  CHECK(sa.updates == (1600 - 200) / 4);
  CHECK(!returns_a.empty());
  a.save_checkpoint(dir / "a.pib");
  b.save_checkpoint(dir / "b.pib");
  CHECK(file_bytes(dir / "a.pib") == file_bytes(dir / "b.pib"));

  // Another seed gives another run.
  auto other = cfg;
  other.seed = 1;
  Trainer c(other);
  c.run({}, {});
  c.save_checkpoint(dir / "c.pib");
  CHECK(file_bytes(dir / "a.pib") != file_bytes(dir / "c.pib"));

  fs::remove_all(dir);
}

TEST_CASE("sync mode is bit-reproducible with optical units, drifting or not", "[agent]") {
  // The learner measures its three cascades on two workers; a drifting medium makes it measure them one at a
  // time (Unit::drifts), so both must repeat exactly.
  std::vector<std::vector<double>> by_drift;
  for (const double drift : {0.0, 0.05}) {
    CAPTURE(drift);
    nlohmann::json unit = {{"kind", "optical"}, {"encoding", "phase8"}, {"n_speckle", 48}, {"output_dim", 16},
                           {"activation", "tanh"}, {"drift_per_s", drift}};
    auto cfg = small_config(1400, {{"time_scale", 1e6}, {"units", nlohmann::json::array({unit, unit})}});
    const auto first = episode_returns(cfg);
    CHECK(first.size() > 10);
    CHECK(episode_returns(cfg) == first);
    by_drift.push_back(first);
  }
  CHECK(by_drift[0] != by_drift[1]);  // the medium did drift
}

TEST_CASE("resume continues exactly as an uninterrupted run", "[agent]") {
  const auto dir = temp_dir("resume_exact");
  auto cfg = small_config(1600);
  cfg.checkpoint_every = 800;
  Trainer whole(cfg);
  whole.run({}, dir / "whole");  // writes checkpoint_800.pib and checkpoint_1600.pib
  REQUIRE(fs::exists(dir / "whole" / "checkpoint_800.pib"));
  auto resumed = Trainer::resume(dir / "whole" / "checkpoint_800.pib");
  REQUIRE(resumed->env_steps() == 800);
  resumed->run({}, dir / "resumed");
  CHECK(file_bytes(dir / "whole" / "checkpoint_1600.pib") ==
        file_bytes(dir / "resumed" / "checkpoint_1600.pib"));
  fs::remove_all(dir);
}

TEST_CASE("recalibrate_every: the devices calibrate again mid-run, and a resume at a pass continues exactly",
          "[agent]") {
  // Optical units: a pass resets the cameras' gains (and the second unit's input statistics) from replay
  // states, so it changes what the devices measure; their deploys are exact, so a resume can be compared byte
  // for byte.
  const auto dir = temp_dir("recalibrate");
  nlohmann::json first = {{"kind", "optical"}, {"n_speckle", 32}, {"output_dim", 16}, {"activation", "tanh"}};
  nlohmann::json second = {{"kind", "optical"}, {"n_speckle", 32}, {"output_dim", 16}};
  auto cfg = small_config(1600, {{"time_scale", 1e9},
                                 {"checkpoint_every", 800},
                                 {"recalibrate_every", 400},
                                 {"units", nlohmann::json::array({first, second})}});
  Trainer whole(cfg);
  whole.run({}, dir / "whole");
  REQUIRE(fs::exists(dir / "whole" / "checkpoint_800.pib"));
  auto resumed = Trainer::resume(dir / "whole" / "checkpoint_800.pib");
  resumed->run({}, dir / "resumed");
  CHECK(file_bytes(dir / "whole" / "checkpoint_1600.pib") ==
        file_bytes(dir / "resumed" / "checkpoint_1600.pib"));

  // Without the passes the run differs (the checkpoints also differ in the passes' record, so compare what
  // the network did: its returns).
  cfg.checkpoint_every = 0;
  const auto with = episode_returns(cfg);
  CHECK(episode_returns(cfg) == with);
  cfg.recalibrate_every = 0;
  CHECK(episode_returns(cfg) != with);
  fs::remove_all(dir);
}

TEST_CASE("a recalibration pass moves a crossbar's ADC range to the inputs it is given, online and target",
          "[agent]") {
  // Calibrated on inputs a fifth of the size it then measures, the ADC clips: the outputs stay at the small
  // inputs' largest current. After recalibrate on the large inputs they scale with them (about 5 x).
  nlohmann::json unit = {
      {"kind", "memristor_dense"}, {"output_dim", 8}, {"activation", "none"}, {"dac_full_scale", 1.0}};
  pib::agent::QNetwork net(nlohmann::json::array({unit}), 4, 2, 1e9, 3);
  pib::Rng rng(7);
  pib::units::Matrix x(256, 4);
  for (Eigen::Index k = 0; k < x.size(); ++k)
    x.data()[k] = rng.uniform(-1.0, 1.0);
  const pib::units::Matrix small = 0.2 * x;
  std::vector<pib::units::Measurement> m;
  auto largest = [&](bool online, const pib::units::Matrix& in) {
    online ? net.measure_online(in, m, rng) : net.measure_target(in, m, rng);
    return m[0].output.cwiseAbs().maxCoeff();
  };
  net.calibrate(small, rng);
  for (const bool online : {true, false}) {
    CAPTURE(online);
    CHECK(largest(online, x) < 1.2 * largest(online, small));
  }
  net.recalibrate(x, rng);
  for (const bool online : {true, false}) {
    CAPTURE(online);
    CHECK(largest(online, x) > 3.0 * largest(online, small));
  }
}

TEST_CASE("pib.share: the PIB part's share of a unit's gradient norm", "[agent]") {
  using pib::agent::combine_unit_gradient;
  pib::Rng rng(4);
  pib::units::Vector td(20), pib_part(20), out(20);
  for (Eigen::Index k = 0; k < 20; ++k) {
    td[k] = rng.normal();
    pib_part[k] = 0.01 * rng.normal();  // far smaller, as in a run
  }
  combine_unit_gradient(td, pib_part, -1.0, out);
  CHECK(out == td + pib_part);  // negative: the plain sum
  combine_unit_gradient(td, pib_part, 0.0, out);
  CHECK(out == td);  // 0: TD alone
  for (const double share : {0.1, 0.25, 0.5, 1.0}) {
    CAPTURE(share);
    combine_unit_gradient(td, pib_part, share, out);
    // out - (1 - share) td is the rescaled PIB part.
    const pib::units::Vector pib_scaled = out - (1.0 - share) * td;
    CHECK(pib_scaled.norm() / (pib_scaled.norm() + (1.0 - share) * td.norm()) == Approx(share));
    CHECK(pib_scaled.dot(pib_part) == Approx(pib_scaled.norm() * pib_part.norm()));  // PIB's direction
  }
  combine_unit_gradient(td, pib::units::Vector::Zero(20), 0.5, out);
  CHECK(out == 0.5 * td);

  // In a run: share 0 learns exactly as TD alone while it still measures the information terms.
  auto cfg = small_config(1200);
  cfg.pib.share = 0.0;
  double i_xz = 0.0;
  pib::agent::Callbacks cb;
  cb.on_interval = [&](const pib::agent::IntervalMetrics& im) { i_xz += im.units[0].i_xz; };
  std::vector<double> share0;
  cb.on_episode = [&](const pib::agent::EpisodeRecord& e) { share0.push_back(e.episode_return); };
  Trainer(cfg).run(cb, {});
  CHECK(i_xz > 0.0);
  auto td_alone = cfg;
  td_alone.pib.share = -1.0;
  td_alone.pib.enabled = false;
  CHECK(episode_returns(td_alone) == share0);
  auto half = cfg;
  half.pib.share = 0.5;
  CHECK(episode_returns(half) != share0);
}

TEST_CASE("corrupt checkpoints are clear errors", "[agent]") {
  const auto dir = temp_dir("corrupt");
  Trainer t(small_config(400));
  t.run({}, {});
  t.save_checkpoint(dir / "ok.pib");
  const auto bytes = file_bytes(dir / "ok.pib");
  {
    std::ofstream out(dir / "short.pib", std::ios::binary);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size() / 2));
  }
  {
    auto flipped = bytes;
    flipped[flipped.size() / 2] ^= 0x5a;
    std::ofstream out(dir / "flipped.pib", std::ios::binary);
    out.write(flipped.data(), static_cast<std::streamsize>(flipped.size()));
  }
  {
    std::ofstream out(dir / "foreign.pib", std::ios::binary);
    out << "this is not a checkpoint at all, just some text";
  }
  CHECK_NOTHROW(Trainer::resume(dir / "ok.pib"));
  CHECK_THROWS_AS(Trainer::resume(dir / "short.pib"), pib::FileError);
  CHECK_THROWS_WITH(Trainer::resume(dir / "flipped.pib"), Catch::Contains("flipped.pib"));
  CHECK_THROWS_WITH(Trainer::resume(dir / "foreign.pib"), Catch::Contains("not a pib checkpoint"));
  CHECK_THROWS_AS(Trainer::resume(dir / "missing.pib"), pib::FileError);
  CHECK_THROWS_AS(pib::agent::latest_checkpoint(dir / "nothing_here"), pib::FileError);
  fs::remove_all(dir);
}

namespace {
// A user's environment that returns NaN in its observation at its `nan_at`-th step (counted over resets).
class NanEnv final : public pib::envs::Environment {
 public:
  explicit NanEnv(int nan_at) : nan_at_(nan_at) {}
  std::string id() const override { return "NanTest-v0"; }
  const pib::envs::Box& observation_space() const override { return box_; }
  const pib::envs::Discrete& action_space() const override { return actions_; }
  int max_episode_steps() const override { return 100; }
  std::optional<double> reward_threshold() const override { return std::nullopt; }
  std::span<const float> reset(std::uint64_t) override { return reset(); }
  std::span<const float> reset() override {
    t_ = 0;
    obs_ = {0.1f, 0.2f};
    return obs_;
  }
  pib::envs::StepResult step(int) override {
    ++t_;
    obs_[1] = ++total_ == nan_at_ ? std::numeric_limits<float>::quiet_NaN() : 0.2f;
    return {obs_, 1.0, false, t_ >= 100};
  }
  std::span<const float> observation() const override { return obs_; }
  int elapsed_steps() const override { return t_; }
  std::unique_ptr<Environment> clone() const override { return std::make_unique<NanEnv>(*this); }

 private:
  pib::envs::Box box_{{-1, -1}, {1, 1}, {2}};
  pib::envs::Discrete actions_{2};
  std::vector<float> obs_{0.1f, 0.2f};
  int t_ = 0;
  int total_ = 0;
  int nan_at_;
};
}  // namespace

TEST_CASE("a NaN observation from a user's environment is a clear error", "[agent]") {
  auto cfg = small_config(1500);
  cfg.obs_scale.clear();
  // During the calibration rollout (the first 1024 steps of a separate instance).
  pib::envs::register_environment("NanEarly-v0", [] { return std::make_unique<NanEnv>(5); });
  cfg.env = "NanEarly-v0";
  CHECK_THROWS_WITH(Trainer(cfg), Catch::Contains("NanEarly-v0 returned a non-finite observation") &&
                                      Catch::Contains("calibration"));
  // During training, on the actor's side.
  pib::envs::register_environment("NanLate-v0", [] { return std::make_unique<NanEnv>(1200); });
  cfg.env = "NanLate-v0";
  Trainer t(cfg);
  CHECK_THROWS_WITH(t.run({}, {}), Catch::Contains("NanLate-v0 returned a non-finite observation") &&
                                       Catch::Contains("step 100 of episode 11"));
}

TEST_CASE("async schedule: deploys overlap, staleness is recorded", "[agent][concurrency]") {
#if defined(__SANITIZE_THREAD__)
  // Debian's oneTBB is not built with ThreadSanitizer, so TSan cannot see the happens-before edge of a task
  // hand-off inside libtbb and reports every task's captures as a race. Under TSan the oneTBB tasks run on
  // the calling thread; the actor thread, the lock-free queue, the policy snapshot, the episode hand-off and
  // device calls from two threads at once stay checked.
  tbb::global_control one_thread(tbb::global_control::max_allowed_parallelism, 1);
#endif
  auto cfg = small_config(1200);
  cfg.schedule = pib::agent::Schedule::async;
  for (auto& u : cfg.units) {
    u["deploy_us"] = 300.0;
    u["time_scale"] = 1.0;
  }
  Trainer t(cfg);
  double staleness = 0;
  int intervals = 0;
  pib::agent::Callbacks cb;
  cb.on_interval = [&](const pib::agent::IntervalMetrics& im) {
    ++intervals;
    for (const auto& u : im.units)
      staleness += u.staleness;
  };
  const auto s = t.run(cb, {});
  CHECK(s.env_steps == 1200);
  CHECK(s.updates == (1200 - 200) / 4);
  CHECK(intervals >= 1);
  CHECK(staleness >= 0.0);
  for (const auto& d : s.device)
    CHECK(d["ledger"]["deploys"].get<double>() >= static_cast<double>(s.updates));
}

TEST_CASE("a configured fault is injected once at its step and survives a resume", "[agent]") {
  const auto dir = temp_dir("fault");
  auto cfg = small_config(1600);
  cfg.units = nlohmann::json::array(
      {{{"kind", "optical"}, {"n_speckle", 32}, {"output_dim", 16}, {"activation", "tanh"}},
       {{"kind", "optical"}, {"n_speckle", 32}, {"output_dim", 16}}});
  cfg.time_scale = 1e9;
  auto healthy = cfg;
  nlohmann::json channels = nlohmann::json::array();
  for (int j = 0; j < 8; ++j)
    channels.push_back({{"channel", j}, {"mode", "noise"}});
  cfg.faults.push_back({600, 0, {{"adc_channels", channels}}});
  cfg.checkpoint_every = 800;

  std::vector<std::int64_t> at;
  pib::agent::Callbacks cb;
  cb.on_fault = [&](std::int64_t step, const pib::agent::FaultEvent& f) {
    at.push_back(step);
    CHECK(f.unit == 0);
  };
  Trainer whole(cfg);
  whole.run(cb, dir / "whole");
  REQUIRE(at.size() == 1);
  CHECK(at[0] == 600);

  // The fault changed the run ...
  Trainer clean(healthy);
  clean.run({}, {});
  clean.save_checkpoint(dir / "clean.pib");
  CHECK(file_bytes(dir / "clean.pib").size() > 0);
  CHECK(file_bytes(dir / "clean.pib") != file_bytes(dir / "whole" / "checkpoint_1600.pib"));
  // ... and a resumed run has it again: it continues exactly as the uninterrupted one.
  auto resumed = Trainer::resume(dir / "whole" / "checkpoint_800.pib");
  std::vector<std::int64_t> again;
  pib::agent::Callbacks cb2;
  cb2.on_fault = [&](std::int64_t step, const pib::agent::FaultEvent&) { again.push_back(step); };
  resumed->run(cb2, dir / "resumed");
  CHECK(again.empty());
  CHECK(file_bytes(dir / "whole" / "checkpoint_1600.pib") ==
        file_bytes(dir / "resumed" / "checkpoint_1600.pib"));
  fs::remove_all(dir);
}

TEST_CASE("faults a unit cannot take are config errors before the run starts", "[agent]") {
  auto digital = small_config(400);
  digital.faults.push_back({100, 1, {{"adc_channels", {{{"channel", 0}}}}}});
  CHECK_THROWS_WITH(Trainer(digital), Catch::Contains("faults[0]") && Catch::Contains("no fault model"));
  auto optical = small_config(400);
  optical.units = nlohmann::json::array({{{"kind", "optical"}, {"n_speckle", 32}, {"output_dim", 16}}});
  optical.faults.push_back({100, 0, {{"adc_channels", {{{"channel", 32}}}}}});
  CHECK_THROWS_WITH(Trainer(optical), Catch::Contains("faults[0]") && Catch::Contains("channel"));
  CHECK_THROWS_WITH(RlConfig::from_json(
                        {{"faults", {{{"at_step", 5}, {"unit", 3}, {"inject", nlohmann::json::object()}}}}}),
                    Catch::Contains("faults[0].unit"));
  CHECK_THROWS_WITH(RlConfig::from_json({{"faults", {{{"at_step", 5}, {"unit", 0}}}}}),
                    Catch::Contains("faults[0]"));
}

// The actor hands transitions to the learner through an 8,192-slot queue. Before learning starts nothing
// samples the replay buffer, but the queue must still be emptied: a learning_starts above the queue's
// capacity (and above buffer_size) used to hang the sync schedule forever.
// Not tagged [concurrency]: under ThreadSanitizer this run's first async update reports a race inside oneTBB's
// parallel_invoke (its invoker object on the spawner's stack, read by the worker), which Debian's
// uninstrumented libtbb synchronises out of TSan's sight; "async schedule: deploys overlap" keeps the
// learner's async path under TSan.
TEST_CASE("learning_starts above the transition queue's capacity runs to the end", "[agent]") {
  for (const auto schedule : {pib::agent::Schedule::sync, pib::agent::Schedule::async}) {
    auto cfg = small_config(9400);
    cfg.learning_starts = 9000;  // > 8192 queue slots, > buffer_size 5000
    cfg.buffer_size = 5000;
    cfg.metrics_every = 4000;
    cfg.checkpoint_every = 0;
    cfg.schedule = schedule;
    Trainer t(cfg);
    const auto s = t.run({}, {});
    CHECK(s.env_steps == 9400);
    CHECK(s.updates == (9400 - 9000) / 4);
  }
  // A batch as large as the buffer and a checkpoint while the queue holds more than it can take.
  const auto dir = temp_dir("large_start");
  auto cfg = small_config(9000);
  cfg.learning_starts = 8600;
  cfg.batch_size = 64;
  cfg.buffer_size = 64;
  cfg.checkpoint_every = 8500;
  Trainer t(cfg);
  const auto s = t.run({}, dir);
  CHECK(s.env_steps == 9000);
  CHECK(s.updates == (9000 - 8600) / 4);
  int checkpoints = 0;  // one before learning starts (at the actor's first stop past 8,500), one at the end
  for (const auto& e : fs::directory_iterator(dir))
    checkpoints += e.path().extension() == ".pib";
  CHECK(checkpoints == 2);
  CHECK(fs::exists(dir / "checkpoint_9000.pib"));
  fs::remove_all(dir);
}

// A resumed run re-programs its devices, whose deploy count restarts; the learner's does not. In the sync
// schedule every measurement sees the last deploy, so the staleness is 0 before and after a resume.
TEST_CASE("a resumed sync run logs staleness 0", "[agent]") {
  const auto dir = temp_dir("resume_staleness");
  auto cfg = small_config(1600);
  cfg.checkpoint_every = 800;
  auto staleness_of = [](Trainer& t, const fs::path& out) {
    std::vector<double> seen;
    pib::agent::Callbacks cb;
    cb.on_interval = [&](const pib::agent::IntervalMetrics& im) {
      for (const auto& u : im.units)
        seen.push_back(u.staleness);
    };
    t.run(cb, out);
    return seen;
  };
  Trainer whole(cfg);
  const auto before = staleness_of(whole, dir / "whole");
  REQUIRE(!before.empty());
  for (const double s : before)
    CHECK(s == 0.0);
  auto resumed = Trainer::resume(dir / "whole" / "checkpoint_800.pib");
  const auto after = staleness_of(*resumed, dir / "resumed");
  REQUIRE(!after.empty());
  for (const double s : after)
    CHECK(s == 0.0);
  fs::remove_all(dir);
}

TEST_CASE("deploy_lag_updates: a sync run's devices land one update late, reproducibly and across a resume",
          "[agent]") {
  const auto dir = temp_dir("deploy_lag");
  auto cfg = small_config(1600, {{"deploy_lag_updates", 1}});
  cfg.checkpoint_every = 800;
  std::vector<double> staleness;
  std::vector<double> returns;
  pib::agent::Callbacks cb;
  cb.on_interval = [&](const pib::agent::IntervalMetrics& im) {
    for (const auto& u : im.units)
      staleness.push_back(u.staleness);
  };
  cb.on_episode = [&](const pib::agent::EpisodeRecord& e) { returns.push_back(e.episode_return); };
  Trainer whole(cfg);
  whole.run(cb, dir / "whole");
  REQUIRE(staleness.size() >= 4);
  for (std::size_t k = 2; k < staleness.size(); ++k)  // the intervals after the first updates
    CHECK(staleness[k] == Approx(1.0));
  // The lag changes the run (the devices measure older parameters) ...
  std::vector<double> unlagged;
  auto plain = small_config(1600);
  pib::agent::Callbacks cb0;
  cb0.on_episode = [&](const pib::agent::EpisodeRecord& e) { unlagged.push_back(e.episode_return); };
  Trainer(plain).run(cb0, {});
  CHECK(unlagged != returns);
  // ... reproducibly, and a resumed run goes on exactly: the parameters still in flight are in the checkpoint.
  auto resumed = Trainer::resume(dir / "whole" / "checkpoint_800.pib");
  resumed->run({}, dir / "resumed");
  CHECK(file_bytes(dir / "whole" / "checkpoint_1600.pib") == file_bytes(dir / "resumed" / "checkpoint_1600.pib"));
  CHECK_THROWS_WITH(small_config(100, {{"deploy_lag_updates", 1}, {"schedule", "async"}}),
                    Catch::Contains("deploy_lag_updates"));
  CHECK_THROWS_WITH(small_config(100, {{"deploy_lag_updates", -1}}), Catch::Contains("deploy_lag_updates"));
  fs::remove_all(dir);
}

// Save and load run one field list: a checkpoint loaded and saved again is the same file.
TEST_CASE("a checkpoint survives a load and a save byte for byte", "[agent]") {
  const auto dir = temp_dir("roundtrip");
  auto cfg = small_config(700);
  cfg.n_step = 5;  // an n-step buffer that is rarely empty
  Trainer t(cfg);
  t.run({}, {});
  t.save_checkpoint(dir / "a.pib");
  auto again = Trainer::resume(dir / "a.pib");
  again->save_checkpoint(dir / "b.pib");
  CHECK(file_bytes(dir / "a.pib") == file_bytes(dir / "b.pib"));
  fs::remove_all(dir);
}

namespace {
// One-step episodes with a constant observation: action 0 pays 1, action 1 pays 0.7; solved at 0.8. A
// uniformly random actor averages 0.85 (solved); a greedy policy scores 1 or 0.7 by its one action.
class TwoArms final : public pib::envs::Environment {
 public:
  std::string id() const override { return "TwoArms-v0"; }
  const pib::envs::Box& observation_space() const override { return box_; }
  const pib::envs::Discrete& action_space() const override { return actions_; }
  int max_episode_steps() const override { return 1; }
  std::optional<double> reward_threshold() const override { return 0.8; }
  std::span<const float> reset(std::uint64_t) override { return reset(); }
  std::span<const float> reset() override { return obs_; }
  pib::envs::StepResult step(int action) override { return {obs_, action == 0 ? 1.0 : 0.7, true, false}; }
  std::span<const float> observation() const override { return obs_; }
  int elapsed_steps() const override { return 0; }
  std::unique_ptr<Environment> clone() const override { return std::make_unique<TwoArms>(*this); }

 private:
  pib::envs::Box box_{{-1}, {1}, {1}};
  pib::envs::Discrete actions_{2};
  std::vector<float> obs_{0.5f};
};
}  // namespace

TEST_CASE("a solved run stops only once a greedy check reaches the threshold", "[agent]") {
  pib::envs::register_environment("TwoArms-v0", [] { return std::make_unique<TwoArms>(); });
  // The actor acts at random throughout and the network does not learn (lr 1e-12), so the training mean
  // is solved while the greedy action, fixed by each seed's initial network, passes or fails every check.
  int passing = 0, failing = 0;
  for (std::uint64_t seed = 0; seed < 20 && (passing == 0 || failing == 0); ++seed) {
    auto cfg = small_config(1500);
    cfg.env = "TwoArms-v0";
    cfg.seed = seed;
    cfg.obs_scale.clear();
    cfg.epsilon_start = cfg.epsilon_final = 1.0;
    cfg.optimizer.lr = cfg.optimizer.lr_final = 1e-12;
    cfg.stop_when_solved = true;
    cfg.solve_check_episodes = 4;
    cfg.solve_check_every = 300;
    Trainer t(cfg);
    const auto before = t.evaluate(4, 7);
    const double greedy = std::accumulate(before.begin(), before.end(), 0.0) / 4.0;
    const auto s = t.run({}, {});
    REQUIRE(s.solved_at_step.has_value());
    REQUIRE_FALSE(s.solve_checks.empty());
    CHECK(s.solve_checks.front().step >= *s.solved_at_step);
    if (greedy >= 0.8) {
      ++passing;
      CHECK(s.solve_checks.size() == 1);
      CHECK(s.solve_checks.back().passed);
      CHECK(s.solve_checks.back().mean_return == Approx(1.0));
      CHECK(s.env_steps < 1500);
    } else {
      ++failing;
      CHECK(s.env_steps == 1500);  // trained on to the end
      for (std::size_t k = 0; k < s.solve_checks.size(); ++k) {
        CHECK_FALSE(s.solve_checks[k].passed);
        CHECK(s.solve_checks[k].mean_return == Approx(0.7));
        if (k > 0) CHECK(s.solve_checks[k].step - s.solve_checks[k - 1].step >= 300);
      }
      CHECK(s.solve_checks.size() >= 3);
    }
    // Without the check the run stops where the training mean first reaches the threshold.
    cfg.solve_check_episodes = 0;
    Trainer plain(cfg);
    const auto p = plain.run({}, {});
    CHECK(p.solve_checks.empty());
    CHECK(p.solved_at_step == s.solved_at_step);
    CHECK(p.env_steps < 1500);
  }
  CHECK(passing > 0);
  CHECK(failing > 0);
}
