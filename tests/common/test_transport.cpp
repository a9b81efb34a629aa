// The in-process transport (common/transport.hpp): per-pair FIFO order, a receive that does not wait, and a
// closed group waking a receiver with the reason instead of leaving it blocked.
#include <string>
#include <thread>

#include <catch2/catch.hpp>

#include "common/error.hpp"
#include "common/transport.hpp"

TEST_CASE("local transport: messages arrive in order, a closed group wakes its receivers",
          "[common][transport][concurrency]") {
  auto g = pib::LocalTransport::group(3);
  g[0].send(2, "a");
  g[1].send(2, "x");
  g[0].send(2, "b");
  CHECK(g[2].receive(0) == "a");
  CHECK(g[2].receive(1) == "x");
  CHECK(g[2].receive(0) == "b");
  CHECK_FALSE(g[2].try_receive(0).has_value());  // nothing waiting: no block
  g[1].send(2, "y");
  CHECK(g[2].try_receive(1) == std::optional<std::string>("y"));
  std::thread waiter([&] {
    CHECK_THROWS_WITH(g[1].receive(0), Catch::Contains("rank 1 waiting for rank 0") &&
                                           Catch::Contains("rank 0 failed"));
  });
  g[0].mailboxes().close("rank 0 failed");
  waiter.join();
  CHECK_THROWS_AS(g[0].send(0, "to myself"), pib::PreconditionError);
}
