#include "data/dataset.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "common/error.hpp"

namespace pib::data {

std::vector<std::size_t> Split::class_counts(int num_classes) const {
  std::vector<std::size_t> counts(static_cast<std::size_t>(num_classes), 0);
  for (const int label : labels) {
    PIB_EXPECTS(label >= 0 && label < num_classes, "label ", label, " outside [0, ", num_classes, ")");
    ++counts[static_cast<std::size_t>(label)];
  }
  return counts;
}

Split Split::subset(std::span<const std::size_t> indices) const {
  Split out;
  out.features.resize(static_cast<Eigen::Index>(indices.size()), features.cols());
  out.labels.resize(indices.size());
  for (std::size_t i = 0; i < indices.size(); ++i) {
    PIB_EXPECTS(indices[i] < size(), "row ", indices[i], " of a split of ", size());
    out.features.row(static_cast<Eigen::Index>(i)) = features.row(static_cast<Eigen::Index>(indices[i]));
    out.labels[i] = labels[indices[i]];
  }
  return out;
}

Eigen::Index Dataset::num_features() const {
  Eigen::Index n = 1;
  for (const auto d : sample_shape)
    n *= d;
  return n;
}

void Dataset::validate() const {
  for (const auto* split : {&train, &test}) {
    const char* which = split == &train ? "train" : "test";
    if (split->features.cols() != num_features())
      raise<InvalidArgument>(name, " ", which, ": ", split->features.cols(),
                             " features per sample, expected ", num_features());
    if (static_cast<std::size_t>(split->features.rows()) != split->labels.size())
      raise<InvalidArgument>(name, " ", which, ": ", split->features.rows(), " samples but ",
                             split->labels.size(), " labels");
    for (std::size_t i = 0; i < split->labels.size(); ++i)
      if (split->labels[i] < 0 || split->labels[i] >= num_classes())
        raise<InvalidArgument>(name, " ", which, ": label ", split->labels[i], " of sample ", i,
                               " outside [0, ", num_classes(), ")");
  }
}

NormalisationKind parse_normalisation(const std::string& text, const std::string& key) {
  if (text == "none") return NormalisationKind::none;
  if (text == "global") return NormalisationKind::global;
  if (text == "per_feature") return NormalisationKind::per_feature;
  raise<ConfigError>(key, ": '", text, "' is not a normalisation: expected none, global or per_feature");
}

std::string to_string(NormalisationKind kind) {
  switch (kind) {
    case NormalisationKind::none:
      return "none";
    case NormalisationKind::global:
      return "global";
    case NormalisationKind::per_feature:
      return "per_feature";
  }
  return "?";
}

Normalisation Normalisation::fit(const Matrix& train_features, NormalisationKind kind, double min_stddev) {
  PIB_EXPECTS(train_features.rows() > 0, "cannot fit a normalisation on an empty training split");
  const Eigen::Index d = train_features.cols();
  Normalisation n;
  n.mean = Eigen::RowVectorXd::Zero(d);
  n.stddev = Eigen::RowVectorXd::Ones(d);
  if (kind == NormalisationKind::none) return n;
  if (kind == NormalisationKind::global) {
    const double mean = train_features.mean();
    const double var = (train_features.array() - mean).square().mean();
    const double sd = std::sqrt(var);
    n.mean.setConstant(mean);
    n.stddev.setConstant(sd < min_stddev ? 1.0 : sd);
    return n;
  }
  n.mean = train_features.colwise().mean();
  const Eigen::RowVectorXd var =
      (train_features.rowwise() - n.mean).array().square().colwise().mean().matrix();
  for (Eigen::Index j = 0; j < d; ++j) {
    const double sd = std::sqrt(var(j));
    n.stddev(j) = sd < min_stddev ? 1.0 : sd;
  }
  return n;
}

void Normalisation::apply(Matrix& features) const {
  PIB_EXPECTS(features.cols() == mean.size(), "normalisation fitted on ", mean.size(),
              " features, applied to ", features.cols());
  features = ((features.rowwise() - mean).array().rowwise() / stddev.array()).matrix();
}

Normalisation normalise(Dataset& dataset, NormalisationKind kind, double min_stddev) {
  Normalisation n = Normalisation::fit(dataset.train.features, kind, min_stddev);
  if (kind == NormalisationKind::none) return n;  // identity: skip the pass over the data
  n.apply(dataset.train.features);
  if (dataset.test.size() > 0) n.apply(dataset.test.features);
  return n;
}

std::vector<std::size_t> shuffled_indices(std::size_t n, pib::Rng& rng) {
  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), std::size_t{0});
  for (std::size_t i = n; i-- > 1;)
    std::swap(order[i], order[rng.below(i + 1)]);
  return order;
}

void gather(const Split& split, std::span<const std::size_t> indices, Batch& out) {
  const auto rows = static_cast<Eigen::Index>(indices.size());
  if (out.features.rows() != rows || out.features.cols() != split.features.cols())
    out.features.resize(rows, split.features.cols());
  out.labels.resize(indices.size());
  out.indices.assign(indices.begin(), indices.end());
  for (std::size_t i = 0; i < indices.size(); ++i) {
    PIB_EXPECTS(indices[i] < split.size(), "row ", indices[i], " of a split of ", split.size());
    out.features.row(static_cast<Eigen::Index>(i)) =
        split.features.row(static_cast<Eigen::Index>(indices[i]));
    out.labels[i] = split.labels[indices[i]];
  }
}

MiniBatcher::MiniBatcher(const Split& split, std::size_t batch_size, bool drop_last)
    : split_(&split),
      batch_size_(std::min(batch_size, std::max<std::size_t>(split.size(), 1))),
      drop_last_(drop_last) {
  PIB_EXPECTS(batch_size > 0, "batch size must be positive");
  order_.resize(split.size());
  std::iota(order_.begin(), order_.end(), std::size_t{0});
  position_ = order_.size();  // nothing to yield before start_epoch
}

void MiniBatcher::start_epoch(pib::Rng& rng) {
  PIB_EXPECTS(order_.size() == split_->size(), "the split changed size since the MiniBatcher was made");
  order_ = shuffled_indices(split_->size(), rng);
  position_ = 0;
}

bool MiniBatcher::next(Batch& out) {
  const std::size_t left = order_.size() - position_;
  if (left == 0 || (drop_last_ && left < batch_size_)) return false;
  const std::size_t n = std::min(left, batch_size_);
  gather(*split_, std::span<const std::size_t>(order_).subspan(position_, n), out);
  position_ += n;
  return true;
}

std::size_t MiniBatcher::batches_per_epoch() const {
  const std::size_t n = order_.size();
  return drop_last_ ? n / batch_size_ : (n + batch_size_ - 1) / batch_size_;
}

std::vector<std::size_t> stratified_indices(const Split& split, int num_classes, std::size_t count,
                                            pib::Rng& rng) {
  PIB_EXPECTS(count <= split.size(), "a stratified sample of ", count, " from ", split.size(), " samples");
  const auto k = static_cast<std::size_t>(num_classes);
  std::vector<std::vector<std::size_t>> by_class(k);
  for (std::size_t i = 0; i < split.size(); ++i) {
    const int label = split.labels[i];
    PIB_EXPECTS(label >= 0 && label < num_classes, "label ", label, " outside [0, ", num_classes, ")");
    by_class[static_cast<std::size_t>(label)].push_back(i);
  }
  // Largest-remainder apportionment of `count` over the classes (ties: lower class first).
  const std::size_t n = split.size();
  std::vector<std::size_t> quota(k);
  std::vector<std::pair<std::size_t, std::size_t>> remainder(k);  // (remainder numerator, class)
  std::size_t assigned = 0;
  for (std::size_t c = 0; c < k; ++c) {
    const std::size_t scaled = count * by_class[c].size();
    quota[c] = n == 0 ? 0 : scaled / n;
    remainder[c] = {n == 0 ? 0 : scaled % n, c};
    assigned += quota[c];
  }
  std::stable_sort(remainder.begin(), remainder.end(), [](auto a, auto b) { return a.first > b.first; });
  for (std::size_t r = 0; assigned < count; ++r, ++assigned)
    ++quota[remainder[r % k].second];
  std::vector<std::size_t> out;
  out.reserve(count);
  for (std::size_t c = 0; c < k; ++c) {
    auto& rows = by_class[c];
    // Partial Fisher-Yates: the first quota[c] entries become a uniform sample.
    for (std::size_t i = 0; i < quota[c]; ++i)
      std::swap(rows[i], rows[i + rng.below(rows.size() - i)]);
    out.insert(out.end(), rows.begin(), rows.begin() + static_cast<std::ptrdiff_t>(quota[c]));
  }
  return out;
}

Split stratified_subset(const Split& split, int num_classes, std::size_t count, pib::Rng& rng) {
  return split.subset(stratified_indices(split, num_classes, count, rng));
}

void stratified_split(const Split& all, int num_classes, std::size_t test_count, pib::Rng& rng, Split& train,
                      Split& test) {
  std::vector<std::size_t> test_rows = stratified_indices(all, num_classes, test_count, rng);
  std::sort(test_rows.begin(), test_rows.end());
  std::vector<std::size_t> train_rows;
  train_rows.reserve(all.size() - test_rows.size());
  std::size_t t = 0;
  for (std::size_t i = 0; i < all.size(); ++i) {
    if (t < test_rows.size() && test_rows[t] == i)
      ++t;
    else
      train_rows.push_back(i);
  }
  train = all.subset(train_rows);
  test = all.subset(test_rows);
}

Dataset with_train_subset(const Dataset& dataset, std::size_t train_count, pib::Rng& rng) {
  Dataset out;
  out.name = dataset.name;
  out.source = dataset.source;
  out.sample_shape = dataset.sample_shape;
  out.class_names = dataset.class_names;
  out.train = stratified_subset(dataset.train, dataset.num_classes(), train_count, rng);
  out.test = dataset.test;
  return out;
}

}  // namespace pib::data
