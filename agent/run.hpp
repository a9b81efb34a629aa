#pragma once
// An RL run in its run directory: what `pib rl` and the Python module's pib.rl.Trainer both drive, so that the
// two write the same files.
//
//   DIR/config.json        the fully resolved config (a fresh run)
//   DIR/metrics.jsonl      one JSON record per line: episode, interval, fault, solve_check, actor_failure
//   DIR/checkpoint_<S>.pib every checkpoint_every steps and at the end (agent/trainer.hpp)
//   DIR/summary.json       the Summary, with a greedy evaluation of the final network
//
// The directory is locked while the RlRun lives (common/run_dir.hpp). The run never prints: it hands one-line
// progress texts to the caller's `progress` function.

#include <csignal>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "agent/trainer.hpp"
#include "common/run_dir.hpp"

namespace pib::agent {

// The metrics.jsonl record of each event.
nlohmann::json episode_record(const EpisodeRecord& e);
nlohmann::json interval_record(const IntervalMetrics& im);
// A greedy evaluation's figures: {"episodes", "mean_return", "std_return"}.
nlohmann::json eval_record(const std::vector<double>& returns);

// A progress text: `final` texts end a stretch of in-place updates (on a terminal).
using Progress = std::function<void(const std::string& text, bool final)>;

// Ctrl-C during a run, for the scope of this object: the first SIGINT asks `trainer` to stop between two steps
// (it writes its checkpoint and returns a Summary with interrupted = true); a second SIGINT has the default
// effect (the process ends at once). The previous handler comes back when the object goes. One at a time.
class StopOnInterrupt {
 public:
  explicit StopOnInterrupt(Trainer& trainer);
  ~StopOnInterrupt();
  StopOnInterrupt(const StopOnInterrupt&) = delete;
  StopOnInterrupt& operator=(const StopOnInterrupt&) = delete;
  // Whether a SIGINT arrived while it was installed.
  bool fired() const;

 private:
  struct sigaction previous_ {};
};

class RlRun {
 public:
  // A fresh run: builds the trainer (so that a bad config leaves no directory behind), then creates and locks
  // `out` (empty: runs/<stem>-seed<S>[-k]) and writes config.json.
  static std::unique_ptr<RlRun> start(const RlConfig& cfg, const std::string& out, const std::string& stem);
  // Continues the run in `path` (a run directory or a checkpoint file in one) from its latest checkpoint.
  static std::unique_ptr<RlRun> resume(const std::filesystem::path& path);

  Trainer& trainer() { return *trainer_; }
  const std::filesystem::path& dir() const { return dir_.path; }

  // Runs the trainer, appending every record to metrics.jsonl (then calling the matching `user` callback),
  // then evaluates the final network greedily over `eval_episodes` episodes (0: none) and writes
  // summary.json. Returns the summary.
  nlohmann::json run(const Callbacks& user, const Progress& progress, int eval_episodes,
                     Transport* actors = nullptr);

 private:
  RlRun(std::unique_ptr<Trainer> trainer, RunDir dir);
  std::unique_ptr<Trainer> trainer_;
  RunDir dir_;
};

}  // namespace pib::agent
