// pib under mpirun as users run it. Schedule decentralised: `mpirun -np 2 pib train` against `pib train` in
// one process (the same figures, bit for bit, but wall times), per-rank metrics, and the errors of a wrong
// rank count and a missing per-rank checkpoint. Distributed RL: `mpirun -np 3 pib rl` (a learner and two
// actor ranks) and a wrong rank count. Skipped, with a message, where pib was built without MPI.
#include <catch2/catch.hpp>

#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <functional>
#include <fstream>
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

#include "tests/apps/run_pib.hpp"
#include "tests/temp_dir.hpp"

namespace fs = std::filesystem;
using Catch::Contains;

#ifdef PIB_MPIEXEC
namespace {

using pib::test::text_of;

pib::test::Outcome run(const std::string& launcher, const std::string& args, const fs::path& scratch) {
  return pib::test::run_pib(launcher, args, scratch);
}

nlohmann::json figures(const fs::path& summary) {
  auto j = nlohmann::json::parse(text_of(summary));
  std::function<nlohmann::json(const nlohmann::json&)> strip = [&](const nlohmann::json& v) -> nlohmann::json {
    if (v.is_object()) {
      nlohmann::json out = nlohmann::json::object();
      for (const auto& [k, x] : v.items())
        if (k != "wall_s" && k != "training_wall_s" && k != "transport") out[k] = strip(x);
      return out;
    }
    if (v.is_array()) {
      nlohmann::json out = nlohmann::json::array();
      for (const auto& x : v)
        out.push_back(strip(x));
      return out;
    }
    return v;
  };
  return strip(j);
}

}  // namespace
#endif

#ifdef PIB_MPIEXEC
const std::string mpirun = std::string("OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 '") +
                           PIB_MPIEXEC + "' --oversubscribe";
#endif

TEST_CASE("mpirun -np 2 pib train: the one-process figures, bit for bit", "[mpi]") {
#ifndef PIB_MPIEXEC
  WARN("skipped: this pib was built without MPI (install libopenmpi-dev and openmpi-bin, then reconfigure)");
#else
  pib::test::TempDir dir("mpi");
  const auto one = dir.path() / "one", two = dir.path() / "two";
  const std::string config = "--config tests/data/hybrid_small.json ";
  REQUIRE(run("", "train " + config + "--out '" + one.string() + "'", dir.path()).exit_code == 0);
  const auto mpi = run(mpirun + " -np 2", "train " + config + "--out '" + two.string() + "'", dir.path());
  INFO(mpi.err);
  REQUIRE(mpi.exit_code == 0);
  const auto a = figures(one / "summary.json"), b = figures(two / "summary.json");
  CHECK(a == b);
  CHECK(b["decentralised"]["traffic"]["training"]["messages"] == 0);
  CHECK(nlohmann::json::parse(text_of(two / "summary.json"))["transport"] == "mpi");
  // Rank 1 wrote its own records, each tagged with its rank, and its checkpoint.
  std::istringstream lines(text_of(two / "rank1" / "metrics.jsonl"));
  int epochs = 0;
  for (std::string line; std::getline(lines, line);) {
    const auto r = nlohmann::json::parse(line);
    if (r.value("type", "") != "epoch") continue;
    CHECK(r["rank"] == 1);
    ++epochs;
  }
  CHECK(epochs == 2);
  CHECK(fs::exists(two / "rank1" / "unit.pib"));

  // A rank count the config cannot use: a clear error, and no run directory.
  const auto three = dir.path() / "three";
  const auto bad = run(mpirun + " -np 3", "train " + config + "--out '" + three.string() + "'", dir.path());
  CHECK(bad.exit_code != 0);
  CHECK_THAT(bad.err, Contains("needs mpirun -np 2") && Contains("this job has 3 ranks"));
  CHECK_FALSE(fs::exists(three));

  // Resuming with rank 1's checkpoint gone: the error names rank 1; the run directory keeps its summary.
  fs::remove(two / "rank1" / "unit.pib");
  const auto lost = run(mpirun + " -np 2", "train --resume '" + two.string() + "'", dir.path());
  CHECK(lost.exit_code != 0);
  CHECK_THAT(lost.err, Contains("rank 1") && Contains("no checkpoint"));
  CHECK(figures(two / "summary.json") == b);
#endif
}

TEST_CASE("mpirun -np 3 pib rl: a learner and two actor ranks", "[mpi]") {
#ifndef PIB_MPIEXEC
  WARN("skipped: this pib was built without MPI (install libopenmpi-dev and openmpi-bin, then reconfigure)");
#else
  pib::test::TempDir dir("mpi_rl");
  const auto out = dir.path() / "run";
  const std::string config = "--config tests/data/cartpole_distributed_small.json --eval-episodes 2 ";
  const auto ok = run(mpirun + " -np 3", "rl " + config + "--out '" + out.string() + "'", dir.path());
  INFO(ok.err);
  REQUIRE(ok.exit_code == 0);
  const auto summary = nlohmann::json::parse(text_of(out / "summary.json"));
  CHECK(summary["schedule"] == "distributed");
  CHECK(summary["env_steps"].get<int>() >= 3000);
  std::istringstream lines(text_of(out / "metrics.jsonl"));
  nlohmann::json last;
  for (std::string line; std::getline(lines, line);) {
    const auto r = nlohmann::json::parse(line);
    if (r.value("type", "") == "interval") last = r;
  }
  REQUIRE(last["actors"].size() == 2);
  CHECK(last["actors"][0]["rank"] == 1);
  CHECK(last["actors"][1]["rank"] == 2);
  CHECK(last["actors"][1]["steps"].get<int>() > 500);
  // A resume under the same layout goes on from the last checkpoint (the final one: nothing left to do but
  // the run ends cleanly with the same step count or more).
  const auto again = run(mpirun + " -np 3", "rl --resume '" + out.string() + "' --eval-episodes 0", dir.path());
  INFO(again.err);
  CHECK(again.exit_code == 0);
  CHECK(nlohmann::json::parse(text_of(out / "summary.json"))["env_steps"].get<int>() >= 3000);
  // Two actors need three ranks.
  const auto bad = run(mpirun + " -np 2", "rl " + config + "--out '" + (dir.path() / "bad").string() + "'", dir.path());
  CHECK(bad.exit_code != 0);
  CHECK_THAT(bad.err, Contains("2 actors need mpirun -np 3"));
  CHECK_FALSE(fs::exists(dir.path() / "bad"));
#endif
}
