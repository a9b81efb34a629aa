#pragma once
// Point-to-point messages between the ranks of one job (DESIGN.md 9). A message is a byte string, in pib's
// one binary format (common/binary_io.hpp) by convention of the protocols that use it; the transport only
// moves it. Messages from one rank to another arrive in the order they were sent.
//
// Implementations: LocalTransport (the ranks of one process, over shared mailboxes) here, and
// dist::MpiTransport (one rank per MPI process), the only one that includes MPI.
//
// Thread-safety: a LocalTransport endpoint may be used from any thread; receive() blocks until a message
// arrives or the group is closed (then it throws StateError naming the reason).

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace pib {

class Transport {
 public:
  virtual ~Transport() = default;
  virtual int rank() const = 0;
  virtual int size() const = 0;
  // Sends one message to rank `to` (!= rank()). May return before it is received.
  virtual void send(int to, std::string bytes) = 0;
  // The next message from rank `from` (!= rank()), blocking until there is one.
  virtual std::string receive(int from) = 0;
  // The next message from rank `from` if one has arrived; never blocks.
  virtual std::optional<std::string> try_receive(int from) = 0;
};

// The mailboxes of a group of in-process ranks: one FIFO per (sender, receiver) pair, unbounded.
class LocalGroup {
 public:
  explicit LocalGroup(int size);
  int size() const { return size_; }
  void post(int from, int to, std::string bytes);
  std::string take(int from, int to);
  std::optional<std::string> try_take(int from, int to);
  // Wakes every waiting receiver with StateError(`reason`); later receives that would wait throw too.
  void close(const std::string& reason);

 private:
  int size_;
  std::mutex mutex_;
  std::condition_variable arrived_;
  std::vector<std::deque<std::string>> boxes_;  // index from * size + to
  std::string closed_;                         // the reason, once closed
};

class LocalTransport final : public Transport {
 public:
  LocalTransport(std::shared_ptr<LocalGroup> group, int rank);
  // `size` endpoints over one new group, endpoint r being rank r.
  static std::vector<LocalTransport> group(int size);

  int rank() const override { return rank_; }
  int size() const override { return group_->size(); }
  void send(int to, std::string bytes) override;
  std::string receive(int from) override;
  std::optional<std::string> try_receive(int from) override;
  LocalGroup& mailboxes() { return *group_; }

 private:
  std::shared_ptr<LocalGroup> group_;
  int rank_;
};

}  // namespace pib
