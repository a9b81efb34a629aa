// The Dataset type: normalisation fitted on train only, seeded batching, stratified subsets, the catalog.
#include <algorithm>
#include <catch2/catch.hpp>
#include <set>

#include "common/error.hpp"
#include "data/catalog.hpp"
#include "data/dataset.hpp"

using namespace pib::data;

namespace {
Dataset toy(std::size_t n_train = 30, std::size_t n_test = 10) {
  Dataset d;
  d.name = "toy";
  d.sample_shape = {3};
  d.class_names = {"a", "b", "c"};
  d.train.features.resize(static_cast<Eigen::Index>(n_train), 3);
  for (std::size_t i = 0; i < n_train; ++i) {
    const auto r = static_cast<Eigen::Index>(i);
    d.train.features.row(r) << static_cast<double>(i), 2.0 * static_cast<double>(i) + 5.0, 7.0;
    d.train.labels.push_back(static_cast<int>(i % 3));
  }
  d.test.features = Matrix::Constant(static_cast<Eigen::Index>(n_test), 3, 100.0);
  d.test.labels.assign(n_test, 1);
  return d;
}
}  // namespace

TEST_CASE("Normalisation is fitted on the training split only", "[data][dataset]") {
  SECTION("per feature") {
    Dataset d = toy();
    const Normalisation n = normalise(d, NormalisationKind::per_feature);
    CHECK(n.mean(0) == Approx(14.5));
    CHECK(n.mean(1) == Approx(34.0));
    CHECK(n.stddev(2) == 1.0);  // constant column: divided by one
    const Eigen::RowVectorXd mean = d.train.features.colwise().mean();
    CHECK(mean.cwiseAbs().maxCoeff() < 1e-12);
    CHECK((d.train.features.col(0).array().square().mean()) == Approx(1.0));
    // The test split used the training statistics: (100 - 14.5) / sd_train.
    CHECK(d.test.features(0, 0) == Approx((100.0 - 14.5) / n.stddev(0)));
    CHECK(d.test.features(0, 2) == Approx(93.0));
  }
  SECTION("global") {
    Dataset d = toy();
    const double mean = d.train.features.mean();
    const Normalisation n = normalise(d, NormalisationKind::global);
    CHECK(n.mean(0) == Approx(mean));
    CHECK(n.mean(2) == Approx(mean));
    CHECK(d.train.features.mean() == Approx(0.0).margin(1e-12));
    CHECK(std::sqrt(d.train.features.array().square().mean()) == Approx(1.0));
    CHECK(d.test.features(0, 0) == Approx((100.0 - mean) / n.stddev(0)));
  }
  CHECK(parse_normalisation("per_feature") == NormalisationKind::per_feature);
  CHECK_THROWS_AS(parse_normalisation("minmax"), pib::ConfigError);
}

TEST_CASE("MiniBatcher visits every sample once per epoch, reproducibly per seed", "[data][dataset]") {
  const Dataset d = toy(23);
  MiniBatcher batches(d.train, 5);
  CHECK(batches.batches_per_epoch() == 5);
  Batch b;
  CHECK_FALSE(batches.next(b));  // nothing before start_epoch
  auto epoch = [&](std::uint64_t seed) {
    pib::Rng rng(seed);
    batches.start_epoch(rng);
    std::vector<std::size_t> order;
    while (batches.next(b)) {
      REQUIRE(b.features.rows() == static_cast<Eigen::Index>(b.indices.size()));
      for (std::size_t i = 0; i < b.indices.size(); ++i) {
        CHECK(b.features(static_cast<Eigen::Index>(i), 0) == static_cast<double>(b.indices[i]));
        CHECK(b.labels[i] == d.train.labels[b.indices[i]]);
      }
      order.insert(order.end(), b.indices.begin(), b.indices.end());
    }
    return order;
  };
  const auto first = epoch(1);
  CHECK(first.size() == 23);
  CHECK(std::set<std::size_t>(first.begin(), first.end()).size() == 23);
  CHECK(epoch(1) == first);
  CHECK(epoch(2) != first);
  MiniBatcher dropping(d.train, 5, true);
  CHECK(dropping.batches_per_epoch() == 4);
  pib::Rng rng(3);
  dropping.start_epoch(rng);
  int count = 0;
  while (dropping.next(b)) {
    CHECK(b.features.rows() == 5);
    ++count;
  }
  CHECK(count == 4);
  // A batch size above the split's 23 samples: one batch of all of them per epoch, dropping or not.
  MiniBatcher whole(d.train, 64, true);
  CHECK(whole.batches_per_epoch() == 1);
  whole.start_epoch(rng);
  REQUIRE(whole.next(b));
  CHECK(b.features.rows() == 23);
  CHECK_FALSE(whole.next(b));
}

TEST_CASE("Stratified subsets and splits keep class proportions", "[data][dataset]") {
  Split s;
  s.features = Matrix::Zero(100, 1);
  for (int i = 0; i < 100; ++i) {
    s.labels.push_back(i < 50 ? 0 : (i < 80 ? 1 : 2));  // 50 / 30 / 20
    s.features(i, 0) = i;
  }
  pib::Rng rng(5);
  const Split sub = stratified_subset(s, 3, 10, rng);
  CHECK(sub.class_counts(3) == std::vector<std::size_t>{5, 3, 2});
  for (std::size_t i = 0; i < sub.size(); ++i)
    CHECK(s.labels[static_cast<std::size_t>(sub.features(static_cast<Eigen::Index>(i), 0))] == sub.labels[i]);
  const Split odd = stratified_subset(s, 3, 7, rng);  // 3.5 / 2.1 / 1.4 -> largest remainders
  CHECK(odd.class_counts(3) == std::vector<std::size_t>{4, 2, 1});
  Split train, test;
  stratified_split(s, 3, 20, rng, train, test);
  CHECK(test.class_counts(3) == std::vector<std::size_t>{10, 6, 4});
  CHECK(train.size() == 80);
  std::set<double> rows;
  for (Eigen::Index i = 0; i < 80; ++i)
    rows.insert(train.features(i, 0));
  for (Eigen::Index i = 0; i < 20; ++i)
    rows.insert(test.features(i, 0));
  CHECK(rows.size() == 100);  // disjoint and complete
  CHECK(std::is_sorted(train.features.data(), train.features.data() + 80));
  pib::Rng a(9), b(9);
  CHECK(stratified_indices(s, 3, 10, a) == stratified_indices(s, 3, 10, b));
}

TEST_CASE("The catalog loads MNIST-1D by config", "[data][dataset]") {
  const auto config = DatasetConfig::from_json({{"name", "mnist1d"},
                                                {"normalisation", "per_feature"},
                                                {"train_subset", 100},
                                                {"mnist1d", {{"num_samples", 500}}}});
  const Dataset d = load_dataset(config);
  CHECK(d.train.size() == 100);
  CHECK(d.test.size() == 100);
  // Proportional to the full training split's counts (400 samples), to within rounding.
  const Dataset full = make_mnist1d(config.mnist1d);
  const auto all = full.train.class_counts(10), sub = d.train.class_counts(10);
  for (std::size_t c = 0; c < 10; ++c)
    CHECK(static_cast<double>(sub[c]) == Approx(static_cast<double>(all[c]) / 4.0).margin(1.0));
  CHECK(d.train.features.colwise().mean().cwiseAbs().maxCoeff() < 1e-12);
  d.validate();
  CHECK_THROWS_AS(DatasetConfig::from_json({{"name", "cifar"}}), pib::ConfigError);
  CHECK_THROWS_AS(DatasetConfig::from_json({{"nmae", "mnist"}}), pib::ConfigError);
  CHECK_THROWS_AS(DatasetConfig::from_json({{"mnist1d", {{"seeed", 1}}}}), pib::ConfigError);
}
