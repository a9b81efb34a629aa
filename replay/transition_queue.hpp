#pragma once
// A typed, fixed-capacity, lock-free single-producer single-consumer queue of transitions, carrying them
// from the actor thread (producer) to the learner thread (consumer) (DESIGN.md 4.2).
//
// It wraps boost::lockfree::spsc_queue. Items are BasicTransition<MaxObsDim> values: fixed-size and
// trivially copyable, so neither side ever allocates after construction. Thread ownership:
// * exactly one thread, the producer, may call try_push() and write_available();
// * exactly one thread, the consumer, may call try_pop(), consume_all() and read_available();
// * capacity() may be called from any thread; construction and destruction happen while no other thread
//   uses the queue (the owner's lifetime encloses both threads' use).
// The producer and consumer may be the same thread. A full queue (push) or an empty one (pop) is an
// expected outcome reported by the return value, never an error.

#include <cstddef>
#include <optional>
#include <utility>

#include <boost/lockfree/spsc_queue.hpp>

#include "common/error.hpp"
#include "replay/transition.hpp"

namespace pib::replay {

template <std::size_t MaxObsDim>
class BasicTransitionQueue {
 public:
  using value_type = BasicTransition<MaxObsDim>;

  // Any thread, before the queue is shared. capacity > 0 (pib::InvalidArgument otherwise) is the number of
  // transitions it can hold at once; the storage is allocated here, once.
  explicit BasicTransitionQueue(std::size_t capacity)
      : capacity_(check_capacity(capacity)), queue_(capacity) {}

  BasicTransitionQueue(const BasicTransitionQueue&) = delete;
  BasicTransitionQueue& operator=(const BasicTransitionQueue&) = delete;

  // Producer thread only. Copies t into the queue; false (and nothing stored) when the queue is full.
  [[nodiscard]] bool try_push(const value_type& t) { return queue_.push(t); }

  // Consumer thread only. Moves the oldest transition into `out`; false (out untouched) when empty.
  [[nodiscard]] bool try_pop(value_type& out) { return queue_.pop(out); }

  // Consumer thread only. The oldest transition, or std::nullopt when the queue is empty.
  std::optional<value_type> try_pop() {
    value_type t;
    if (!queue_.pop(t)) return std::nullopt;
    return t;
  }

  // Consumer thread only. Calls f(const value_type&) on every transition available now, oldest first, and
  // returns how many it consumed.
  template <typename F>
  std::size_t consume_all(F&& f) {
    return queue_.consume_all(std::forward<F>(f));
  }

  // Consumer thread only: transitions ready to pop (a lower bound while the producer runs).
  std::size_t read_available() const { return queue_.read_available(); }
  // Producer thread only: free places (a lower bound while the consumer runs).
  std::size_t write_available() const { return queue_.write_available(); }
  // Any thread.
  std::size_t capacity() const { return capacity_; }

 private:
  static std::size_t check_capacity(std::size_t capacity) {
    if (capacity == 0) raise<InvalidArgument>("transition queue: capacity must be > 0");
    return capacity;
  }

  std::size_t capacity_;
  boost::lockfree::spsc_queue<value_type> queue_;
};

using TransitionQueue = BasicTransitionQueue<kDefaultMaxObsDim>;

}  // namespace pib::replay
