// Tests of the generalisation tests (train/generalisation.hpp): AUROC, the ROC curve and the OOD scores
// against hand-computed cases, the curve's area against AUROC on random cases with ties, its thinning for
// files, the input noise and the data fraction hitting what the config says, the held-out classes, the config
// errors, and a small run that reports all three.
#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "common/config.hpp"
#include "common/error.hpp"
#include "tests/train/small_config.hpp"
#include "train/context.hpp"
#include "train/generalisation.hpp"
#include "train/trainer.hpp"

using pib::Rng;
using pib::train::Matrix;
using Curve = std::vector<std::pair<double, double>>;

namespace {

// The trapezoid area under (fpr, tpr) points.
double trapezoid_area(const Curve& curve) {
  double area = 0.0;
  for (std::size_t i = 1; i < curve.size(); ++i)
    area += (curve[i].first - curve[i - 1].first) * 0.5 * (curve[i].second + curve[i - 1].second);
  return area;
}

bool monotone(const Curve& curve) {
  for (std::size_t i = 1; i < curve.size(); ++i)
    if (curve[i].first < curve[i - 1].first || curve[i].second < curve[i - 1].second) return false;
  return true;
}

pib::train::TrainConfig with(const std::string& key, const nlohmann::json& value) {
  auto j = small_config();
  pib::apply_override(j, key + "=" + value.dump());
  return pib::train::TrainConfig::from_json(j);
}

}  // namespace

TEST_CASE("auroc counts the pairs a positive wins, ties one half", "[train][generalisation]") {
  using pib::train::auroc;
  // Positives 0.9, 0.4, 0.7 against negatives 0.1, 0.4, 0.35, 0.8: they win 4, 2 + 1/2 and 3 of 4 pairs each.
  const std::vector<double> neg{0.1, 0.4, 0.35, 0.8}, pos{0.9, 0.4, 0.7};
  CHECK(auroc(neg, pos) == Approx(9.5 / 12.0).epsilon(1e-12));
  CHECK(auroc(pos, neg) == Approx(1.0 - 9.5 / 12.0).epsilon(1e-12));  // swapping the sides complements it
  CHECK(auroc(std::vector<double>{1, 2}, std::vector<double>{3, 4, 5}) == 1.0);
  CHECK(auroc(std::vector<double>{3, 4}, std::vector<double>{1, 2}) == 0.0);
  CHECK(auroc(std::vector<double>{2, 2}, std::vector<double>{2}) == 0.5);
  REQUIRE_THROWS_AS(auroc(std::vector<double>{}, pos), pib::InvalidArgument);
  REQUIRE_THROWS_AS(auroc(neg, std::vector<double>{NAN}), pib::InvalidArgument);
}

TEST_CASE("the ROC curve steps once per distinct score, a tie of both sides diagonally",
          "[train][generalisation]") {
  using pib::train::roc_curve;
  // Falling scores 0.9 p, 0.8 n, 0.7 p, 0.4 n and p tied, 0.35 n, 0.1 n: 4 negatives, 3 positives.
  const std::vector<double> neg{0.1, 0.4, 0.35, 0.8}, pos{0.9, 0.4, 0.7};
  const Curve expected{{0.0, 0.0}, {0.0, 1.0 / 3}, {0.25, 1.0 / 3}, {0.25, 2.0 / 3},
                       {0.5, 1.0}, {0.75, 1.0},    {1.0, 1.0}};
  CHECK(roc_curve(neg, pos) == expected);
  CHECK(trapezoid_area(expected) == Approx(9.5 / 12.0).epsilon(1e-12));  // the auroc case above: 19/24
  // All tied: one diagonal step; perfectly separated: up the tpr axis first.
  CHECK(roc_curve(std::vector<double>{2, 2}, std::vector<double>{2}) == Curve{{0, 0}, {1, 1}});
  CHECK(roc_curve(std::vector<double>{1, 2}, std::vector<double>{3, 4}) ==
        Curve{{0, 0}, {0, 0.5}, {0, 1}, {0.5, 1}, {1, 1}});
  REQUIRE_THROWS_AS(roc_curve(std::vector<double>{}, pos), pib::InvalidArgument);
  REQUIRE_THROWS_AS(roc_curve(neg, std::vector<double>{}), pib::InvalidArgument);
  REQUIRE_THROWS_AS(roc_curve(neg, std::vector<double>{0.5, NAN}), pib::InvalidArgument);
  REQUIRE_THROWS_AS(roc_curve(std::vector<double>{INFINITY}, pos), pib::InvalidArgument);
}

TEST_CASE("the ROC curve's trapezoid area is the AUROC, ties included", "[train][generalisation]") {
  Rng rng(11);
  for (int trial = 0; trial < 50; ++trial) {
    // Scores rounded to one decimal: many ties within and across the sides; positives shifted up a little.
    const auto n_neg = 1 + rng.below(60), n_pos = 1 + rng.below(60);
    std::vector<double> neg, pos;
    for (std::uint64_t i = 0; i < n_neg; ++i)
      neg.push_back(std::round(10.0 * rng.normal()) / 10.0);
    for (std::uint64_t i = 0; i < n_pos; ++i)
      pos.push_back(std::round(10.0 * (rng.normal() + 0.5)) / 10.0);
    INFO("trial " << trial << ": " << n_neg << " negatives, " << n_pos << " positives");
    const auto curve = pib::train::roc_curve(neg, pos);
    std::set<double> distinct(neg.begin(), neg.end());
    distinct.insert(pos.begin(), pos.end());
    CHECK(curve.size() == distinct.size() + 1);
    CHECK(curve.front() == std::pair<double, double>{0.0, 0.0});
    CHECK(curve.back() == std::pair<double, double>{1.0, 1.0});
    CHECK(monotone(curve));
    CHECK(trapezoid_area(curve) == Approx(pib::train::auroc(neg, pos)).margin(1e-12));
  }
}

TEST_CASE("a thinned ROC curve keeps its ends, few points and its area", "[train][generalisation]") {
  using pib::train::thin_roc;
  // Steps of at least 1/4 in fpr + tpr: nothing to thin at 0.02.
  const auto small =
      pib::train::roc_curve(std::vector<double>{0.1, 0.4, 0.35, 0.8}, std::vector<double>{0.9, 0.4, 0.7});
  CHECK(thin_roc(small, 0.02) == small);
  Rng rng(5);
  std::vector<double> neg(5000), pos(1000);
  for (auto& s : neg)
    s = rng.normal();
  for (auto& s : pos)
    s = rng.normal() + 1.0;
  const auto curve = pib::train::roc_curve(neg, pos);
  REQUIRE(curve.size() == 6001);
  const auto thin = thin_roc(curve, 0.02);
  CHECK(thin.size() <= 202);  // 4 / min_step + 2
  CHECK(thin.size() >= 101);  // every chord spans under 0.02 here (single steps are 1/5000 or 1/1000)
  CHECK(thin.front() == curve.front());
  CHECK(thin.back() == curve.back());
  CHECK(monotone(thin));
  for (const auto& point : thin)  // points of the curve, not new ones
    CHECK(std::find(curve.begin(), curve.end(), point) != curve.end());
  CHECK(std::abs(trapezoid_area(thin) - trapezoid_area(curve)) <= 0.01);  // min_step / 2
  const auto js = pib::train::ood_roc_json(curve, small);
  CHECK(js["msp"]["fpr"].size() == thin.size());
  CHECK(js["msp"]["tpr"].size() == thin.size());
  CHECK(js["msp"]["tpr"][1].get<double>() == thin[1].second);
  CHECK(js["energy"]["fpr"] == nlohmann::json{0.0, 0.0, 0.25, 0.25, 0.5, 0.75, 1.0});
}

TEST_CASE("the OOD scores are the negated maximum softmax probability and the energy",
          "[train][generalisation]") {
  Matrix logits(2, 2);
  logits << 0.0, std::log(3.0),  // softmax (1/4, 3/4), log-sum-exp log 4
      5.0, 5.0;                  // (1/2, 1/2), 5 + log 2
  const auto msp = pib::train::msp_ood_score(logits);
  const auto energy = pib::train::energy_ood_score(logits);
  CHECK(msp[0] == Approx(-0.75).epsilon(1e-12));
  CHECK(msp[1] == Approx(-0.5).epsilon(1e-12));
  CHECK(energy[0] == Approx(-std::log(4.0)).epsilon(1e-12));
  CHECK(energy[1] == Approx(-5.0 - std::log(2.0)).epsilon(1e-12));
}

TEST_CASE("input noise has the requested standard deviation and none at level 0", "[train][generalisation]") {
  Rng rng(3);
  Matrix x = Matrix::Random(400, 50);
  const Matrix noisy = pib::train::with_input_noise(x, 0.2, rng);
  const Eigen::ArrayXXd d = (noisy - x).array();
  const double n = static_cast<double>(d.size());
  const double mean = d.sum() / n, sd = std::sqrt((d - mean).square().sum() / (n - 1));
  CHECK(std::abs(mean) < 4.0 * 0.2 / std::sqrt(n));
  CHECK(sd == Approx(0.2).epsilon(0.02));  // 20,000 draws: the sample std is within 1 % at 2 sigma
  CHECK(pib::train::with_input_noise(x, 0.0, rng) == x);
}

TEST_CASE("held-out classes leave training, relabel the rest and make the OOD set",
          "[train][generalisation]") {
  pib::data::Dataset d;
  d.name = "toy";
  d.class_names = {"a", "b", "c", "d"};
  d.train.features = Matrix(8, 1);
  d.test.features = Matrix(8, 1);
  for (int i = 0; i < 8; ++i) {
    d.train.features(i, 0) = i;
    d.test.features(i, 0) = 10 + i;
    d.train.labels.push_back(i % 4);
    d.test.labels.push_back(i % 4);
  }
  pib::data::Split ood;
  const auto kept = pib::train::without_classes(d, {1, 3}, "key", ood);
  CHECK(kept.class_names == std::vector<std::string>{"a", "c"});
  CHECK(kept.train.labels == std::vector<int>{0, 1, 0, 1});
  CHECK(kept.train.features(1, 0) == 2.0);  // the sample of class c, now label 1
  CHECK(kept.test.size() == 4);
  CHECK(ood.labels == std::vector<int>{1, 3, 1, 3});
  CHECK(ood.features(0, 0) == 11.0);
  REQUIRE_THROWS_WITH(pib::train::without_classes(d, {4}, "key", ood), Catch::Contains("key"));
  REQUIRE_THROWS_WITH(pib::train::without_classes(d, {1, 1}, "key", ood), Catch::Contains("once"));
  REQUIRE_THROWS_WITH(pib::train::without_classes(d, {0, 1, 2}, "key", ood), Catch::Contains("two"));
}

TEST_CASE("generalisation config errors name the key", "[train][generalisation][config]") {
  REQUIRE_THROWS_WITH(with("generalisation.data_fraction", 0),
                      Catch::Contains("generalisation.data_fraction"));
  REQUIRE_THROWS_WITH(with("generalisation.data_fraction", 1.5),
                      Catch::Contains("generalisation.data_fraction"));
  REQUIRE_THROWS_WITH(with("generalisation.input_noise", nlohmann::json::array({0.01, -0.1})),
                      Catch::Contains("generalisation.input_noise"));
  REQUIRE_THROWS_WITH(with("generalisation.held_out_classes", nlohmann::json::array({-1})),
                      Catch::Contains("generalisation.held_out_classes"));
  REQUIRE_THROWS_WITH(with("generalisation.levels", 2), Catch::Contains("levels"));  // unknown key
  // A class the dataset does not have (MNIST-1D has 10) and a fraction too small for one sample per class.
  REQUIRE_THROWS_WITH(
      pib::train::run_training(with("generalisation.held_out_classes", nlohmann::json::array({10}))),
      Catch::Contains("generalisation.held_out_classes"));
  REQUIRE_THROWS_WITH(pib::train::run_training(with("generalisation.data_fraction", 0.005)),
                      Catch::Contains("generalisation.data_fraction"));
  auto ssl = small_config();
  ssl["task"] = "self_supervised";
  ssl["generalisation"] = {{"input_noise", {0.01}}};
  REQUIRE_THROWS_WITH(pib::train::TrainConfig::from_json(ssl), Catch::Contains("generalisation"));
}

TEST_CASE("the data fraction trains on that stratified share of the training split",
          "[train][generalisation]") {
  const auto cfg = with("generalisation.data_fraction", 0.25);
  const pib::train::Context full(pib::train::TrainConfig::from_json(small_config()), {});
  const pib::train::Context part(cfg, {});
  REQUIRE(full.data.train.size() == 1000);
  CHECK(part.data.train.size() == 250);
  const auto all = full.data.train.class_counts(10), kept = part.data.train.class_counts(10);
  for (std::size_t c = 0; c < 10; ++c)  // stratified: every class keeps a quarter, up to rounding
    CHECK(std::abs(static_cast<double>(kept[c]) - 0.25 * static_cast<double>(all[c])) <= 1.0);
  CHECK(part.data.test.size() == full.data.test.size());
  const pib::train::Context part_again(cfg, {});  // seeded: the same subset again
  CHECK(part_again.data.train.features == part.data.train.features);
}

TEST_CASE("a supervised run reports accuracy under input noise and the OOD AUROCs",
          "[train][generalisation]") {
  auto j = small_config();
  j["generalisation"] = {{"input_noise", {0.0, 1.0}}, {"held_out_classes", {0, 1}}};
  j["backprop"] = {{"enabled", true}, {"epochs", 3}};
  std::vector<nlohmann::json> records;
  pib::train::Callbacks cb;
  cb.on_record = [&](const nlohmann::json& r) { records.push_back(r); };
  const auto result = pib::train::run_training(pib::train::TrainConfig::from_json(j), cb);
  REQUIRE(result.pib_deployed);
  REQUIRE(result.bp_deployed);
  REQUIRE(result.generalisation.size() == 3);
  // Level 0 measures the test split again: each method's deployed accuracy up to the devices' noise.
  const std::map<std::string, double> deployed{
      {"pib", *result.pib_deployed},
      {"bp_deployed", *result.bp_deployed},
      {"bp_deployed_readout_refit", *result.bp_deployed_readout_refit}};
  for (const auto& [method, accuracy] : deployed) {
    INFO(method);
    const auto& s = result.generalisation.at(method);
    REQUIRE(s.accuracy_by_input_noise.size() == 2);
    const auto [level0, clean] = s.accuracy_by_input_noise[0];
    const auto [level1, noisy] = s.accuracy_by_input_noise[1];
    CHECK(level0 == 0.0);
    CHECK(level1 == 1.0);
    CHECK(std::abs(clean - accuracy) < 0.03);
    if (method != "bp_deployed") {  // (the deployed backprop head, three epochs in, is near chance here)
      CHECK(clean > 0.3);           // eight classes: chance is 0.125
      CHECK(noisy < clean - 0.1);   // noise the size of the input range costs accuracy
    }
    REQUIRE(s.ood_auroc_msp);
    REQUIRE(s.ood_auroc_energy);
    for (const double a : {*s.ood_auroc_msp, *s.ood_auroc_energy})
      CHECK((a >= 0.0 && a <= 1.0));
    CHECK(trapezoid_area(s.ood_roc_msp) == Approx(*s.ood_auroc_msp).margin(1e-12));
    CHECK(trapezoid_area(s.ood_roc_energy) == Approx(*s.ood_auroc_energy).margin(1e-12));
  }
  const auto js = result.to_json();
  CHECK(js["generalisation"]["pib"]["input_noise"].size() == 2);
  CHECK(js["generalisation"]["bp_deployed"]["ood_auroc"].contains("energy"));
  const auto& roc = js["generalisation"]["bp_deployed"]["ood_roc"]["energy"];
  REQUIRE(roc["fpr"].size() == roc["tpr"].size());
  CHECK(roc["fpr"].front() == 0.0);
  CHECK(roc["tpr"].back() == 1.0);
  int generalisation_records = 0;
  for (const auto& r : records)
    generalisation_records += r.value("type", "") == "generalisation";
  CHECK(generalisation_records == 9);  // per method: two noise levels and the OOD test
  CHECK(result.data.find("classes [0,1] held out") != std::string::npos);
}
