#include "common/transport.hpp"

#include <utility>

#include "common/error.hpp"

namespace pib {

LocalGroup::LocalGroup(int size) : size_(size), boxes_(static_cast<std::size_t>(size) * static_cast<std::size_t>(size)) {
  PIB_EXPECTS(size >= 1, "a group needs at least one rank, got ", size);
}

void LocalGroup::post(int from, int to, std::string bytes) {
  PIB_EXPECTS(from >= 0 && from < size_ && to >= 0 && to < size_ && from != to, "no mailbox from rank ", from,
              " to rank ", to, " in a group of ", size_);
  {
    std::lock_guard lock(mutex_);
    boxes_[static_cast<std::size_t>(from * size_ + to)].push_back(std::move(bytes));
  }
  arrived_.notify_all();
}

std::string LocalGroup::take(int from, int to) {
  PIB_EXPECTS(from >= 0 && from < size_ && to >= 0 && to < size_ && from != to, "no mailbox from rank ", from,
              " to rank ", to, " in a group of ", size_);
  auto& box = boxes_[static_cast<std::size_t>(from * size_ + to)];
  std::unique_lock lock(mutex_);
  arrived_.wait(lock, [&] { return !box.empty() || !closed_.empty(); });
  if (box.empty()) raise<StateError>("rank ", to, " waiting for rank ", from, ": ", closed_);
  std::string bytes = std::move(box.front());
  box.pop_front();
  return bytes;
}

std::optional<std::string> LocalGroup::try_take(int from, int to) {
  PIB_EXPECTS(from >= 0 && from < size_ && to >= 0 && to < size_ && from != to, "no mailbox from rank ", from,
              " to rank ", to, " in a group of ", size_);
  auto& box = boxes_[static_cast<std::size_t>(from * size_ + to)];
  std::lock_guard lock(mutex_);
  if (box.empty()) return std::nullopt;
  std::string bytes = std::move(box.front());
  box.pop_front();
  return bytes;
}

void LocalGroup::close(const std::string& reason) {
  {
    std::lock_guard lock(mutex_);
    if (closed_.empty()) closed_ = reason.empty() ? std::string("the group was closed") : reason;
  }
  arrived_.notify_all();
}

LocalTransport::LocalTransport(std::shared_ptr<LocalGroup> group, int rank) : group_(std::move(group)), rank_(rank) {
  PIB_EXPECTS(rank >= 0 && rank < group_->size(), "rank ", rank, " outside a group of ", group_->size());
}

std::vector<LocalTransport> LocalTransport::group(int size) {
  auto g = std::make_shared<LocalGroup>(size);
  std::vector<LocalTransport> out;
  for (int r = 0; r < size; ++r)
    out.emplace_back(g, r);
  return out;
}

void LocalTransport::send(int to, std::string bytes) {
  group_->post(rank_, to, std::move(bytes));
}

std::string LocalTransport::receive(int from) {
  return group_->take(from, rank_);
}

std::optional<std::string> LocalTransport::try_receive(int from) {
  return group_->try_take(from, rank_);
}

}  // namespace pib
