#pragma once
// The paper's generalisation tests (its Fig. 3C) as pieces every training method is scored with (internal to
// train/; the settings are TrainConfig::generalisation):
//   input noise     Gaussian noise added to the test inputs before they reach the devices, its standard
//                   deviation a fraction of the input range (max - min over the training split's features);
//   data fraction   training on a stratified, seeded subset of the training split;
//   held-out classes removed from training; their test samples are the out-of-distribution set, told apart
//                   from the in-distribution test samples by the readout's maximum softmax probability and by
//                   the energy score, each scored by AUROC.
#include <span>
#include <vector>

#include "common/random.hpp"
#include "data/dataset.hpp"
#include "train/readout.hpp"

namespace pib::train {

// Area under the ROC curve of telling `positive` from `negative` by score (higher: positive): the probability
// that a random positive outscores a random negative, ties counted one half (Mann-Whitney U / (n_p n_n)).
// Throws InvalidArgument when either side is empty or a score is not finite.
double auroc(std::span<const double> negative, std::span<const double> positive);

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
