#pragma once
// Two threads for one job: run(fn) calls fn on the calling thread and on a helper thread the object owns,
// and returns when both calls have returned (rethrowing the first error). The job splits its work between
// the two calls itself (e.g. through an atomic task counter). The hand-over is atomics (a short spin, so
// that a job of a fraction of a millisecond does not wait for a sleeping thread to wake) and, past the
// spin, a mutex and condition variables; ThreadSanitizer sees every happens-before edge (it cannot see into
// oneTBB's task spawn, which this replaces here).
//
// Thread-safety: run() from one thread at a time.

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>

namespace pib::agent {

class PairWorker {
 public:
  PairWorker() : thread_([this] { loop(); }) {}
  ~PairWorker() {
    {
      std::lock_guard lock(mutex_);
      quit_.store(true, std::memory_order_release);
    }
    wake_.notify_one();
    thread_.join();
  }
  PairWorker(const PairWorker&) = delete;
  PairWorker& operator=(const PairWorker&) = delete;

  void run(const std::function<void()>& fn) {
    job_ = &fn;
    helper_error_ = nullptr;
    {
      std::lock_guard lock(mutex_);
      started_.fetch_add(1, std::memory_order_release);
    }
    wake_.notify_one();
    std::exception_ptr mine;
    try {
      fn();
    } catch (...) {
      mine = std::current_exception();
    }
    const auto target = started_.load(std::memory_order_relaxed);
    if (!spin_until([&] { return finished_.load(std::memory_order_acquire) == target; })) {
      std::unique_lock lock(mutex_);
      done_.wait(lock, [&] { return finished_.load(std::memory_order_acquire) == target; });
    }
    if (mine) std::rethrow_exception(mine);
    if (helper_error_) std::rethrow_exception(helper_error_);
  }

 private:
  template <typename Pred>
  static bool spin_until(Pred ready) {
    for (int i = 0; i < 20000; ++i) {
      if (ready()) return true;
      if (i >= 64) std::this_thread::yield();
    }
    return ready();
  }

  void loop() {
    std::uint64_t seen = 0;
    while (true) {
      auto due = [&] {
        return quit_.load(std::memory_order_acquire) || started_.load(std::memory_order_acquire) != seen;
      };
      if (!spin_until(due)) {
        std::unique_lock lock(mutex_);
        wake_.wait(lock, due);
      }
      if (quit_.load(std::memory_order_acquire)) return;
      seen = started_.load(std::memory_order_acquire);
      try {
        (*job_)();
      } catch (...) {
        helper_error_ = std::current_exception();
      }
      {
        std::lock_guard lock(mutex_);
        finished_.store(seen, std::memory_order_release);
      }
      done_.notify_one();
    }
  }

  std::mutex mutex_;
  std::condition_variable wake_, done_;
  const std::function<void()>* job_ = nullptr;  // written by run() before `started_`, read by the helper after
  std::exception_ptr helper_error_;              // written by the helper before `finished_`
  std::atomic<std::uint64_t> started_{0}, finished_{0};
  std::atomic<bool> quit_{false};
  std::thread thread_;  // last: starts after the members it uses
};

}  // namespace pib::agent
