// PairWorker (agent/pair_worker.hpp): both threads run the job, every call returns only when both are
// done, and an error on either thread reaches the caller.
#include <atomic>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "agent/pair_worker.hpp"

TEST_CASE("pair worker: two threads share a job and both finish before run returns", "[agent][concurrency]") {
  pib::agent::PairWorker pair;
  for (int round = 0; round < 200; ++round) {
    std::vector<int> out(1000, 0);
    std::atomic<std::size_t> next{0};
    std::atomic<int> threads_seen{0};
    std::atomic<bool> helper_ran{false};
    const auto caller = std::this_thread::get_id();
    pair.run([&] {
      ++threads_seen;
      if (std::this_thread::get_id() != caller) helper_ran = true;
      for (std::size_t i; (i = next.fetch_add(1)) < out.size();)
        out[i] = static_cast<int>(i) * 2;
    });
    CHECK(threads_seen == 2);
    CHECK(helper_ran);
    for (std::size_t i = 0; i < out.size(); ++i)
      REQUIRE(out[i] == static_cast<int>(i) * 2);  // every item done once the call returned
  }
}

TEST_CASE("pair worker: an error on either thread reaches the caller", "[agent][concurrency]") {
  pib::agent::PairWorker pair;
  const auto caller = std::this_thread::get_id();
  CHECK_THROWS_WITH(pair.run([&] {
                      if (std::this_thread::get_id() != caller) throw std::runtime_error("helper failed");
                    }),
                    "helper failed");
  CHECK_THROWS_WITH(pair.run([&] {
                      if (std::this_thread::get_id() == caller) throw std::runtime_error("caller failed");
                    }),
                    "caller failed");
  int calls = 0;
  std::mutex m;
  pair.run([&] {
    std::lock_guard lock(m);
    ++calls;
  });
  CHECK(calls == 2);  // still works after errors
}
