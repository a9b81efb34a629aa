#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <numeric>
#include <vector>

#include "replay/prioritized_replay.hpp"
#include "replay_test_util.hpp"

using pib::replay::Batch;
using pib::replay::PrioritizedParams;
using pib::replay::PrioritizedReplay;
using pib::replay::test::push_numbered;

namespace {

// Samples `batches` batches of `batch_size` and returns how often each slot was drawn.
std::vector<double> sample_counts(const PrioritizedReplay& buffer, std::size_t batch_size, int batches,
                                  std::uint64_t seed) {
  pib::Rng rng(seed);
  Batch batch;
  std::vector<double> counts(buffer.size(), 0.0);
  for (int b = 0; b < batches; ++b) {
    buffer.sample(batch_size, rng, batch);
    for (const auto slot : batch.indices)
      counts[slot] += 1.0;
  }
  return counts;
}

// Pearson's chi-square of counts against probabilities.
double chi_square(const std::vector<double>& counts, const std::vector<double>& probabilities) {
  const double n = std::accumulate(counts.begin(), counts.end(), 0.0);
  double chi2 = 0.0;
  for (std::size_t i = 0; i < counts.size(); ++i) {
    const double expected = n * probabilities[i];
    chi2 += (counts[i] - expected) * (counts[i] - expected) / expected;
  }
  return chi2;
}

}  // namespace

TEST_CASE("prioritized replay: sampling frequencies match p_i^alpha / sum_j p_j^alpha", "[replay]") {
  constexpr std::size_t kSlots = 20;
  const double alpha = 0.7;
  PrioritizedReplay buffer(kSlots, 4, {.alpha = alpha, .beta = 0.5});
  for (int i = 0; i < static_cast<int>(kSlots); ++i)
    push_numbered(buffer, i);
  std::vector<std::size_t> slots(kSlots);
  std::vector<double> priorities(kSlots);
  for (std::size_t i = 0; i < kSlots; ++i) {
    slots[i] = i;
    priorities[i] = 0.25 + static_cast<double>(i * i % 7);  // uneven, some repeated
  }
  buffer.update_priorities(slots, priorities);

  std::vector<double> expected(kSlots);
  double norm = 0.0;
  for (const double p : priorities)
    norm += std::pow(p, alpha);
  for (std::size_t i = 0; i < kSlots; ++i) {
    expected[i] = std::pow(priorities[i], alpha) / norm;
    CHECK(buffer.probability(i) == Approx(expected[i]).epsilon(1e-12));
  }

  const int kBatches = 16000;
  const std::size_t kBatchSize = 20;
  const auto counts = sample_counts(buffer, kBatchSize, kBatches, 2024);
  const double n = static_cast<double>(kBatches) * kBatchSize;
  for (std::size_t i = 0; i < kSlots; ++i) {
    const double sd = std::sqrt(expected[i] * (1.0 - expected[i]) / n);
    INFO("slot " << i << " frequency " << counts[i] / n << " expected " << expected[i]);
    CHECK(std::abs(counts[i] / n - expected[i]) < 4.0 * sd);
  }
  // 19 degrees of freedom: the 99.99th percentile is about 50 (stratification only lowers the statistic).
  const double chi2 = chi_square(counts, expected);
  INFO("chi2 = " << chi2);
  CHECK(chi2 < 50.0);
}

TEST_CASE("prioritized replay: alpha = 0 samples uniformly whatever the priorities", "[replay]") {
  PrioritizedReplay buffer(10, 4, {.alpha = 0.0, .beta = 1.0});
  for (int i = 0; i < 10; ++i)
    push_numbered(buffer, i);
  const std::vector<std::size_t> slots{0, 1, 2};
  const std::vector<double> priorities{100.0, 0.01, 5.0};
  buffer.update_priorities(slots, priorities);
  for (std::size_t i = 0; i < 10; ++i)
    CHECK(buffer.probability(i) == 0.1);
  pib::Rng rng(0);
  Batch batch;
  buffer.sample(10, rng, batch);
  for (Eigen::Index k = 0; k < 10; ++k)
    CHECK(batch.weights(k) == 1.0);
}

TEST_CASE("prioritized replay: importance weights match a hand computation", "[replay]") {
  const double alpha = 0.5, beta = 0.4;
  PrioritizedReplay buffer(8, 4, {.alpha = alpha, .beta = beta});
  for (int i = 0; i < 4; ++i)
    push_numbered(buffer, i);
  const std::vector<std::size_t> slots{0, 1, 2, 3};
  const std::vector<double> priorities{1.0, 2.0, 4.0, 8.0};
  buffer.update_priorities(slots, priorities);

  // By hand: p^alpha = {1, sqrt 2, 2, 2 sqrt 2}; w_i = (N P(i))^-beta / max_j (N P(j))^-beta
  // = (p_0^alpha / p_i^alpha)^beta = p_i^(-alpha beta) = p_i^-0.2 = {1, 0.870551, 0.757858, 0.659754}.
  const std::vector<double> by_hand{1.0, 0.8705505632961241, 0.7578582832551990, 0.6597539553864471};
  // And from the definition, step by step.
  const double norm = 1.0 + std::sqrt(2.0) + 2.0 + 2.0 * std::sqrt(2.0);
  std::vector<double> raw(4);
  for (std::size_t i = 0; i < 4; ++i)
    raw[i] = std::pow(4.0 * std::pow(priorities[i], alpha) / norm, -beta);
  const double max_raw = *std::max_element(raw.begin(), raw.end());

  pib::Rng rng(77);
  Batch batch;
  std::vector<bool> seen(4, false);
  for (int round = 0; round < 50; ++round) {
    buffer.sample(4, rng, batch);
    for (std::size_t k = 0; k < 4; ++k) {
      const std::size_t slot = batch.indices[k];
      REQUIRE(slot < 4);
      seen[slot] = true;
      const double w = batch.weights(static_cast<Eigen::Index>(k));
      CHECK(w == Approx(by_hand[slot]).epsilon(1e-12));
      CHECK(w == Approx(raw[slot] / max_raw).epsilon(1e-12));
    }
  }
  CHECK(seen == std::vector<bool>(4, true));

  buffer.set_beta(1.0);  // full correction: w_i = p_min^alpha / p_i^alpha
  buffer.sample(4, rng, batch);
  for (std::size_t k = 0; k < 4; ++k)
    CHECK(batch.weights(static_cast<Eigen::Index>(k)) ==
          Approx(1.0 / std::sqrt(priorities[batch.indices[k]])).epsilon(1e-12));
}

TEST_CASE("prioritized replay: priority updates change the sampling frequencies", "[replay]") {
  PrioritizedReplay buffer(20, 4, {.alpha = 1.0, .beta = 0.4});
  for (int i = 0; i < 20; ++i)
    push_numbered(buffer, i);
  // New transitions all get the initial max priority 1: uniform.
  auto counts = sample_counts(buffer, 20, 2000, 1);
  for (std::size_t i = 0; i < 20; ++i)
    CHECK(counts[i] / 40000.0 == Approx(0.05).margin(0.005));

  const std::vector<std::size_t> slot{3};
  const std::vector<double> priority{100.0};
  buffer.update_priorities(slot, priority);
  CHECK(buffer.max_priority() == 100.0);
  const double p3 = 100.0 / 119.0;
  CHECK(buffer.probability(3) == Approx(p3).epsilon(1e-12));
  counts = sample_counts(buffer, 20, 2000, 2);
  CHECK(counts[3] / 40000.0 == Approx(p3).margin(0.005));
  CHECK(counts[4] / 40000.0 == Approx(1.0 / 119.0).margin(0.002));

  // The next push overwrites slot 0 and gets the max priority seen so far (100).
  CHECK(push_numbered(buffer, 20) == 0);
  CHECK(buffer.probability(0) == Approx(100.0 / 218.0).epsilon(1e-12));
  CHECK(buffer.probability(3) == Approx(100.0 / 218.0).epsilon(1e-12));
}

TEST_CASE("prioritized replay: stratified sampling spreads one batch over the mass", "[replay]") {
  // Equal priorities, batch = size: each segment [k, k+1) of the mass holds one slot, so a batch draws
  // slot k in row k (up to rounding at segment edges, which the tolerance of one row absorbs).
  PrioritizedReplay buffer(16, 4, {.alpha = 0.6, .beta = 0.4});
  for (int i = 0; i < 16; ++i)
    push_numbered(buffer, i);
  pib::Rng rng(8);
  Batch batch;
  for (int round = 0; round < 20; ++round) {
    buffer.sample(16, rng, batch);
    for (std::size_t k = 0; k < 16; ++k)
      CHECK(std::abs(static_cast<double>(batch.indices[k]) - static_cast<double>(k)) <= 1.0);
  }
}

TEST_CASE("prioritized replay: errors", "[replay]") {
  using Catch::Contains;
  PrioritizedReplay buffer(10, 4);
  pib::Rng rng(0);
  Batch batch;
  CHECK_THROWS_AS(buffer.sample(1, rng, batch), pib::StateError);
  for (int i = 0; i < 5; ++i)
    push_numbered(buffer, i);
  CHECK_THROWS_AS(buffer.sample(6, rng, batch), pib::StateError);
  CHECK_THROWS_AS(buffer.sample(0, rng, batch), pib::InvalidArgument);

  const double before = buffer.tree().total();
  const std::vector<std::size_t> two{0, 1};
  const auto bad = [&](std::vector<std::size_t> idx, std::vector<double> p) {
    buffer.update_priorities(idx, p);
  };
  CHECK_THROWS_WITH(bad({0, 1}, {2.0, 0.0}), Contains("priority 0 at position 1"));
  CHECK_THROWS_WITH(bad({0, 1}, {2.0, -1.0}), Contains("priority -1"));
  CHECK_THROWS_WITH(bad({0, 1}, {std::nan(""), 1.0}), Contains("priority nan"));
  CHECK_THROWS_WITH(bad({0, 1}, {HUGE_VAL, 1.0}), Contains("priority inf"));
  CHECK_THROWS_WITH(bad({0, 7}, {2.0, 2.0}), Contains("index 7"));
  CHECK_THROWS_WITH(bad({0, 1}, {2.0}), Contains("2 indices but 1 priorities"));
  CHECK_THROWS_AS(bad({0, 1}, {2.0, 0.0}), pib::InvalidArgument);
  CHECK(buffer.tree().total() == before);  // a rejected update changes nothing
  CHECK(buffer.max_priority() == 1.0);

  CHECK_THROWS_WITH(PrioritizedReplay(10, 4, {.alpha = -0.1, .beta = 0.4}), Contains("alpha is -0.1"));
  CHECK_THROWS_WITH(PrioritizedReplay(10, 4, {.alpha = 0.6, .beta = 1.5}), Contains("beta is 1.5"));
  CHECK_THROWS_AS(buffer.set_beta(std::nan("")), pib::InvalidArgument);
  CHECK(buffer.params().beta == 0.4);
  const std::array<float, 3> short_obs{0.f, 0.f, 0.f};
  CHECK_THROWS_AS(buffer.push(short_obs, 0, 0.0, short_obs, false, false), pib::InvalidArgument);
  CHECK(buffer.size() == 5);
}
