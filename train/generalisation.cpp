// The generalisation tests' pieces (train/generalisation.hpp).
#include "train/generalisation.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <string>

#include "common/config.hpp"
#include "common/error.hpp"
#include "train/experiments.hpp"

namespace pib::train {

namespace {

struct Scored {
  double score;
  bool positive;
};

// Both sides pooled and sorted by rising score; `what` names the caller in the errors.
std::vector<Scored> pooled(std::span<const double> negative, std::span<const double> positive,
                           const char* what) {
  if (negative.empty() || positive.empty())
    raise<InvalidArgument>(what, ": ", negative.size(), " negative and ", positive.size(),
                           " positive scores; need at least one of each");
  std::vector<Scored> all;
  all.reserve(negative.size() + positive.size());
  for (const double s : negative)
    all.push_back({s, false});
  for (const double s : positive)
    all.push_back({s, true});
  for (const auto& a : all)
    if (!std::isfinite(a.score)) raise<InvalidArgument>(what, ": a score is ", a.score);
  std::sort(all.begin(), all.end(), [](const Scored& a, const Scored& b) { return a.score < b.score; });
  return all;
}

// The end of the run of equal scores that starts at i.
std::size_t tie_end(const std::vector<Scored>& all, std::size_t i) {
  std::size_t j = i;
  while (j < all.size() && all[j].score == all[i].score)
    ++j;
  return j;
}

}  // namespace

double auroc(std::span<const double> negative, std::span<const double> positive) {
  const auto all = pooled(negative, positive, "auroc");
  // Rank sum of the positives in the pooled, sorted scores, ties sharing their mean rank.
  double positive_rank_sum = 0.0;
  for (std::size_t i = 0, j = 0; i < all.size(); i = j) {
    j = tie_end(all, i);
    const double mean_rank = 0.5 * static_cast<double>(i + 1 + j);  // ranks i + 1 .. j
    for (std::size_t t = i; t < j; ++t)
      if (all[t].positive) positive_rank_sum += mean_rank;
  }
  const auto np = static_cast<double>(positive.size()), nn = static_cast<double>(negative.size());
  return (positive_rank_sum - np * (np + 1.0) / 2.0) / (np * nn);
}

std::vector<std::pair<double, double>> roc_curve(std::span<const double> negative,
                                                 std::span<const double> positive) {
  auto all = pooled(negative, positive, "roc_curve");
  std::reverse(all.begin(), all.end());  // falling scores: each tie run lowers the threshold one step
  const auto np = static_cast<double>(positive.size()), nn = static_cast<double>(negative.size());
  std::vector<std::pair<double, double>> curve{{0.0, 0.0}};
  std::size_t false_positives = 0, true_positives = 0;
  for (std::size_t i = 0, j = 0; i < all.size(); i = j) {
    j = tie_end(all, i);
    for (std::size_t t = i; t < j; ++t)
      ++(all[t].positive ? true_positives : false_positives);
    curve.emplace_back(static_cast<double>(false_positives) / nn, static_cast<double>(true_positives) / np);
  }
  return curve;  // the last point counts every score: (1, 1) exactly
}

std::vector<std::pair<double, double>> thin_roc(const std::vector<std::pair<double, double>>& curve,
                                                double min_step) {
  PIB_EXPECTS(min_step > 0.0, "thin_roc: min_step ", min_step, " <= 0");
  PIB_EXPECTS(curve.size() >= 2, "thin_roc: a curve of ", curve.size(), " points");
  auto span = [](const std::pair<double, double>& a, const std::pair<double, double>& b) {
    return (b.first - a.first) + (b.second - a.second);
  };
  std::vector<std::pair<double, double>> out{curve.front()};
  for (std::size_t i = 1; i + 1 < curve.size(); ++i)
    if (span(out.back(), curve[i + 1]) >= min_step) out.push_back(curve[i]);
  out.push_back(curve.back());
  return out;
}

nlohmann::json ood_roc_json(const std::vector<std::pair<double, double>>& msp,
                            const std::vector<std::pair<double, double>>& energy) {
  auto one = [](const std::vector<std::pair<double, double>>& curve) {
    nlohmann::json j = {{"fpr", nlohmann::json::array()}, {"tpr", nlohmann::json::array()}};
    for (const auto& [fpr, tpr] : thin_roc(curve, 0.02)) {
      j["fpr"].push_back(fpr);
      j["tpr"].push_back(tpr);
    }
    return j;
  };
  return {{"msp", one(msp)}, {"energy", one(energy)}};
}

namespace {

// log sum_c exp(row_c), shifted by the row's maximum.
double log_sum_exp(const Eigen::Ref<const Eigen::RowVectorXd>& row) {
  const double top = row.maxCoeff();
  return top + std::log((row.array() - top).exp().sum());
}

}  // namespace

std::vector<double> msp_ood_score(const Eigen::Ref<const Matrix>& logits) {
  std::vector<double> s(static_cast<std::size_t>(logits.rows()));
  for (Eigen::Index i = 0; i < logits.rows(); ++i)  // max_c softmax_c = exp(max - logsumexp)
    s[static_cast<std::size_t>(i)] = -std::exp(logits.row(i).maxCoeff() - log_sum_exp(logits.row(i)));
  return s;
}

std::vector<double> energy_ood_score(const Eigen::Ref<const Matrix>& logits) {
  std::vector<double> s(static_cast<std::size_t>(logits.rows()));
  for (Eigen::Index i = 0; i < logits.rows(); ++i)
    s[static_cast<std::size_t>(i)] = -log_sum_exp(logits.row(i));
  return s;
}

Matrix with_input_noise(const Eigen::Ref<const Matrix>& x, double std, Rng& rng) {
  PIB_EXPECTS(std >= 0.0, "input noise std ", std, " < 0");
  Matrix out = x;
  if (std == 0.0) return out;
  for (Eigen::Index i = 0; i < out.size(); ++i)
    out.data()[i] += std * rng.normal();
  return out;
}

data::Dataset without_classes(const data::Dataset& dataset, const std::vector<int>& held_out,
                              const std::string& key, data::Split& ood_test) {
  const int k = dataset.num_classes();
  std::vector<int> relabel(static_cast<std::size_t>(k), 0);  // new label, or -1 when held out
  for (const int c : held_out) {
    require_config(c >= 0 && c < k, key, c,
                   "a class of " + dataset.name + ", in [0, " + std::to_string(k) + ")");
    require_config(relabel[static_cast<std::size_t>(c)] == 0, key, c, "each class once");
    relabel[static_cast<std::size_t>(c)] = -1;
  }
  const auto kept = k - static_cast<int>(held_out.size());
  require_config(kept >= 2, key, held_out.size(),
                 "classes held out of " + std::to_string(k) + ", leaving at least two");
  int next = 0;
  for (auto& r : relabel)
    if (r == 0)
      r = next++;
    else
      r = -1;
  data::Dataset out = dataset;
  out.class_names.clear();
  for (int c = 0; c < k; ++c)
    if (relabel[static_cast<std::size_t>(c)] >= 0)
      out.class_names.push_back(dataset.class_names[static_cast<std::size_t>(c)]);
  auto keep = [&](const data::Split& split, data::Split& in, data::Split* out_of) {
    std::vector<std::size_t> in_rows, out_rows;
    for (std::size_t i = 0; i < split.size(); ++i)
      (relabel[static_cast<std::size_t>(split.labels[i])] >= 0 ? in_rows : out_rows).push_back(i);
    in = split.subset(in_rows);
    for (auto& label : in.labels)
      label = relabel[static_cast<std::size_t>(label)];
    if (out_of) *out_of = split.subset(out_rows);
  };
  keep(dataset.train, out.train, nullptr);
  keep(dataset.test, out.test, &ood_test);
  return out;
}

void run_generalisation(Context& ctx, const std::string& method, Chain& chain, const SoftmaxReadout& readout,
                        const InputMap& input_map) {
  const auto& g = ctx.cfg.generalisation;
  auto& scores = ctx.result.generalisation[method];
  Rng noise_rng = ctx.stream(Stream::generalisation, 1), measure_rng = ctx.stream(Stream::generalisation, 2);
  auto logits_of = [&](const Matrix& x) {  // x measured through the trained devices, then the readout
    Matrix in = input_map ? input_map(x) : x;
    for (std::size_t l = 0; l < chain.units.size(); ++l)
      in = ctx.measure_split(*chain.units[l], chain.norms[l], in, measure_rng);
    return readout.logits(in);
  };
  const auto& train_x = ctx.data.train.features;
  const double range = train_x.maxCoeff() - train_x.minCoeff();
  for (const double level : g.input_noise) {
    const Matrix lg = logits_of(with_input_noise(ctx.data.test.features, level * range, noise_rng));
    std::size_t hits = 0;
    for (Eigen::Index i = 0; i < lg.rows(); ++i) {
      Eigen::Index arg = 0;
      lg.row(i).maxCoeff(&arg);
      hits += arg == ctx.data.test.labels[static_cast<std::size_t>(i)];
    }
    const double accuracy = static_cast<double>(hits) / static_cast<double>(lg.rows());
    scores.accuracy_by_input_noise.emplace_back(level, accuracy);
    ctx.record({{"type", "generalisation"},
                {"method", method},
                {"test", "input_noise"},
                {"level", level},
                {"noise_std", level * range},
                {"accuracy", accuracy}});
  }
  if (ctx.ood_test.size() > 0) {
    const Matrix in_logits = logits_of(ctx.data.test.features), out_logits = logits_of(ctx.ood_test.features);
    const auto in_msp = msp_ood_score(in_logits), out_msp = msp_ood_score(out_logits);
    const auto in_energy = energy_ood_score(in_logits), out_energy = energy_ood_score(out_logits);
    scores.ood_auroc_msp = auroc(in_msp, out_msp);
    scores.ood_auroc_energy = auroc(in_energy, out_energy);
    scores.ood_roc_msp = roc_curve(in_msp, out_msp);
    scores.ood_roc_energy = roc_curve(in_energy, out_energy);
    ctx.record({{"type", "generalisation"},
                {"method", method},
                {"test", "ood"},
                {"held_out_classes", g.held_out_classes},
                {"auroc_msp", *scores.ood_auroc_msp},
                {"auroc_energy", *scores.ood_auroc_energy}});
  }
}

}  // namespace pib::train
