#pragma once
// The paper's generalisation tests (its Fig. 3C) as pieces every training method is scored with (internal to
// train/; the settings are TrainConfig::generalisation):
//   input noise     Gaussian noise added to the test inputs before they reach the devices, its standard
//                   deviation a fraction of the input range (max - min over the training split's features);
//   data fraction   training on a stratified, seeded subset of the training split;
//   held-out classes removed from training; their test samples are the out-of-distribution set, told apart
//                   from the in-distribution test samples by the readout's maximum softmax probability and by
//                   the energy score, each scored by AUROC and by its ROC curve.
#include <span>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/random.hpp"
#include "data/dataset.hpp"
#include "train/readout.hpp"

namespace pib::train {

// Area under the ROC curve of telling `positive` from `negative` by score (higher: positive): the probability
// that a random positive outscores a random negative, ties counted one half (Mann-Whitney U / (n_p n_n)).
// Throws InvalidArgument when either side is empty or a score is not finite.
double auroc(std::span<const double> negative, std::span<const double> positive);

// The ROC curve of the same test: (false positive rate, true positive rate) points from (0, 0) to (1, 1), one
// per distinct score, each the rates of calling every score at or above it positive, in falling threshold
// order (fpr and tpr never decrease). Tied scores of both sides make one diagonal step, so the trapezoid area
// under the points is auroc(negative, positive) up to rounding. Same errors as auroc.
std::vector<std::pair<double, double>> roc_curve(std::span<const double> negative,
                                                 std::span<const double> positive);

// A ROC curve thinned for files: a point is dropped when the chord from the last kept point to the next one
// spans less than `min_step` in fpr + tpr; (0, 0) and (1, 1) stay. Every two chords then span at least
// min_step, so at most 4 / min_step + 2 points remain, and a chord over dropped points (dfpr + dtpr <
// min_step) moves the trapezoid area by at most dfpr * dtpr / 2: min_step / 2 in all. Precondition: a curve
// of roc_curve, min_step > 0.
std::vector<std::pair<double, double>> thin_roc(const std::vector<std::pair<double, double>>& curve,
                                                double min_step);

// {"msp": {"fpr": [...], "tpr": [...]}, "energy": {...}}: the two OOD curves for summaries, each thinned at
// min_step 0.02 (at most 202 points, the area within 0.01; the exact AUROCs are written beside them).
nlohmann::json ood_roc_json(const std::vector<std::pair<double, double>>& msp,
                            const std::vector<std::pair<double, double>>& energy);

// Out-of-distribution scores of logits (n x k), one per row, higher meaning more likely out of distribution:
// the negated maximum softmax probability, and the energy -log sum_c exp(logit_c) (temperature 1).
std::vector<double> msp_ood_score(const Eigen::Ref<const Matrix>& logits);
std::vector<double> energy_ood_score(const Eigen::Ref<const Matrix>& logits);

// x plus independent N(0, std^2) noise on every entry.
Matrix with_input_noise(const Eigen::Ref<const Matrix>& x, double std, Rng& rng);

// The dataset with `held_out` classes (distinct, each in [0, num_classes)) taken out: train and test keep the
// other classes, relabelled 0 .. k - 1 in their original order; the held-out test samples go to `ood_test`
// (their original labels). Throws ConfigError naming `key` on a class out of range, a repeated class, or
// fewer than two classes left.
data::Dataset without_classes(const data::Dataset& dataset, const std::vector<int>& held_out,
                              const std::string& key, data::Split& ood_test);

}  // namespace pib::train
