#include "agent/run.hpp"

#include <atomic>
#include <cmath>
#include <fstream>
#include <numeric>
#include <sstream>
#include <utility>

#include "common/random.hpp"

namespace pib::agent {
namespace {

std::string fixed(double v, int digits) {
  std::ostringstream s;
  s.setf(std::ios::fixed);
  s.precision(digits);
  s << v;
  return s.str();
}

std::string duration(double s) {
  const long t = std::lround(std::max(0.0, s));
  std::ostringstream out;
  if (t >= 3600) out << t / 3600 << "h";
  out << (t % 3600) / 60 << "m" << (t % 60 < 10 ? "0" : "") << t % 60 << "s";
  return out.str();
}

std::atomic<Trainer*> interrupt_target{nullptr};
std::atomic<bool> interrupt_fired{false};

void on_interrupt(int) {
  interrupt_fired.store(true);
  if (auto* t = interrupt_target.load()) t->request_stop();  // one lock-free atomic store
}

}  // namespace

StopOnInterrupt::StopOnInterrupt(Trainer& trainer) {
  interrupt_fired.store(false);
  interrupt_target.store(&trainer);
  struct sigaction sa {};
  sa.sa_handler = &on_interrupt;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESETHAND;  // the second Ctrl-C is the default: end the process
  sigaction(SIGINT, &sa, &previous_);
}

StopOnInterrupt::~StopOnInterrupt() {
  sigaction(SIGINT, &previous_, nullptr);
  interrupt_target.store(nullptr);
}

bool StopOnInterrupt::fired() const { return interrupt_fired.load(); }

nlohmann::json episode_record(const EpisodeRecord& e) {
  return {{"type", "episode"}, {"episode", e.episode}, {"return", e.episode_return}, {"length", e.length},
          {"step", e.step}};
}

nlohmann::json interval_record(const IntervalMetrics& im) {
  nlohmann::json units = nlohmann::json::array();
  for (const auto& u : im.units) {
    units.push_back({{"td_loss", u.td_loss},
                     {"pib_loss", u.pib_loss},
                     {"I_xz", u.i_xz},
                     {"I_yz", u.i_yz},
                     {"grad_norm_td", u.grad_norm_td},
                     {"grad_norm_pib", u.grad_norm_pib},
                     {"staleness", u.staleness},
                     {"device_busy_us", u.ledger.busy_us},
                     {"device_idle_us", u.ledger.idle_us},
                     {"device_measure_us", u.ledger.measure_us},
                     {"device_deploy_us", u.ledger.deploy_us}});
  }
  nlohmann::json actors = nlohmann::json::array();
  for (const auto& a : im.actors)
    actors.push_back({{"rank", a.rank},
                      {"alive", a.alive},
                      {"steps", a.steps},
                      {"steps_per_s", a.steps_per_s},
                      {"staleness", a.staleness},
                      {"transitions", a.transitions}});
  return {
      {"type", "interval"},
      {"step", im.step},
      {"updates", im.updates},
      {"episodes", im.episodes},
      {"mean_return_100", im.mean_return_100 ? nlohmann::json(*im.mean_return_100) : nlohmann::json(nullptr)},
      {"epsilon", im.epsilon},
      {"lr", im.lr},
      {"steps_per_s", im.steps_per_s},
      {"updates_per_s", im.updates_per_s},
      {"wall_s", im.wall_s},
      {"units", units},
      {"actors", actors}};
}

nlohmann::json eval_record(const std::vector<double>& returns) {
  PIB_EXPECTS(!returns.empty(), "an evaluation of no episodes");
  const double n = static_cast<double>(returns.size());
  const double mean = std::accumulate(returns.begin(), returns.end(), 0.0) / n;
  double var = 0;
  for (double r : returns)
    var += (r - mean) * (r - mean);
  return {{"episodes", returns.size()}, {"mean_return", mean}, {"std_return", std::sqrt(var / n)}};
}

RlRun::RlRun(std::unique_ptr<Trainer> trainer, RunDir dir) : trainer_(std::move(trainer)), dir_(std::move(dir)) {}

std::unique_ptr<RlRun> RlRun::start(const RlConfig& cfg, const std::string& out, const std::string& stem) {
  auto trainer = std::make_unique<Trainer>(cfg);
  std::unique_ptr<RlRun> run(new RlRun(std::move(trainer), make_run_dir(out, stem, cfg.seed)));
  write_json_file(run->dir() / "config.json", run->trainer().config().to_json());
  return run;
}

std::unique_ptr<RlRun> RlRun::resume(const std::filesystem::path& path) {
  // Locked before the checkpoint is read, so that the checkpoint cannot change under us.
  auto dir = lock_run_dir(std::filesystem::is_directory(path) ? path : path.parent_path());
  auto trainer = Trainer::resume(latest_checkpoint(path));
  return std::unique_ptr<RlRun>(new RlRun(std::move(trainer), std::move(dir)));
}

nlohmann::json RlRun::run(const Callbacks& user, const Progress& progress, int eval_episodes, Transport* actors) {
  if (eval_episodes < 0) raise<InvalidArgument>("eval_episodes must be >= 0, got ", eval_episodes);
  const auto& dir = dir_.path;
  const auto& cfg = trainer_->config();
  std::ofstream metrics(dir / "metrics.jsonl", std::ios::app);
  if (!metrics) raise<FileError>((dir / "metrics.jsonl").string(), ": cannot open for writing");
  const auto say = [&](const std::string& text, bool final) {
    if (progress) progress(text, final);
  };
  const auto record = [&](const nlohmann::json& r) { metrics << r.dump() << "\n"; };  // one metrics.jsonl line

  Callbacks cb;
  cb.on_episode = [&](const EpisodeRecord& e) {
    record(episode_record(e));
    if (user.on_episode) user.on_episode(e);
  };
  cb.on_interval = [&](const IntervalMetrics& im) {
    record(interval_record(im));
    metrics.flush();
    std::ostringstream line;
    line << "step " << im.step << "/" << cfg.total_steps << "  episodes " << im.episodes << "  mean100 "
         << (im.mean_return_100 ? fixed(*im.mean_return_100, 1) : std::string("-")) << "  eps "
         << fixed(im.epsilon, 3) << "  " << fixed(im.steps_per_s, 0) << " steps/s  "
         << fixed(im.updates_per_s, 0) << " upd/s  I(X;Z) " << fixed(im.units.back().i_xz, 2) << "  I(Y;Z) "
         << fixed(im.units.back().i_yz, 2) << "  elapsed " << duration(im.wall_s)
         << "  left <= " << duration(im.eta_s);
    say(line.str(), false);
    if (user.on_interval) user.on_interval(im);
  };
  cb.on_fault = [&](std::int64_t step, const FaultEvent& f) {
    record({{"type", "fault"}, {"step", step}, {"unit", f.unit}, {"inject", f.inject}});
    say("fault injected into unit " + std::to_string(f.unit) + " at step " + std::to_string(step) + ": " +
            f.inject.dump(),
        true);
    if (user.on_fault) user.on_fault(step, f);
  };
  cb.on_solve_check = [&](const SolveCheck& c) {
    record({{"type", "solve_check"},
            {"step", c.step},
            {"episodes", cfg.solve_check_episodes},
            {"mean_return", c.mean_return},
            {"passed", c.passed}});
    say("step " + std::to_string(c.step) + ": the 100-episode mean is at the threshold; greedy check over " +
            std::to_string(cfg.solve_check_episodes) + " episodes: " + fixed(c.mean_return, 1) +
            (c.passed ? " (solved)" : " (below: training on)"),
        true);
    if (user.on_solve_check) user.on_solve_check(c);
  };
  cb.on_checkpoint = user.on_checkpoint;
  cb.on_actor_failure = [&](int rank, const std::string& message) {
    record({{"type", "actor_failure"}, {"rank", rank}, {"message", message}});
    say("actor rank " + std::to_string(rank) + " failed and was dropped: " + message, true);
    if (user.on_actor_failure) user.on_actor_failure(rank, message);
  };
  const auto summary = trainer_->run(cb, dir, actors);
  metrics.flush();
  say("finished at step " + std::to_string(summary.env_steps) +
          (summary.interrupted ? " (interrupted; checkpoint written, --resume continues)" : ""),
      true);

  auto j = summary.to_json();
  if (eval_episodes > 0 && !summary.interrupted) {
    j["eval"] = eval_record(trainer_->evaluate(eval_episodes, derive_seed(cfg.seed, Stream::evaluation)));
    j["eval"]["policy"] = "greedy, final parameters";
  }
  write_json_file(dir / "summary.json", j);
  return j;
}

}  // namespace pib::agent
