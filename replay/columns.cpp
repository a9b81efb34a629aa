#include "replay/columns.hpp"

#include <cmath>

#include "common/error.hpp"
#include "replay/binary_io.hpp"

namespace pib::replay {

namespace {
// Loading refuses sizes beyond these, so a damaged header cannot ask for an absurd allocation.
constexpr std::uint64_t kMaxCapacity = std::uint64_t{1} << 32;
constexpr std::uint64_t kMaxObsValues = std::uint64_t{1} << 34;

void check_finite(const char* name, std::span<const float> values) {
  for (std::size_t i = 0; i < values.size(); ++i)
    if (!std::isfinite(values[i]))
      raise<InvalidArgument>("replay push: ", name, "[", i, "] is ", values[i],
                             ", observations must be finite");
}
}  // namespace

TransitionColumns::TransitionColumns(std::size_t capacity, std::size_t obs_dim)
    : capacity_(capacity), obs_dim_(obs_dim) {
  if (capacity == 0) raise<InvalidArgument>("replay buffer: capacity must be > 0");
  if (obs_dim == 0) raise<InvalidArgument>("replay buffer: obs_dim must be > 0");
  if (capacity > kMaxCapacity || capacity * obs_dim > kMaxObsValues)
    raise<InvalidArgument>("replay buffer: capacity ", capacity, " x obs_dim ", obs_dim, " is too large");
  obs_.resize(capacity * obs_dim);
  next_obs_.resize(capacity * obs_dim);
  actions_.resize(capacity);
  rewards_.resize(capacity);
  discounts_.resize(capacity);
  terminated_.resize(capacity);
  truncated_.resize(capacity);
}

std::size_t TransitionColumns::push(std::span<const float> obs, int action, double reward,
                                    std::span<const float> next_obs, bool terminated, bool truncated,
                                    double discount) {
  if (obs.size() != obs_dim_)
    raise<InvalidArgument>("replay push: obs has ", obs.size(), " values, expected obs_dim = ", obs_dim_);
  if (next_obs.size() != obs_dim_)
    raise<InvalidArgument>("replay push: next_obs has ", next_obs.size(),
                           " values, expected obs_dim = ", obs_dim_);
  check_finite("obs", obs);
  check_finite("next_obs", next_obs);
  if (action < 0) raise<InvalidArgument>("replay push: action is ", action, ", expected an index >= 0");
  if (!std::isfinite(reward)) raise<InvalidArgument>("replay push: reward is ", reward, ", expected finite");
  if (!(discount >= 0.0 && discount <= 1.0))
    raise<InvalidArgument>("replay push: discount is ", discount,
                           ", expected a bootstrap multiplier in [0, 1]");

  const std::size_t slot = next_;
  float* o = &obs_[slot * obs_dim_];
  float* n = &next_obs_[slot * obs_dim_];
  for (std::size_t i = 0; i < obs_dim_; ++i) {
    o[i] = obs[i];
    n[i] = next_obs[i];
  }
  actions_[slot] = action;
  rewards_[slot] = reward;
  discounts_[slot] = discount;
  terminated_[slot] = terminated ? 1 : 0;
  truncated_[slot] = truncated ? 1 : 0;
  next_ = next_ + 1 == capacity_ ? 0 : next_ + 1;
  if (size_ < capacity_) ++size_;
  return slot;
}

void TransitionColumns::gather(Batch& out) const {
  const std::size_t n = out.indices.size();
  PIB_EXPECTS(
      static_cast<std::size_t>(out.obs.rows()) == n && static_cast<std::size_t>(out.obs.cols()) == obs_dim_,
      "batch shape ", out.obs.rows(), "x", out.obs.cols(), ", expected ", n, "x", obs_dim_);
  for (std::size_t k = 0; k < n; ++k) {
    const std::size_t slot = out.indices[k];
    PIB_EXPECTS(slot < size_, "slot ", slot, " >= size ", size_);
    const auto row = static_cast<Eigen::Index>(k);
    const float* o = &obs_[slot * obs_dim_];
    const float* nx = &next_obs_[slot * obs_dim_];
    double* ro = out.obs.data() + k * obs_dim_;
    double* rn = out.next_obs.data() + k * obs_dim_;
    for (std::size_t i = 0; i < obs_dim_; ++i) {
      ro[i] = o[i];
      rn[i] = nx[i];
    }
    out.actions(row) = actions_[slot];
    out.rewards(row) = rewards_[slot];
    out.discounts(row) = discounts_[slot];
    out.terminated(row) = terminated_[slot];
    out.truncated(row) = truncated_[slot];
  }
}

void TransitionColumns::write(detail::BinaryWriter& out) const {
  out.value<std::uint64_t>(capacity_);
  out.value<std::uint64_t>(obs_dim_);
  out.value<std::uint64_t>(size_);
  out.value<std::uint64_t>(next_);
  const std::size_t values = size_ * obs_dim_;
  out.array(std::span<const float>(obs_.data(), values));
  out.array(std::span<const float>(next_obs_.data(), values));
  out.array(std::span<const std::int32_t>(actions_.data(), size_));
  out.array(std::span<const double>(rewards_.data(), size_));
  out.array(std::span<const double>(discounts_.data(), size_));
  out.array(std::span<const std::uint8_t>(terminated_.data(), size_));
  out.array(std::span<const std::uint8_t>(truncated_.data(), size_));
}

TransitionColumns TransitionColumns::read(detail::BinaryReader& in) {
  const auto capacity = in.value<std::uint64_t>();
  const auto obs_dim = in.value<std::uint64_t>();
  const auto size = in.value<std::uint64_t>();
  const auto next = in.value<std::uint64_t>();
  if (capacity == 0 || obs_dim == 0 || capacity > kMaxCapacity || obs_dim > kMaxObsValues ||
      capacity * obs_dim > kMaxObsValues)
    in.fail("invalid replay buffer shape (capacity ", capacity, ", obs_dim ", obs_dim, ")");
  if (size > capacity || next >= capacity || (size < capacity && next != size))
    in.fail("invalid ring position (capacity ", capacity, ", size ", size, ", next slot ", next, ")");

  TransitionColumns c(capacity, obs_dim);
  c.size_ = size;
  c.next_ = next;
  const std::size_t values = size * obs_dim;
  in.array(std::span<float>(c.obs_.data(), values));
  in.array(std::span<float>(c.next_obs_.data(), values));
  in.array(std::span<std::int32_t>(c.actions_.data(), size));
  in.array(std::span<double>(c.rewards_.data(), size));
  in.array(std::span<double>(c.discounts_.data(), size));
  in.array(std::span<std::uint8_t>(c.terminated_.data(), size));
  in.array(std::span<std::uint8_t>(c.truncated_.data(), size));
  for (std::size_t i = 0; i < values; ++i)
    if (!std::isfinite(c.obs_[i]) || !std::isfinite(c.next_obs_[i])) in.fail("non-finite observation stored");
  for (std::size_t s = 0; s < size; ++s)
    if (c.actions_[s] < 0 || !std::isfinite(c.rewards_[s]) ||
        !(c.discounts_[s] >= 0.0 && c.discounts_[s] <= 1.0) || c.terminated_[s] > 1 || c.truncated_[s] > 1)
      in.fail("invalid transition stored at slot ", s);
  return c;
}

}  // namespace pib::replay
