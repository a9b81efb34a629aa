#include "replay/prioritized_replay.hpp"

#include <cmath>
#include <optional>
#include <utility>
#include <vector>

#include "common/error.hpp"
#include "replay/binary_io.hpp"

namespace pib::replay {

void PrioritizedParams::validate() const {
  if (!(alpha >= 0.0 && std::isfinite(alpha)))
    raise<InvalidArgument>("prioritized replay: alpha is ", alpha, ", expected a finite value >= 0");
  if (!(beta >= 0.0 && beta <= 1.0))
    raise<InvalidArgument>("prioritized replay: beta is ", beta, ", expected a value in [0, 1]");
}

PrioritizedReplay::PrioritizedReplay(std::size_t capacity, std::size_t obs_dim, PrioritizedParams params)
    : PrioritizedReplay(TransitionColumns(capacity, obs_dim), params) {}

PrioritizedReplay::PrioritizedReplay(TransitionColumns columns, PrioritizedParams params)
    : columns_(std::move(columns)), params_(params), tree_(columns_.capacity()) {
  params_.validate();
}

std::size_t PrioritizedReplay::push(std::span<const float> obs, int action, double reward,
                                    std::span<const float> next_obs, bool terminated, bool truncated,
                                    double discount) {
  const std::size_t slot = columns_.push(obs, action, reward, next_obs, terminated, truncated, discount);
  tree_.set(slot, std::pow(max_priority_, params_.alpha));
  return slot;
}

void PrioritizedReplay::sample(std::size_t batch, Rng& rng, Batch& out) const {
  if (batch == 0) raise<InvalidArgument>("replay sample: batch size must be > 0");
  if (batch > size())
    raise<StateError>("replay sample: asked for ", batch, " transitions but the buffer holds ", size());
  out.resize(batch, obs_dim());
  const double total = tree_.total();
  const double segment = total / static_cast<double>(batch);
  const double min_leaf = tree_.min_positive();
  for (std::size_t k = 0; k < batch; ++k) {
    const double mass = (static_cast<double>(k) + rng.uniform()) * segment;
    const std::size_t slot = tree_.find(mass);
    out.indices[k] = slot;
    out.weights(static_cast<Eigen::Index>(k)) = std::pow(min_leaf / tree_.get(slot), params_.beta);
  }
  columns_.gather(out);
}

void PrioritizedReplay::update_priorities(std::span<const std::size_t> indices,
                                          std::span<const double> priorities) {
  if (indices.size() != priorities.size())
    raise<InvalidArgument>("update_priorities: ", indices.size(), " indices but ", priorities.size(),
                           " priorities");
  for (std::size_t k = 0; k < indices.size(); ++k) {
    if (indices[k] >= size())
      raise<InvalidArgument>("update_priorities: index ", indices[k], " at position ", k,
                             " is not a stored slot (size ", size(), ")");
    if (!(priorities[k] > 0.0 && std::isfinite(priorities[k])))
      raise<InvalidArgument>("update_priorities: priority ", priorities[k], " at position ", k,
                             " must be finite and > 0");
    const double leaf = std::pow(priorities[k], params_.alpha);
    if (!(leaf > 0.0 && std::isfinite(leaf)))
      raise<InvalidArgument>("update_priorities: priority ", priorities[k], " at position ", k,
                             " raised to alpha ", params_.alpha, " leaves the double range");
  }
  for (std::size_t k = 0; k < indices.size(); ++k) {
    tree_.set(indices[k], std::pow(priorities[k], params_.alpha));
    if (priorities[k] > max_priority_) max_priority_ = priorities[k];
  }
}

void PrioritizedReplay::set_beta(double beta) {
  PrioritizedParams p = params_;
  p.beta = beta;
  p.validate();
  params_ = p;
}

double PrioritizedReplay::probability(std::size_t slot) const {
  PIB_EXPECTS(slot < size(), "slot ", slot, " >= size ", size());
  return tree_.get(slot) / tree_.total();
}

void PrioritizedReplay::save(std::ostream& out, const std::string& source) const {
  detail::BinaryWriter writer(out);
  writer.header(detail::BufferKind::prioritized);
  writer.value(params_.alpha);
  writer.value(params_.beta);
  writer.value(max_priority_);
  columns_.write(writer);
  for (std::size_t i = 0; i < size(); ++i)
    writer.value(tree_.get(i));
  writer.finish(source);
}

void PrioritizedReplay::save(const std::filesystem::path& path) const {
  detail::write_file_atomically(path, [&](std::ostream& out) { save(out, path.string()); });
}

PrioritizedReplay PrioritizedReplay::load(std::istream& in, const std::string& source) {
  detail::BinaryReader reader(in, source);
  reader.header(detail::BufferKind::prioritized);
  PrioritizedParams params;
  params.alpha = reader.value<double>();
  params.beta = reader.value<double>();
  const auto max_priority = reader.value<double>();
  try {
    params.validate();
  } catch (const InvalidArgument& e) {
    reader.fail("invalid parameters stored: ", e.what());
  }
  if (!(max_priority > 0.0 && std::isfinite(max_priority)))
    reader.fail("invalid max priority stored: ", max_priority);
  TransitionColumns columns = TransitionColumns::read(reader);
  std::vector<double> leaves(columns.capacity(), 0.0);
  reader.array(std::span<double>(leaves.data(), columns.size()));
  for (std::size_t i = 0; i < columns.size(); ++i)
    if (!(leaves[i] > 0.0 && std::isfinite(leaves[i]))) reader.fail("invalid priority stored at slot ", i);
  reader.finish();
  PrioritizedReplay result(std::move(columns), params);
  result.max_priority_ = max_priority;
  result.tree_.assign(leaves);
  return result;
}

PrioritizedReplay PrioritizedReplay::load(const std::filesystem::path& path) {
  std::optional<PrioritizedReplay> result;
  detail::read_file(path, [&](std::istream& in) { result.emplace(load(in, path.string())); });
  return std::move(*result);
}

}  // namespace pib::replay
