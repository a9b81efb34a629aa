// Schedule decentralised in one process (train/decentralised.cpp): the protocol's traffic, reproducibility,
// exact resumption from the ranks' checkpoints, and the errors of a wrong rank count, a corrupt message and
// a missing checkpoint. The same run under mpirun is compared with this one in tests/apps.

#include <atomic>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <thread>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "common/error.hpp"
#include "common/transport.hpp"
#include "tests/temp_dir.hpp"
#include "train/trainer.hpp"

using pib::train::RunOptions;
using pib::train::TrainConfig;

namespace {

// An optical unit (binary encoding) followed by a memristor crossbar, as the hybrid network, on 600
// generated MNIST-1D samples.
TrainConfig hybrid(int epochs = 2, const std::string& second = "memristor_dense") {
  auto j = nlohmann::json::parse(R"({
    "seed": 5,
    "schedule": "decentralised",
    "data": {"name": "mnist1d", "train_subset": 600},
    "units": [
      {"kind": "optical", "encoding": "binary", "n_speckle": 96, "output_dim": 64, "activation": "relu",
       "time_scale": 1e9},
      {"kind": "SECOND", "output_dim": 32, "activation": "relu", "time_scale": 1e9}
    ],
    "batch_size": 100,
    "optimizer": {"lr": 0.003},
    "pib": {"alpha": 2, "beta": 0.01},
    "readout": {"epochs": 10, "lr": 0.02},
    "calibration_samples": 200
  })");
  j["epochs_per_unit"] = epochs;
  j["units"][1]["kind"] = second;
  return TrainConfig::from_json(j);
}

// The run's figures without its wall times (the only numbers that differ between equal runs).
nlohmann::json without_wall_times(nlohmann::json j) {
  if (j.is_object()) {
    nlohmann::json out = nlohmann::json::object();
    for (auto& [k, v] : j.items())
      if (k != "wall_s" && k != "training_wall_s") out[k] = without_wall_times(v);
    return out;
  }
  if (j.is_array())
    for (auto& v : j)
      v = without_wall_times(v);
  return j;
}

}  // namespace

TEST_CASE("decentralised: features travel once each way, training sends nothing", "[train][decentralised]") {
  const auto cfg = hybrid();
  std::vector<nlohmann::json> records;
  pib::train::Callbacks cb;
  cb.on_record = [&](const nlohmann::json& r) { records.push_back(r); };
  const auto result = pib::train::run_training(cfg, cb);
  const auto& d = result.decentralised;
  REQUIRE(d.is_object());
  CHECK(d["ranks"] == 2);
  const auto& traffic = d["traffic"];
  CHECK(traffic["training"]["messages"] == 0);
  CHECK(traffic["training"]["bytes"] == 0);
  CHECK(traffic["init"]["messages"] == 1);
  CHECK(traffic["evaluation"]["messages"] == 1);
  CHECK(traffic["report"]["messages"] == 1);
  // init ships unit 0's 64 outputs of the 600 training samples; evaluation those and the test split's.
  const std::int64_t header = 8 + 4 + 3 * 4, hash = 8, shape = 16;
  CHECK(traffic["init"]["bytes"] == header + shape + 600 * 64 * 8 + hash);
  CHECK(traffic["evaluation"]["bytes"] == header + 2 * shape + (600 + 1000) * 64 * 8 + hash);  // 1000 test
  REQUIRE(result.pib_deployed.has_value());
  CHECK(*result.pib_deployed > 0.13);  // ten classes: chance is 0.1; two epochs on 600 samples
  REQUIRE(result.unit_readout_accuracy.size() == 2);
  CHECK(*result.pib_deployed == result.unit_readout_accuracy[1]);
  for (int r = 0; r < 2; ++r) {
    const auto& rank = d["rank"][static_cast<std::size_t>(r)];
    CHECK(rank["epochs"] == 2);
    CHECK(rank["device"]["deploys"].get<int>() == 2 * 6);  // 600 / 100 steps an epoch
    CHECK(rank["last_epoch"]["I_yz"].get<double>() > 0.0);
  }
  int epochs_of_rank[2] = {0, 0};
  for (const auto& r : records)
    if (r.value("type", "") == "epoch") {
      REQUIRE(r.contains("rank"));
      ++epochs_of_rank[r["rank"].get<int>()];
    }
  CHECK(epochs_of_rank[0] == 2);
  CHECK(epochs_of_rank[1] == 2);
  // The same seed gives the same figures.
  const auto again = pib::train::run_training(cfg);
  CHECK(without_wall_times(again.to_json()) == without_wall_times(result.to_json()));
}

TEST_CASE("decentralised: a run resumed from the ranks' checkpoints goes on where each rank stopped",
          "[train][decentralised]") {
  // A digital second unit: its deploy, like the optical unit's, does not depend on what the device held
  // before, so a resumed run must end exactly as the uninterrupted one. (A memristor crossbar keeps the
  // programming error of every cell a deploy leaves unchanged; a resumed run programs it afresh.)
  for (const std::string second : {"digital_dense", "memristor_dense"}) {
    CAPTURE(second);
    const auto cfg = hybrid(3, second);
    pib::test::TempDir whole("dec_whole"), broken("dec_broken");
    RunOptions o;
    o.checkpoint_dir = whole.path();
    const auto uninterrupted = pib::train::run_training(cfg, {}, o);
    // Interrupted: rank 1 fails right after its first epoch's checkpoint; rank 0 runs to its end.
    pib::train::Callbacks cb;
    cb.on_record = [](const nlohmann::json& r) {
      if (r.value("type", "") == "epoch" && r["rank"] == 1 && r["epoch"] == 1)
        throw std::runtime_error("the machine of rank 1 lost power");
    };
    o.checkpoint_dir = broken.path();
    CHECK_THROWS_WITH(pib::train::run_training(cfg, cb, o),
                      Catch::Contains("rank 1") && Catch::Contains("lost power"));
    REQUIRE(std::filesystem::exists(broken.path() / "rank1" / "unit.pib"));
    o.resume = true;
    std::vector<int> resumed_epochs[2];
    pib::train::Callbacks log;
    log.on_record = [&](const nlohmann::json& r) {
      if (r.value("type", "") == "epoch") resumed_epochs[r["rank"].get<int>()].push_back(r["epoch"].get<int>());
    };
    const auto resumed = pib::train::run_training(cfg, log, o);
    CHECK(resumed_epochs[0].empty());
    CHECK(resumed_epochs[1] == std::vector<int>{2, 3});
    CHECK(resumed.decentralised["rank"][1]["epochs"] == 3);
    CHECK(resumed.decentralised["rank"][0]["last_epoch"] == uninterrupted.decentralised["rank"][0]["last_epoch"]);
    if (second == "digital_dense") {
      CHECK(resumed.pib_deployed == uninterrupted.pib_deployed);
      CHECK(resumed.unit_readout_accuracy == uninterrupted.unit_readout_accuracy);
      CHECK(resumed.decentralised["rank"][1]["last_epoch"] == uninterrupted.decentralised["rank"][1]["last_epoch"]);
    } else {
      const double a = resumed.decentralised["rank"][1]["last_epoch"]["I_yz"];
      const double b = uninterrupted.decentralised["rank"][1]["last_epoch"]["I_yz"];
      CHECK(a == Approx(b).epsilon(0.1));
    }
    // A rank without its checkpoint cannot resume, and says which rank it is.
    std::filesystem::remove(broken.path() / "rank1" / "unit.pib");
    CHECK_THROWS_WITH(pib::train::run_training(cfg, {}, o),
                      Catch::Contains("rank 1") && Catch::Contains("no checkpoint"));
    // A checkpoint of another config is refused.
    o.checkpoint_dir = whole.path();
    CHECK_THROWS_WITH(pib::train::run_training(hybrid(4, second), {}, o), Catch::Contains("another config"));
  }
}

TEST_CASE("decentralised: wrong rank counts and corrupt messages are clear errors naming the rank",
          "[train][decentralised][concurrency]") {
  const auto cfg = hybrid(1);
  {
    auto group = pib::LocalTransport::group(3);
    RunOptions o;
    o.transport = &group[0];
    CHECK_THROWS_WITH(pib::train::run_training(cfg, {}, o),
                      Catch::Contains("2 units") && Catch::Contains("this job has 3"));
  }
  {  // rank 1 of two, and "rank 0" sends it something that is not a message of the protocol
    auto group = pib::LocalTransport::group(2);
    group[0].send(1, "not a pib message");
    RunOptions o;
    o.transport = &group[1];
    CHECK_THROWS_WITH(pib::train::run_training(cfg, {}, o),
                      Catch::Contains("rank 1") && Catch::Contains("message from rank 0"));
  }
  {  // a well-formed message of the wrong shape
    auto group = pib::LocalTransport::group(2);
    std::atomic<bool> sent{false};
    // Rank 0 of a config with a wider first unit sends rank 1 features it cannot take.
    auto j = cfg.to_json();
    j["units"][0]["output_dim"] = 65;
    const auto wider = TrainConfig::from_json(j);
    RunOptions o0;
    o0.transport = &group[0];
    std::thread rank0([&] {
      try {
        pib::train::run_training(wider, {}, o0);
      } catch (...) {
      }
      sent = true;
    });
    RunOptions o1;
    o1.transport = &group[1];
    CHECK_THROWS_WITH(pib::train::run_training(cfg, {}, o1),
                      Catch::Contains("message from rank 0") && Catch::Contains("600 x 65, expected 600 x 64"));
    group[1].mailboxes().close("rank 1 ended");  // rank 0 now waits for a report that will not come
    rank0.join();
    CHECK(sent);
  }
}
