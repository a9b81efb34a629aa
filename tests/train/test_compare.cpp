// Tests of `pib compare`'s parts: direct feedback alignment (its error signal computed independently, its
// alignment with the true gradient rising) and physics-aware training (central differences) from
// train/measured_forward.hpp, the method registry, the compare config's errors, and a small comparison whose
// tests hit exactly the configured levels and fractions.
#include <cmath>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "bottleneck/objectives.hpp"
#include "common/config.hpp"
#include "common/error.hpp"
#include "common/run_dir.hpp"
#include "tests/train/small_config.hpp"
#include "train/compare.hpp"
#include "train/context.hpp"
#include "train/forward_forward.hpp"
#include "train/measured_forward.hpp"
#include "train/methods.hpp"
#include "units/ideal.hpp"

using pib::Rng;
using pib::train::Matrix;

namespace {

// Two noise-free digital units, so the true gradient through unit 1 is its ideal model's.
nlohmann::json digital_config() {
  auto j = small_config();
  j["units"] = nlohmann::json::parse(R"([{"kind": "digital_dense", "output_dim": 32, "activation": "tanh"},
                                          {"kind": "digital_dense", "output_dim": 32, "activation": "tanh"}])");
  return j;
}

double cosine(const Matrix& a, const Matrix& b) {
  return (a.array() * b.array()).sum() / (a.norm() * b.norm());
}

// A minibatch of the context's training split.
void batch(const pib::train::Context& ctx, Eigen::Index start, Eigen::Index rows, Matrix& x,
           std::vector<int>& y) {
  x = ctx.data.train.features.middleRows(start, rows);
  y.assign(ctx.data.train.labels.begin() + start, ctx.data.train.labels.begin() + start + rows);
}

}  // namespace

TEST_CASE("a DFA step gives each unit the output error through its own feedback matrix", "[train][dfa]") {
  const auto cfg = pib::train::TrainConfig::from_json(digital_config());
  pib::train::Context ctx(cfg, {});
  Rng feedback(1), rng(2);
  pib::train::MeasuredForwardTrainer dfa(ctx, pib::train::Feedback::direct_alignment, cfg.dfa, feedback);
  dfa.calibrate(rng);
  Matrix x;
  std::vector<int> y;
  batch(ctx, 0, 50, x, y);
  dfa.step(x, y, 1.0, rng);  // the head leaves zero
  const auto head = dfa.head();
  batch(ctx, 50, 50, x, y);
  dfa.step(x, y, 1.0, rng);
  // e = (softmax(logits) - onehot) / n from the last unit's measured output and the head before the step.
  const Matrix logits = dfa.measurement(1).output * head.weights() + head.bias().replicate(50, 1);
  Matrix e = logits;
  for (Eigen::Index i = 0; i < e.rows(); ++i) {
    const Eigen::RowVectorXd p = (logits.row(i).array() - logits.row(i).maxCoeff()).exp();
    e.row(i) = p / p.sum();
    e(i, y[static_cast<std::size_t>(i)]) -= 1.0;
  }
  e /= 50.0;
  for (std::size_t l = 0; l < 2; ++l) {
    INFO("unit " << l);
    CHECK((dfa.signal(l) - e * dfa.feedback(l)).cwiseAbs().maxCoeff() < 1e-12);
  }
  CHECK(dfa.feedback(0).rows() == ctx.n_classes);
  CHECK((dfa.feedback(0) - dfa.feedback(1).leftCols(32)).norm() > 0.1);  // each unit its own matrix
}

TEST_CASE("PIB + DFA gives the last unit the PIB gradient and the units before it its random projection",
          "[train][dfa]") {
  const auto cfg = pib::train::TrainConfig::from_json(digital_config());
  pib::train::Context ctx(cfg, {});
  Rng feedback(5), rng(6);
  pib::train::MeasuredForwardTrainer t(ctx, pib::train::Feedback::pib_alignment, cfg.pib_dfa, feedback);
  t.calibrate(rng);
  Matrix x;
  std::vector<int> y;
  batch(ctx, 0, 100, x, y);
  const double loss = t.step(x, y, 1.0, rng);
  // The PIB loss and its gradient computed here from the step's measured last output and centred input.
  const auto bt = pib::bottleneck::BatchTargets::supervised(t.input(0), ctx.sigma_x, y, ctx.n_classes,
                                                            ctx.pib.alpha, ctx.pib.estimator);
  pib::bottleneck::Workspace ws;
  Matrix g(100, 32);
  const auto terms = pib::bottleneck::pib_loss(bt, t.measurement(1).output, ctx.pib, ws, g);
  CHECK(loss == Approx(terms.loss).epsilon(1e-12));
  REQUIRE(g.norm() > 0);
  CHECK((t.signal(1) - g).cwiseAbs().maxCoeff() < 1e-12 * g.cwiseAbs().maxCoeff());
  CHECK((t.signal(0) - g * t.feedback(0)).cwiseAbs().maxCoeff() < 1e-12 * t.signal(0).cwiseAbs().maxCoeff());
  CHECK(t.feedback(0).rows() == 32);  // d_L x d_0
  // Trained five epochs, the epochs' mean PIB loss falls (-0.76 to -1.10 at this seed: I(Y; Z) rises).
  auto c = pib::train::TrainConfig::from_json(digital_config());
  std::vector<double> losses;
  pib::train::Callbacks record;  // the context keeps a reference
  record.on_record = [&](const nlohmann::json& r) {
    if (r.value("type", "") == "epoch" && r.value("stage", "") == "pib_dfa") losses.push_back(r["loss"]);
  };
  pib::train::Context trained(c, record);
  const auto out = pib::train::find_method("pib_dfa", "methods").train(trained);
  REQUIRE(out.size() == 1);
  CHECK(out[0].name == "pib_dfa");
  REQUIRE(losses.size() == 5);
  CHECK(losses.back() < losses.front() - 0.2);
}

TEST_CASE("DFA's signal to the first unit aligns with the true gradient as it trains", "[train][dfa]") {
  const auto cfg = pib::train::TrainConfig::from_json(digital_config());
  pib::train::Context ctx(cfg, {});
  Rng feedback(3), rng(4);
  pib::train::MeasuredForwardTrainer dfa(ctx, pib::train::Feedback::direct_alignment, cfg.dfa, feedback);
  dfa.calibrate(rng);
  const auto layer1 = pib::units::IdealLayer::from_unit_config(ctx.unit_configs[1], "units[1]");
  Matrix x;
  std::vector<int> y;
  // One step, and the cosine between the signal DFA gave unit 0 and the true dL/dZ_0 of that step: the error
  // through the head and unit 1's model as they were before the step updated them.
  auto step_alignment = [&](long step) {
    batch(ctx, (step % 10) * 100, 100, x, y);
    const auto head = dfa.head();
    const Eigen::VectorXd params1 = dfa.chain().units[1]->parameters();
    dfa.step(x, y, 1.0, rng);
    const Matrix dz1 = dfa.error() * head.weights().transpose();
    Matrix dz0;
    Eigen::VectorXd grad(layer1.parameter_count());
    layer1.backward(params1, dfa.input(1), dfa.measurement(1).output, dz1, grad, &dz0);
    return cosine(dfa.signal(0), dz0);
  };
  step_alignment(0);  // the head starts at zero: no true gradient reaches unit 0 yet
  double early = 0, late = 0;
  for (long s = 1; s <= 5; ++s)
    early += step_alignment(s) / 5;
  for (long s = 6; s < 300; ++s)
    step_alignment(s);
  for (long s = 300; s < 305; ++s)
    late += step_alignment(s) / 5;
  INFO("alignment early " << early << ", late " << late);
  CHECK(late > early + 0.2);
  CHECK(late > 0.3);
}

TEST_CASE("physics-aware training with exact twins hands each unit the true dL/dZ", "[train][pat]") {
  // Noise-free digital units: the twins are exact, so the signal to unit 0 is the loss's derivative with
  // respect to unit 0's output, checked by central differences through unit 1's input map and model and
  // the head; with standardize_inputs the map scales each feature.
  const bool standardize = GENERATE(false, true);
  CAPTURE(standardize);
  auto config = digital_config();
  config["standardize_inputs"] = standardize;
  const auto cfg = pib::train::TrainConfig::from_json(config);
  pib::train::Context ctx(cfg, {});
  Rng unused(5), rng(6);
  pib::train::MeasuredForwardTrainer pat(ctx, pib::train::Feedback::twin, cfg.pat, unused);
  pat.calibrate(rng);
  Matrix x;
  std::vector<int> y;
  batch(ctx, 0, 40, x, y);
  pat.step(x, y, 1.0, rng);  // the head leaves zero
  const auto head = pat.head();
  const Eigen::VectorXd params1 = pat.chain().units[1]->parameters();
  const pib::train::InputNorm norm1 = pat.chain().norms[1];
  REQUIRE((norm1.gain.size() > 0) == standardize);
  batch(ctx, 40, 40, x, y);
  pat.step(x, y, 1.0, rng);
  const auto layer1 = pib::units::IdealLayer::from_unit_config(ctx.unit_configs[1], "units[1]");
  auto loss = [&](const Matrix& z0) {
    Matrix z1, g;
    layer1.forward(params1, pib::train::normalised(z0, norm1), z1);
    const Matrix logits = z1 * head.weights() + head.bias().replicate(z1.rows(), 1);
    return pib::train::softmax_cross_entropy(logits, y, g);
  };
  const Matrix z0 = pat.measurement(0).output;
  const double h = 1e-6;
  double worst = 0, scale = pat.signal(0).cwiseAbs().maxCoeff();
  REQUIRE(scale > 0);
  for (const auto& [i, j] : {std::pair{0, 0}, {3, 7}, {17, 31}, {39, 12}, {25, 5}}) {
    Matrix up = z0, down = z0;
    up(i, j) += h;
    down(i, j) -= h;
    worst = std::max(worst, std::abs((loss(up) - loss(down)) / (2 * h) - pat.signal(0)(i, j)));
  }
  CHECK(worst < 1e-6 * scale + 1e-9);
  // An optical unit after the first has no ideal model to carry the error down: PAT names it. First in the
  // chain it needs none (its trainable layer acts on the measured frame).
  auto optical = small_config();
  optical["units"] = nlohmann::json::parse(
      R"([{"kind": "digital_dense", "output_dim": 16}, {"kind": "optical", "output_dim": 16, "n_speckle": 64}])");
  const auto ocfg = pib::train::TrainConfig::from_json(optical);
  pib::train::Context octx(ocfg, {});
  REQUIRE_THROWS_WITH(pib::train::MeasuredForwardTrainer(octx, pib::train::Feedback::twin, ocfg.pat, unused),
                      Catch::Contains("units[1]") && Catch::Contains("ideal model"));
  optical["units"] = nlohmann::json::parse(R"([{"kind": "optical", "output_dim": 16, "n_speckle": 64}])");
  const auto first = pib::train::TrainConfig::from_json(optical);
  pib::train::Context fctx(first, {});
  CHECK_NOTHROW(pib::train::MeasuredForwardTrainer(fctx, pib::train::Feedback::twin, first.pat, unused));
}

TEST_CASE("PhyLL's goodness loss and its derivative match central differences", "[train][phyll]") {
  Rng rng(7);
  Matrix z = Matrix::Random(6, 5);
  for (const double sign : {-1.0, 1.0}) {
    Matrix dz, unused;
    const double loss = pib::train::goodness_loss(z, 0.3, sign, dz);
    // By hand for row 0: softplus(sign (mean z^2 - theta)) / rows.
    double by_hand = 0;
    for (Eigen::Index i = 0; i < z.rows(); ++i)
      by_hand += std::log1p(std::exp(sign * (z.row(i).squaredNorm() / 5.0 - 0.3))) / 6.0;
    CHECK(loss == Approx(by_hand).epsilon(1e-12));
    for (Eigen::Index i = 0; i < z.rows(); ++i)
      for (Eigen::Index j = 0; j < z.cols(); ++j) {
        Matrix up = z, down = z;
        up(i, j) += 1e-6;
        down(i, j) -= 1e-6;
        const double fd = (pib::train::goodness_loss(up, 0.3, sign, unused) -
                           pib::train::goodness_loss(down, 0.3, sign, unused)) /
                          2e-6;
        CHECK(dz(i, j) == Approx(fd).margin(1e-8));
      }
  }
}

TEST_CASE("the method registry finds every method and names the known ones otherwise", "[train][compare]") {
  for (const auto& m : pib::train::training_methods())
    CHECK(&pib::train::find_method(m.name, "methods") == &m);
  REQUIRE_THROWS_WITH(pib::train::find_method("hebbian", "methods"),
                      Catch::Contains("methods") && Catch::Contains("hebbian") && Catch::Contains("pat"));
}

TEST_CASE("compare config errors name the key", "[train][compare][config]") {
  using pib::train::CompareConfig;
  auto bad = [](const std::string& key, const nlohmann::json& value) {
    auto j = small_config();
    pib::apply_override(j, key + "=" + value.dump());
    return j;
  };
  REQUIRE_THROWS_WITH(CompareConfig::from_json(bad("methods", nlohmann::json::array({"pib", "hebbian"}))),
                      Catch::Contains("methods") && Catch::Contains("hebbian"));
  REQUIRE_THROWS_WITH(CompareConfig::from_json(bad("methods", nlohmann::json::array())),
                      Catch::Contains("methods"));
  REQUIRE_THROWS_WITH(
      CompareConfig::from_json(bad("tests", nlohmann::json::array({"input_noise", "adversarial"}))),
      Catch::Contains("tests") && Catch::Contains("adversarial"));
  REQUIRE_THROWS_WITH(CompareConfig::from_json(bad("data_fractions", {0.1, 0.0})),
                      Catch::Contains("data_fractions"));
  REQUIRE_THROWS_WITH(CompareConfig::from_json(bad("data_fractions", {1.5})),
                      Catch::Contains("data_fractions"));
  REQUIRE_THROWS_WITH(CompareConfig::from_json(bad("generalisation.data_fraction", 0.5)),
                      Catch::Contains("generalisation.data_fraction"));
  REQUIRE_THROWS_WITH(CompareConfig::from_json(bad("dfa.epochs", 0)), Catch::Contains("dfa.epochs"));
  REQUIRE_THROWS_WITH(CompareConfig::from_json(bad("dfa.momentum", 0.9)), Catch::Contains("momentum"));
  REQUIRE_THROWS_WITH(CompareConfig::from_json(bad("task", "self_supervised")), Catch::Contains("task"));
  REQUIRE_THROWS_WITH(CompareConfig::from_json(bad("backprop.enabled", true)),
                      Catch::Contains("backprop.enabled"));
  REQUIRE_THROWS_WITH(CompareConfig::from_json(bad("compare.pib_ideal", true)),
                      Catch::Contains("compare.pib_ideal"));
  // A held-out class MNIST-1D does not have: before any method trains.
  const auto cfg = CompareConfig::from_json(bad("generalisation.held_out_classes", {3, 10}));
  REQUIRE_THROWS_WITH(pib::train::run_compare(cfg, {}), Catch::Contains("generalisation.held_out_classes"));
  // Methods that need a model of an optical unit, before anything runs: PAT and backprop through an optical
  // unit after the first name it; backprop with an optical first unit needs a twin budget that determines it
  // (2 x 40 pixels + 1 = 81 samples for MNIST-1D's 40 features, binary encoded).
  auto optical = small_config();
  optical["units"] = nlohmann::json::parse(
      R"([{"kind": "digital_dense", "output_dim": 16}, {"kind": "optical", "output_dim": 16, "n_speckle": 64}])");
  for (const char* method : {"pat", "backprop"}) {
    optical["methods"] = nlohmann::json::array({"pib", method});
    REQUIRE_THROWS_WITH(CompareConfig::from_json(optical),
                        Catch::Contains("methods") && Catch::Contains(method) && Catch::Contains("units[1]"));
  }
  optical["units"] = nlohmann::json::parse(
      R"([{"kind": "optical", "output_dim": 16, "n_speckle": 64, "encoding": "binary"}])");
  optical["methods"] = nlohmann::json::array({"pib", "backprop", "pat", "dfa", "phyll"});
  optical["twin"] = {{"samples", 80}};
  REQUIRE_THROWS_WITH(pib::train::run_compare(CompareConfig::from_json(optical), {}),
                      Catch::Contains("twin.samples") && Catch::Contains(">= 81"));
  optical["twin"] = {{"samples", 81}};
  CHECK_NOTHROW(CompareConfig::from_json(optical));
  // Defaults: every method, every test, the paper's noise levels.
  const auto d = CompareConfig::from_json(small_config());
  CHECK(d.methods == std::vector<std::string>{"pib", "backprop", "pat", "dfa", "pib_dfa", "phyll"});
  CHECK(d.tests.size() == 3);
  CHECK(d.train.generalisation.input_noise == std::vector<double>{0, 0.01, 0.02, 0.03, 0.04, 0.05});
}

TEST_CASE("a comparison scores every method variant at exactly the configured levels and fractions",
          "[train][compare]") {
  auto j = small_config();
  j["data_fractions"] = {0.25, 1.0};
  j["generalisation"] = {{"input_noise", {0.0, 0.03}}, {"held_out_classes", {2, 5}}};
  std::vector<nlohmann::json> records;
  pib::train::Callbacks cb;
  cb.on_record = [&](const nlohmann::json& r) { records.push_back(r); };
  std::set<std::string> progress_runs;
  cb.on_progress = [&](const pib::train::Progress& p) {
    progress_runs.insert(p.stage.substr(0, p.stage.find(']') + 1));
  };
  const auto result = pib::train::run_compare(pib::train::CompareConfig::from_json(j), cb);
  std::vector<std::string> names;
  for (const auto& [name, s] : result.variants) {
    INFO(name);
    names.push_back(name);
    REQUIRE(s.input_noise.size() == 2);
    CHECK(s.input_noise[0].first == 0.0);
    CHECK(s.input_noise[1].first == 0.03);
    REQUIRE(s.data_fraction.size() == 2);
    CHECK(s.data_fraction[0].first == 0.25);
    CHECK(s.data_fraction[1] == std::pair<double, double>{1.0, s.accuracy});  // the full run's accuracy
    CHECK(std::abs(s.input_noise[0].second - s.accuracy) < 0.03);             // measured again, same devices
    REQUIRE(s.ood_auroc_msp);
    CHECK((*s.ood_auroc_msp >= 0.0 && *s.ood_auroc_msp <= 1.0));
    REQUIRE(s.ood_roc_msp.size() >= 2);  // the "ood" run's curves
    CHECK(s.ood_roc_msp.back() == std::pair<double, double>{1.0, 1.0});
    CHECK(s.ood_roc_energy.front() == std::pair<double, double>{0.0, 0.0});
    CHECK(s.device.size() == 1);
    CHECK(s.accuracy > 0.125 + 0.02);  // eight classes: chance is 0.125
  }
  CHECK(names == std::vector<std::string>{"pib", "bp_deployed", "bp_deployed_readout_refit", "pat", "dfa",
                                          "pib_dfa", "phyll"});
  // Three runs (the held-out classes, full, fraction 0.25), each tagged in its records.
  int starts = 0;
  for (const auto& r : records)
    if (r.value("type", "") == "start") {
      ++starts;
      CHECK(r.contains("run"));
    }
  CHECK(starts == 3);
  CHECK(progress_runs == std::set<std::string>{"[ood]", "[full]", "[data_fraction 0.25]"});
  const auto js = result.to_json();
  CHECK(js["devices"] == "simulated");
  CHECK(js["methods"]["dfa"]["input_noise"].size() == 2);
  CHECK(js["methods"]["dfa"]["ood_roc"]["msp"]["fpr"].size() ==
        js["methods"]["dfa"]["ood_roc"]["msp"]["tpr"].size());
  const auto table = result.markdown();
  CHECK(table.find("| dfa |") != std::string::npos);
  CHECK(table.find("noise 3.00 %") != std::string::npos);
}

TEST_CASE("the shipped comparison configs parse with their methods and tests", "[train][compare]") {
  const std::string dir = std::string(PIB_SOURCE_DIR) + "/configs/";
  const auto mnist1d =
      pib::train::CompareConfig::from_json(pib::read_json_file(dir + "compare_mnist1d_memristor.json"));
  CHECK(mnist1d.methods == std::vector<std::string>{"pib", "backprop", "pat", "dfa", "phyll"});
  CHECK(mnist1d.tests.size() == 3);
  const auto optical =
      pib::train::CompareConfig::from_json(pib::read_json_file(dir + "compare_fashion_optical.json"));
  CHECK(optical.methods == mnist1d.methods);
  CHECK(optical.train.units[0]["kind"] == "optical");
  CHECK(optical.train.twin.samples == 12000);
  const auto two = pib::train::CompareConfig::from_json(
      pib::read_json_file(dir + "compare_mnist1d_memristor_two_units.json"));
  CHECK(two.methods == std::vector<std::string>{"pib", "pib_dfa", "dfa"});
  CHECK(two.train.units.size() == 2);
}
