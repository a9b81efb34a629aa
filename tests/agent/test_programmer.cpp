// The device programmer: one job at a time, in order, off the caller's thread; errors reach the caller.
#include <atomic>
#include <chrono>
#include <stdexcept>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "agent/programmer.hpp"

using pib::agent::DeviceProgrammer;

TEST_CASE("device programmer: jobs run one at a time, in order, off the caller's thread",
          "[agent][concurrency]") {
  DeviceProgrammer p;
  std::vector<int> order;  // written by the jobs only; read after wait()
  std::atomic<int> running{0};
  std::atomic<int> overlap{0};
  std::atomic<bool> elsewhere{true};
  const auto caller = std::this_thread::get_id();
  for (int k = 0; k < 200; ++k) {
    p.start([&, k] {
      if (running.fetch_add(1) != 0) overlap.fetch_add(1);
      if (std::this_thread::get_id() == caller) elsewhere = false;
      if (k % 50 == 0) std::this_thread::sleep_for(std::chrono::milliseconds(2));
      order.push_back(k);
      running.fetch_sub(1);
    });
  }
  p.wait();
  REQUIRE(order.size() == 200);
  for (int k = 0; k < 200; ++k)
    CHECK(order[static_cast<std::size_t>(k)] == k);
  CHECK(overlap.load() == 0);
  CHECK(elsewhere.load());
}

TEST_CASE("device programmer: start returns while the job runs, wait rethrows its error",
          "[agent][concurrency]") {
  DeviceProgrammer p;
  std::atomic<bool> release{false};
  p.start([&] {
    while (!release.load())
      std::this_thread::yield();
  });
  release = true;  // had start blocked until the job finished, this line would never run
  p.wait();
  p.start([] { throw std::runtime_error("programming failed"); });
  CHECK_THROWS_WITH(p.wait(), "programming failed");
  p.wait();  // the error is reported once
  int ran = 0;
  p.start([&] { ++ran; });
  p.wait();
  CHECK(ran == 1);
}
