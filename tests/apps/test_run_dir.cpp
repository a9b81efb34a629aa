// The run directory: one writer at a time (an advisory lock naming the holder), and the long-running
// commands write nothing when the config fails as the units are built.
#include <catch2/catch.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "common/run_dir.hpp"
#include "common/error.hpp"
#include "tests/apps/run_pib.hpp"
#include "tests/temp_dir.hpp"

namespace fs = std::filesystem;
using Catch::Contains;

namespace {

using pib::test::TempDir;

using pib::test::Outcome;
using pib::test::text_of;

Outcome run_pib(const std::string& args, const fs::path& scratch) {
  return pib::test::run_pib("", args, scratch);
}

}  // namespace

TEST_CASE("a run directory has one writer: a second lock fails naming the holder's pid", "[run_dir]") {
  TempDir dir("lock");
  const std::string pid = std::to_string(::getpid());
  {
    pib::RunDirLock first(dir.path());
    CHECK(text_of(dir.path() / ".lock") == pid + "\n");
    // A second open file description in this process is a second writer as far as flock is concerned.
    CHECK_THROWS_AS(pib::RunDirLock(dir.path()), pib::StateError);
    CHECK_THROWS_WITH(pib::RunDirLock(dir.path()),
                      Contains(dir.path().string()) && Contains("process " + pid));
    // So is another process.
    const pid_t child = ::fork();
    REQUIRE(child >= 0);
    if (child == 0) {
      int code = 1;
      try {
        pib::RunDirLock second(dir.path());
      } catch (const pib::StateError& e) {
        code = std::string(e.what()).find("process " + pid) == std::string::npos ? 2 : 0;
      } catch (...) {
        code = 3;
      }
      ::_exit(code);
    }
    int status = 0;
    REQUIRE(::waitpid(child, &status, 0) == child);
    REQUIRE(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
  }
  // Released: the next writer gets it and writes its own pid.
  pib::RunDirLock again(dir.path());
  CHECK(text_of(dir.path() / ".lock") == pid + "\n");
  // make_run_dir locks too.
  CHECK_THROWS_WITH(pib::make_run_dir(dir.path().string(), "x", 0), Contains("process " + pid));
  again.release();
  const auto run = pib::make_run_dir(dir.path().string(), "x", 0);
  CHECK(run.path == dir.path());
}

TEST_CASE("pib latency refuses a run directory another process is writing", "[run_dir][program]") {
  TempDir scratch("busy");
  const fs::path out = scratch.path() / "run";
  fs::create_directories(out);
  const pib::RunDirLock held(out);
  const auto r =
      run_pib("latency --config configs/latency.json --set updates=1 --set warmup_updates=1 --out '" +
                  out.string() + "'",
              scratch.path());
  CHECK(r.exit_code != 0);
  CHECK_THAT(r.err, Contains("in use") && Contains("process " + std::to_string(::getpid())));
  CHECK_FALSE(fs::exists(out / "config.json"));
}

TEST_CASE("pib rl, pib latency and a decentralised pib train leave no run directory behind on a unit config error",
          "[run_dir][program]") {
  TempDir scratch("badunit");
  const fs::path out = scratch.path() / "run";
  SECTION("rl") {
    const auto r = run_pib(
        "rl --config configs/cartpole_optical.json --set units.0.n_speckle=-5 --out '" + out.string() + "'",
        scratch.path());
    CHECK(r.exit_code != 0);
    CHECK_THAT(r.err, Contains("n_speckle"));
  }
  SECTION("latency") {
    const auto r = run_pib(
        "latency --config configs/latency.json --set rl.units.0.n_speckle=-5 --out '" + out.string() + "'",
        scratch.path());
    CHECK(r.exit_code != 0);
    CHECK_THAT(r.err, Contains("n_speckle"));
  }
  SECTION("train, schedule decentralised (its rank checkpoints go into the run directory)") {
    const auto r = run_pib("train --config tests/data/hybrid_small.json --set units.1.output_dim=-3 --out '" +
                               out.string() + "'",
                           scratch.path());
    CHECK(r.exit_code != 0);
    CHECK_THAT(r.err, Contains("units[1]"));
  }
  CHECK_FALSE(fs::exists(out));
}
