#pragma once
// The dataset type every supervised and self-supervised experiment reads (DESIGN.md 5).
//
// A Dataset holds a train and a test Split. Features are stored as a row-major matrix of double, one sample
// per row (DESIGN.md 1), so a batch is a plain copy of rows and no conversion happens in the training loop;
// the cost is memory (Fashion-MNIST, 70,000 x 784, takes 440 MB). Labels are ints in [0, num_classes).
//
// Everything random takes a pib::Rng& (shuffling, batching, subsets); normalisation statistics are fitted
// on the training split only and then applied to both splits.

#include <cstddef>
#include <span>
#include <string>
#include <vector>

#include <Eigen/Core>

#include "common/random.hpp"

namespace pib::data {

using Matrix = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

// One split: row i of `features` has label `labels[i]`.
struct Split {
  Matrix features;
  std::vector<int> labels;

  std::size_t size() const { return labels.size(); }
  // Number of samples of each class 0 .. num_classes-1; labels outside the range are a precondition error.
  std::vector<std::size_t> class_counts(int num_classes) const;
  // The rows `indices` (in that order), as a new split.
  Split subset(std::span<const std::size_t> indices) const;
};

struct Dataset {
  std::string name;                        // "mnist", "fashion-mnist", "mnist1d"
  std::string source;                      // where the data came from: a path, or how it was generated
  std::vector<Eigen::Index> sample_shape;  // {28, 28} for images (row-major), {40} for MNIST-1D
  std::vector<std::string> class_names;    // class_names[label]
  Split train;
  Split test;

  int num_classes() const { return static_cast<int>(class_names.size()); }
  Eigen::Index num_features() const;
  // Throws InvalidArgument unless both splits have num_features() columns, one label per row and every
  // label in [0, num_classes()).
  void validate() const;
};

// ---- normalisation -------------------------------------------------------------------------------------

enum class NormalisationKind {
  none,         // leave the features as they are
  global,       // one mean and one standard deviation over every feature value of the training split
  per_feature,  // a mean and a standard deviation per column of the training split
};
// "none", "global", "per_feature"; throws ConfigError naming `key` for anything else.
NormalisationKind parse_normalisation(const std::string& text, const std::string& key = "normalisation");
std::string to_string(NormalisationKind kind);

// x' = (x - mean) / stddev, column by column. Columns whose training standard deviation is below
// `min_stddev` (constant pixels) are divided by 1 instead, so they become exactly zero.
struct Normalisation {
  Eigen::RowVectorXd mean;
  Eigen::RowVectorXd stddev;

  static Normalisation fit(const Matrix& train_features, NormalisationKind kind, double min_stddev = 1e-8);
  void apply(Matrix& features) const;
};

// Fits on dataset.train only and applies to both splits; returns the statistics used.
Normalisation normalise(Dataset& dataset, NormalisationKind kind, double min_stddev = 1e-8);

// ---- shuffling, batching, subsets ----------------------------------------------------------------------

// 0 .. n-1 in a uniformly random order (Fisher-Yates with rng.below).
std::vector<std::size_t> shuffled_indices(std::size_t n, pib::Rng& rng);

// A mini-batch: the rows of a split named by `indices`.
struct Batch {
  Matrix features;
  std::vector<int> labels;
  std::vector<std::size_t> indices;  // row of each sample in the split
};

// Copies the rows `indices` of `split` into `out`, resizing it only when the batch size changes.
void gather(const Split& split, std::span<const std::size_t> indices, Batch& out);

// Seeded epoch-wise mini-batching over one split (which must outlive the batcher). Each epoch visits every
// sample once in a fresh random order; with drop_last the final short batch is skipped. A batch size above
// the split's size is the split's size (so a small split still gives one batch per epoch).
//
//   MiniBatcher batches(dataset.train, 100);
//   Batch b;
//   batches.start_epoch(rng);
//   while (batches.next(b)) { ... b.features ... }
class MiniBatcher {
 public:
  MiniBatcher(const Split& split, std::size_t batch_size, bool drop_last = false);

  // Reshuffles with `rng` and rewinds.
  void start_epoch(pib::Rng& rng);
  // Fills `out` with the next batch; false at the end of the epoch (start_epoch again for another).
  [[nodiscard]] bool next(Batch& out);
  // Batches per epoch.
  std::size_t batches_per_epoch() const;

 private:
  const Split* split_;
  std::size_t batch_size_;
  bool drop_last_;
  std::vector<std::size_t> order_;
  std::size_t position_ = 0;
};

// Indices of a stratified sample of `count` rows of `split`: every class gets count * n_c / n rows, rounded
// by largest remainder so the total is exactly `count`; rows within a class are chosen uniformly. The
// result is sorted by class, then by the random order (shuffle it for training). Precondition count <= size.
std::vector<std::size_t> stratified_indices(const Split& split, int num_classes, std::size_t count,
                                            pib::Rng& rng);

// A stratified subset of `count` samples, e.g. for data-scarcity experiments.
Split stratified_subset(const Split& split, int num_classes, std::size_t count, pib::Rng& rng);

// Splits `all` into train/test with `test_count` test samples, stratified as stratified_indices; both parts
// keep the original row order.
void stratified_split(const Split& all, int num_classes, std::size_t test_count, pib::Rng& rng, Split& train,
                      Split& test);

// A copy of `dataset` whose train split is a stratified subset of `train_count` samples (test unchanged).
Dataset with_train_subset(const Dataset& dataset, std::size_t train_count, pib::Rng& rng);

}  // namespace pib::data
