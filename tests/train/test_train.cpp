// Tests of train/: the optimiser, the readout, the ideal models, the config, and small training runs of
// every schedule and experiment on generated data (MNIST-1D is generated natively, no files needed).

#include <algorithm>
#include <cmath>
#include <string>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "common/config.hpp"
#include "common/error.hpp"
#include "common/run_dir.hpp"
#include "tests/train/small_config.hpp"
#include "tests/units/random_inputs.hpp"
#include "train/context.hpp"
#include "train/optimizer.hpp"
#include "train/readout.hpp"
#include "train/trainer.hpp"
#include "units/ideal.hpp"
#include "units/registry.hpp"

using pib::Rng;
using pib::train::Matrix;

namespace {

// Three Gaussian clusters in 5-D, linearly separable with a wide margin.
void clusters(int n, Rng& rng, Matrix& x, std::vector<int>& y) {
  x.resize(n, 5);
  y.resize(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) {
    const int c = i % 3;
    y[static_cast<std::size_t>(i)] = c;
    for (int j = 0; j < 5; ++j)
      x(i, j) = 0.5 * rng.normal() + (j == c ? 4.0 : 0.0) + 10.0;
  }
}

// The train folder's small MNIST-1D experiment (1000 training samples, one memristor unit) with the seed and
// epochs these tests were written for.
nlohmann::json mnist1d_config() {
  auto j = small_config();
  j["seed"] = 3;
  j["epochs_per_unit"] = 4;
  return j;
}

// Two fast memristor dense units of `first` and `second` outputs.
nlohmann::json two_dense_units(int first, int second) {
  auto unit = [](int out) {
    return nlohmann::json{{"kind", "memristor_dense"}, {"output_dim", out}, {"time_scale", 1e9}};
  };
  return nlohmann::json::array({unit(first), unit(second)});
}

// Crossbar settings without noise, variation or coarse quantisation: a chip as good as its ideal model.
nlohmann::json ideal_chip() {
  return nlohmann::json::parse(R"({"prog_sigma_uS": 0, "read_sigma_rel": 0, "d2d_sigma_rel": 0,
      "adc_gain_sigma_rel": 0, "adc_offset_sigma_lsb": 0, "iv_nonlinearity": 0, "ir_drop": 0,
      "levels": 1048576, "dac_bits": 24, "adc_bits": 24, "adc_headroom": 2})");
}

// Backprop in silico on config `j` (units on ideal chips) learns and scores the same once deployed.
pib::train::TrainResult backprop_deploys_without_loss(nlohmann::json j) {
  j["epochs_per_unit"] = 1;
  j["backprop"] = {{"enabled", true}, {"epochs", 20}, {"batch_size", 50}, {"optimizer", {{"lr", 0.003}}}};
  auto res = pib::train::run_training(pib::train::TrainConfig::from_json(j));
  REQUIRE(res.bp_ideal);
  CHECK(*res.bp_ideal > 0.3);
  CHECK(std::abs(*res.bp_deployed - *res.bp_ideal) < 0.01);
  return res;
}

}  // namespace

TEST_CASE("Adam minimises a quadratic", "[train]") {
  Eigen::VectorXd p = Eigen::VectorXd::Constant(3, 5.0);
  const Eigen::VectorXd target = (Eigen::VectorXd(3) << 1.0, -2.0, 0.5).finished();
  pib::train::Adam adam(3, pib::train::AdamConfig{0.05});
  for (int i = 0; i < 2000; ++i)
    adam.step(p, 2 * (p - target));
  REQUIRE((p - target).norm() < 1e-2);
  REQUIRE(adam.steps() == 2000);
}

TEST_CASE("softmax readout learns a linearly separable problem", "[train][readout]") {
  Rng rng(1);
  Matrix x, xt;
  std::vector<int> y, yt;
  clusters(600, rng, x, y);
  clusters(300, rng, xt, yt);
  pib::train::SoftmaxReadout r;
  r.fit(x, y, 3, pib::train::ReadoutConfig{}, rng);
  CHECK(r.accuracy(xt, yt) > 0.98);
  // An untrained (zero) readout predicts class 0 everywhere: a third.
  const auto zero = pib::train::SoftmaxReadout::from_linear(Matrix::Zero(5, 3), Eigen::RowVectorXd::Zero(3));
  CHECK(zero.accuracy(xt, yt) == Approx(1.0 / 3.0));
}

TEST_CASE("softmax readout rejects bad inputs", "[train][readout]") {
  Rng rng(1);
  Matrix x = Matrix::Random(10, 2);
  pib::train::SoftmaxReadout r;
  REQUIRE_THROWS_AS(r.fit(x, std::vector<int>(9, 0), 2, {}, rng), pib::InvalidArgument);
  REQUIRE_THROWS_AS(r.fit(x, std::vector<int>(10, 2), 2, {}, rng), pib::InvalidArgument);
}

TEST_CASE("softmax cross-entropy gradient matches finite differences", "[train][readout]") {
  Matrix logits = Matrix::Random(4, 3);
  const std::vector<int> y{0, 2, 1, 2};
  Matrix g, unused;
  pib::train::softmax_cross_entropy(logits, y, g);
  const double h = 1e-6;
  for (int i = 0; i < 4; ++i)
    for (int j = 0; j < 3; ++j) {
      Matrix lp = logits, lm = logits;
      lp(i, j) += h;
      lm(i, j) -= h;
      const double fd = (pib::train::softmax_cross_entropy(lp, y, unused) -
                         pib::train::softmax_cross_entropy(lm, y, unused)) /
                        (2 * h);
      CHECK(g(i, j) == Approx(fd).margin(1e-7));
    }
}

TEST_CASE("ideal conv layer: gradients match finite differences", "[train][ideal]") {
  auto cfg = nlohmann::json::parse(R"({"kind": "memristor_conv1d", "in_channels": 2, "length": 7,
      "out_channels": 3, "kernel": 3, "stride": 2, "padding": 1, "activation": "tanh"})");
  const int pool = GENERATE(1, 2);  // 4 positions; pooled: 2 windows of 2
  cfg["pool"] = pool;
  const auto layer = pib::units::IdealLayer::from_unit_config(cfg, "units[0]");
  Rng rng(4);
  const Eigen::VectorXd p = layer.initial_parameters(rng);
  const Matrix x = Matrix::Random(2, layer.input_dim());
  Matrix z, unpooled;
  layer.forward(p, x, z, &unpooled);
  REQUIRE(z.cols() == 3 * 4 / pool);
  const Matrix w = Matrix::Random(z.rows(), z.cols());  // L = <w, z>
  Eigen::VectorXd grad(layer.parameter_count());
  Matrix dx;
  layer.backward(p, x, z, w, grad, &dx, &unpooled);
  auto loss = [&](const Eigen::VectorXd& pp, const Matrix& xx) {
    Matrix zz;
    layer.forward(pp, xx, zz);
    return (zz.array() * w.array()).sum();
  };
  const double h = 1e-6;
  for (Eigen::Index i = 0; i < p.size(); ++i) {
    Eigen::VectorXd pp = p, pm = p;
    pp(i) += h;
    pm(i) -= h;
    CHECK(grad(i) == Approx((loss(pp, x) - loss(pm, x)) / (2 * h)).margin(1e-6));
  }
  for (Eigen::Index i = 0; i < x.size(); ++i) {
    Matrix xp = x, xm = x;
    xp.data()[i] += h;
    xm.data()[i] -= h;
    CHECK(dx.data()[i] == Approx((loss(p, xp) - loss(p, xm)) / (2 * h)).margin(1e-6));
  }
}

TEST_CASE("ideal layers compute what an ideal crossbar measures", "[train][ideal]") {
  auto cfg = nlohmann::json::parse(R"({"kind": "memristor_conv1d", "in_channels": 1, "length": 9,
      "out_channels": 2, "kernel": 3, "stride": 1, "padding": 1, "activation": "relu", "prog_sigma_uS": 0,
      "read_sigma_rel": 0, "d2d_sigma_rel": 0, "adc_gain_sigma_rel": 0, "adc_offset_sigma_lsb": 0,
      "iv_nonlinearity": 0, "ir_drop": 0, "levels": 1048576, "dac_bits": 30, "adc_bits": 30})");
  cfg["pool"] = GENERATE(1, 3);
  auto device = pib::units::make_unit(cfg, 5);
  const auto layer = pib::units::IdealLayer::from_unit_config(cfg, "units[0]");
  Rng rng(2);
  const Matrix x = Matrix::Random(5, 9);
  device->calibrate(x, rng);
  pib::units::Measurement m;
  device->measure(x, m, rng);
  Matrix z;
  layer.forward(device->parameters(), m.response, z);
  CHECK((z - m.output).cwiseAbs().maxCoeff() < 1e-4);
}

TEST_CASE("optical units have no ideal model", "[train][ideal]") {
  const auto cfg = nlohmann::json::parse(R"({"kind": "optical", "input_dim": 4, "output_dim": 3})");
  REQUIRE_THROWS_WITH(pib::units::IdealLayer::from_unit_config(cfg, "units[2]"),
                      Catch::Contains("units[2].kind") && Catch::Contains("optical"));
}

TEST_CASE("config errors name the key", "[train][config]") {
  using pib::train::TrainConfig;
  auto bad = [](const std::string& key, const nlohmann::json& value) {
    auto j = mnist1d_config();
    pib::apply_override(j, key + "=" + value.dump());
    return j;
  };
  REQUIRE_THROWS_WITH(TrainConfig::from_json(bad("schedule", "sideways")), Catch::Contains("schedule"));
  REQUIRE_THROWS_WITH(TrainConfig::from_json(bad("pib.betta", 1)), Catch::Contains("betta"));
  REQUIRE_THROWS_WITH(
      TrainConfig::from_json(bad("faults", nlohmann::json::parse(R"([{"unit": 3, "inject": {}}])"))),
      Catch::Contains("faults[0].unit"));
  REQUIRE_THROWS_WITH(TrainConfig::from_json(bad(
                          "faults", nlohmann::json::parse(R"([{"at_step": 5, "unit": 0, "inject": {}}])"))),
                      Catch::Contains("faults[0]") && Catch::Contains("at_step"));
  // Keys of the old schema name their new place.
  REQUIRE_THROWS_WITH(TrainConfig::from_json(bad("lr_final_fraction", 0.1)),
                      Catch::Contains("optimizer.lr_final"));
  REQUIRE_THROWS_WITH(TrainConfig::from_json(bad("fault", nlohmann::json::object())),
                      Catch::Contains("faults"));
  REQUIRE_THROWS_WITH(TrainConfig::from_json(bad("pib.z_width", "knn")), Catch::Contains("pib.z_width"));
  REQUIRE_THROWS_WITH(TrainConfig::from_json(bad("batch_size", 1)), Catch::Contains("batch_size"));
  REQUIRE_THROWS_WITH(TrainConfig::from_json(bad("readout.lr", -1)), Catch::Contains("readout.lr"));
  REQUIRE_THROWS_WITH(TrainConfig::from_json(bad("pib.z_width.rule", "widest")),
                      Catch::Contains("pib.z_width"));
  REQUIRE_THROWS_WITH(TrainConfig::from_json(bad("pib.z_kernel", "cosine")),
                      Catch::Contains("pib.z_kernel") && Catch::Contains("gaussian or linear"));
  CHECK(TrainConfig::from_json(bad("pib.z_kernel", "linear")).pib.z_kernel ==
        pib::bottleneck::Kernel::linear);
  REQUIRE_THROWS_WITH(TrainConfig::from_json(bad("pib.features", -4)), Catch::Contains("pib.features"));
  const auto features = TrainConfig::from_json(bad("pib.features", 64));
  CHECK(features.pib.estimator.features == 64);
  CHECK(TrainConfig::from_json(features.to_json()).pib.estimator.features == 64);
  // A bad unit key is reported with the unit's index when the experiment builds its units.
  const auto cfg = TrainConfig::from_json(bad("units.0.n_speckle", 5));
  REQUIRE_THROWS_WITH(pib::train::run_training(cfg),
                      Catch::Contains("units[0]") && Catch::Contains("n_speckle"));
  // The round trip through to_json reads back to the same config.
  const auto good = TrainConfig::from_json(mnist1d_config());
  CHECK(TrainConfig::from_json(good.to_json()).to_json() == good.to_json());
}

TEST_CASE("the units are resolved along the chain: a configured input size that disagrees names its key",
          "[train][config]") {
  auto j = mnist1d_config();
  j["units"] = two_dense_units(32, 24);
  j["units"][1]["input_dim"] = 40;  // unit 0 puts out 32
  REQUIRE_THROWS_WITH(pib::train::run_training(pib::train::TrainConfig::from_json(j)),
                      Catch::Contains("units[1].input_dim") && Catch::Contains("32"));
  // The resolved configs (input sizes filled in) are what the start record reports.
  j["units"][1].erase("input_dim");
  j["epochs_per_unit"] = 0;
  nlohmann::json units;
  pib::train::Callbacks cb;
  cb.on_record = [&](const nlohmann::json& r) {
    if (r.at("type") == "start") units = r.at("units");
  };
  pib::train::run_training(pib::train::TrainConfig::from_json(j), cb);
  REQUIRE(units.size() == 2);
  CHECK(units[0].at("input_dim") == 40);
  CHECK(units[1].at("input_dim") == 32);
}

TEST_CASE("cascade PIB training raises readout accuracy over an untrained unit", "[train][learning]") {
  // The whole MNIST-1D training split through a 16-feature unit: over seeds 1-8 PIB adds 0.5-10.6 points to
  // the untrained unit's readout (3-6 points with 48 features on 1,000 samples: too close to noise).
  auto j = mnist1d_config();
  j["data"]["train_subset"] = 4000;
  j["units"][0]["output_dim"] = 16;
  pib::train::Callbacks cb;
  int epochs_logged = 0;
  cb.on_record = [&](const nlohmann::json& r) {
    if (r.at("type") == "epoch") {
      ++epochs_logged;
      CHECK(r.contains("I_xz"));
      CHECK(r.contains("I_yz"));
    }
  };
  const auto trained = pib::train::run_training(pib::train::TrainConfig::from_json(j), cb);
  CHECK(epochs_logged == 4);
  j["epochs_per_unit"] = 0;
  const auto untrained = pib::train::run_training(pib::train::TrainConfig::from_json(j));
  REQUIRE(trained.pib_deployed);
  REQUIRE(untrained.pib_deployed);
  CHECK(*trained.pib_deployed > *untrained.pib_deployed + 0.03);
  // Same seed, same result.
  j["epochs_per_unit"] = 4;
  const auto again = pib::train::run_training(pib::train::TrainConfig::from_json(j));
  CHECK(*again.pib_deployed == *trained.pib_deployed);
}

TEST_CASE("the feature-space estimator trains a unit in batches larger than its features",
          "[train][learning]") {
  // The test above with batches of 400 through pib.features 64 (bottleneck/features.hpp).
  auto j = mnist1d_config();
  j["data"]["train_subset"] = 4000;
  j["units"][0]["output_dim"] = 16;
  j["batch_size"] = 400;
  j["pib"]["features"] = 64;
  std::vector<double> i_yz;
  pib::train::Callbacks cb;
  cb.on_record = [&](const nlohmann::json& r) {
    if (r.at("type") == "epoch") i_yz.push_back(r.at("I_yz").get<double>());
  };
  const auto trained = pib::train::run_training(pib::train::TrainConfig::from_json(j), cb);
  j["epochs_per_unit"] = 0;
  const auto untrained = pib::train::run_training(pib::train::TrainConfig::from_json(j));
  REQUIRE(trained.pib_deployed);
  REQUIRE(untrained.pib_deployed);
  REQUIRE(i_yz.size() == 4);
  CHECK(i_yz.back() > i_yz.front());
  CHECK(*trained.pib_deployed > *untrained.pib_deployed + 0.03);
}

TEST_CASE("schedules: cascade trains units one after another, parallel at once", "[train][concurrency]") {
  auto j = mnist1d_config();
  j["units"] = two_dense_units(24, 16);
  j["epochs_per_unit"] = 2;
  j["data"]["train_subset"] = 400;
  for (const std::string schedule : {"cascade", "parallel"}) {
    j["schedule"] = schedule;
    std::vector<std::pair<int, int>> order;  // (unit, epoch) in record order
    pib::train::Callbacks cb;
    cb.on_record = [&](const nlohmann::json& r) {
      if (r.at("type") == "epoch") order.emplace_back(r.at("unit").get<int>(), r.at("epoch").get<int>());
    };
    const auto res = pib::train::run_training(pib::train::TrainConfig::from_json(j), cb);
    REQUIRE(order.size() == 4);
    REQUIRE(res.unit_readout_accuracy.size() == 2);
    if (schedule == "cascade")
      CHECK(order == std::vector<std::pair<int, int>>{{0, 1}, {0, 2}, {1, 1}, {1, 2}});
    for (double a : res.unit_readout_accuracy)
      CHECK(a > 0.15);  // above chance (0.1)
  }
}

TEST_CASE("the raw-response readout runs for units whose response is a raw physical readout",
          "[train][readout]") {
  auto j = mnist1d_config();
  j["epochs_per_unit"] = 0;
  j["compare"] = {{"raw_readout", true}};
  const auto crossbar = pib::train::run_training(pib::train::TrainConfig::from_json(j));
  CHECK(crossbar.raw_readout);
  CHECK_FALSE(crossbar.raw_speckle_readout);  // a crossbar's response is its quantised input
  j["units"] = nlohmann::json::array(
      {{{"kind", "optical"}, {"output_dim", 32}, {"n_speckle", 64}, {"time_scale", 1e9}}});
  const auto optical = pib::train::run_training(pib::train::TrainConfig::from_json(j));
  REQUIRE(optical.raw_speckle_readout);
  CHECK(*optical.raw_speckle_readout > 0.15);  // above chance (0.1)
}

TEST_CASE("backprop in silico deploys onto an ideal chip without loss", "[train][backprop]") {
  auto j = mnist1d_config();
  j["units"][0].update(ideal_chip());
  const auto res = backprop_deploys_without_loss(j);
  CHECK(res.bp_deployed_readout_refit);
}

TEST_CASE("standardize_inputs scales the inputs of later units, backprop deploys with the same maps",
          "[train][backprop]") {
  auto j = mnist1d_config();
  j["standardize_inputs"] = true;
  const auto cfg = pib::train::TrainConfig::from_json(j);
  const pib::train::Context ctx(cfg, {});
  pib::Rng rng(5);
  pib::units::Matrix x = pib::units::testing::uniform_matrix(200, 4, rng);
  x.col(1) *= 100.0;
  x.col(2).setConstant(3.0);  // no spread: centred, left unscaled
  const auto first = ctx.input_norm(x, 0), later = ctx.input_norm(x, 1);
  CHECK(first.gain.size() == 0);  // unit 0's input is the data set's
  const pib::units::Matrix y = pib::train::normalised(x, later);
  for (Eigen::Index c = 0; c < y.cols(); ++c) {
    CAPTURE(c);
    CHECK(std::abs(y.col(c).mean()) < 1e-9);
    const double sd = std::sqrt(y.col(c).array().square().mean());
    CHECK(sd == Approx(c == 2 ? 0.0 : 1.0).margin(1e-9));
  }

  // Backprop in silico trains with the same maps the devices are measured with: on ideal chips the
  // deployed network scores what the in-silico one did.
  j["units"] = two_dense_units(32, 24);
  for (auto& u : j["units"])
    u.update(ideal_chip());
  backprop_deploys_without_loss(j);
}

TEST_CASE("the deep configs parse, the MNIST-1D one trains both its units", "[train]") {
  const std::string dir = std::string(PIB_SOURCE_DIR) + "/configs/";
  const auto optical =
      pib::train::TrainConfig::from_json(pib::read_json_file(dir + "fashion_optical_deep.json"));
  CHECK(optical.units.size() == 2);
  auto j = pib::read_json_file(dir + "mnist1d_memristor_deep.json");
  const auto deep = pib::train::TrainConfig::from_json(j);
  CHECK(deep.standardize_inputs);
  j["data"]["train_subset"] = 300;  // a short run of the whole config: the second conv unit takes the first's
  j["epochs_per_unit"] = 1;         // pooled channels as its input
  j["calibration_samples"] = 100;
  j["readout"]["epochs"] = 10;
  const auto res = pib::train::run_training(pib::train::TrainConfig::from_json(j));
  REQUIRE(res.unit_readout_accuracy.size() == 2);
  CHECK(res.unit_readout_accuracy[1] > 0.3);  // chance is 0.1
}

TEST_CASE("fault experiment: broken ADC channels cost accuracy, retraining later units recovers",
          "[train][fault]") {
  auto j = mnist1d_config();
  j["units"] = two_dense_units(32, 24);
  j["epochs_per_unit"] = 2;
  j["faults"] = nlohmann::json::parse(
      R"([{"unit": 0, "inject": {"adc_channels": {"fraction": 0.5, "mode": "full_scale"}}}])");
  j["fault_recovery_epochs"] = 2;
  int fault_records = 0;
  pib::train::Callbacks cb;
  cb.on_record = [&](const nlohmann::json& r) { fault_records += r.at("type") == "fault"; };
  const auto res = pib::train::run_training(pib::train::TrainConfig::from_json(j), cb);
  REQUIRE(res.before_fault);
  CHECK(fault_records == 1);
  CHECK(*res.before_fault == *res.pib_deployed);
  CHECK(*res.after_fault < *res.before_fault - 0.1);
  CHECK(*res.after_recovery > *res.after_fault + 0.05);

  j["faults"][0]["inject"]["adc_channels"] = nlohmann::json::parse(R"([{"channel": 40, "mode": "zero"}])");
  REQUIRE_THROWS_WITH(pib::train::run_training(pib::train::TrainConfig::from_json(j)),
                      Catch::Contains("faults[0]") && Catch::Contains("adc_channels"));
}

TEST_CASE("unit selection on a held-out split keeps each unit's best epoch and stops early",
          "[train][validation]") {
  auto j = mnist1d_config();
  j["units"] = two_dense_units(32, 24);
  j["epochs_per_unit"] = 8;
  j["optimizer"]["lr"] = 0.03;  // large steps: held-out scores go up and down
  j["validation"] = {{"fraction", 0.2}, {"patience", 2}};
  j["compare"] = {{"pib_ideal", true}};
  std::vector<nlohmann::json> selected;
  pib::train::Callbacks cb;
  cb.on_record = [&](const nlohmann::json& r) {
    if (r.at("type") == "unit_selected") selected.push_back(r);
  };
  const auto res = pib::train::run_training(pib::train::TrainConfig::from_json(j), cb);
  CHECK_THAT(res.data, Catch::Contains("1000 train") && Catch::Contains("200 of them held out"));
  REQUIRE(selected.size() == 4);  // two units, devices and ideal
  int early_stops = 0, redeployed_ideal = 0;
  for (const auto& s : selected) {
    const auto scores = s.at("validation_accuracy_by_epoch").get<std::vector<double>>();
    const int trained = s.at("epochs_trained"), epoch = s.at("epoch");
    REQUIRE(scores.size() == static_cast<std::size_t>(trained) + 1);
    const auto best = std::max_element(scores.begin(), scores.end());
    CHECK(epoch == best - scores.begin());  // the first best epoch
    CHECK(s.at("validation_accuracy").get<double>() == *best);
    // Either every epoch ran, or the last `patience` epochs did not beat the kept one.
    CHECK((trained == 8 || trained - epoch == 2));
    early_stops += trained < 8;
    if (epoch != trained && s.at("stage") == "pib_ideal") {
      ++redeployed_ideal;  // an ideal unit takes the kept parameters back exactly
      CHECK(s.at("validation_accuracy_redeployed").get<double>() == *best);
    }
  }
  CHECK(early_stops > 0);
  CHECK(redeployed_ideal > 0);
  CHECK(res.unit_selected_epoch ==
        std::vector<int>{selected[0].at("epoch").get<int>(), selected[1].at("epoch").get<int>()});
  CHECK(res.unit_validation_accuracy.size() == 2);

  // Without patience every epoch trains; the selection still keeps the best.
  j["validation"]["patience"] = 0;
  j["compare"]["pib_ideal"] = false;
  selected.clear();
  pib::train::run_training(pib::train::TrainConfig::from_json(j), cb);
  REQUIRE(selected.size() == 2);
  for (const auto& s : selected) {
    CHECK(s.at("epochs_trained") == 8);
    const auto scores = s.at("validation_accuracy_by_epoch").get<std::vector<double>>();
    CHECK(s.at("epoch") == std::max_element(scores.begin(), scores.end()) - scores.begin());
  }

  j["validation"]["fraction"] = 1.0;
  REQUIRE_THROWS_WITH(pib::train::TrainConfig::from_json(j), Catch::Contains("validation.fraction"));
  j["validation"]["fraction"] = 0.001;  // one sample: fewer than one per class
  REQUIRE_THROWS_WITH(pib::train::run_training(pib::train::TrainConfig::from_json(j)),
                      Catch::Contains("validation.fraction") && Catch::Contains("one per class"));
  j["validation"]["fraction"] = 0.2;
  j["schedule"] = "parallel";
  REQUIRE_THROWS_WITH(pib::train::TrainConfig::from_json(j), Catch::Contains("validation.fraction"));
}

TEST_CASE("self-supervised PIB probes every K iterations", "[train][ssl]") {
  auto j = mnist1d_config();
  j["task"] = "self_supervised";
  j["ssl"] = {{"iterations_per_unit", 20}, {"probe_every", 10}, {"probe_train_samples", 500}};
  const auto res = pib::train::run_training(pib::train::TrainConfig::from_json(j));
  REQUIRE(res.probe_accuracy_by_iteration.size() == 3);
  CHECK(res.probe_accuracy_by_iteration[0].first == 0);
  CHECK(res.probe_accuracy_by_iteration[2].first == 20);
  REQUIRE(res.probe_accuracy_random_init);
  CHECK(*res.probe_accuracy_random_init == res.probe_accuracy_by_iteration[0].second);
  CHECK(res.probe_accuracy_raw_pixels);
}
