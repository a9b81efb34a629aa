// ConfigReader: defaults survive absent keys, wrong types and unknown keys are errors naming the key.
#include <catch2/catch.hpp>

#include "common/config.hpp"
#include "common/error.hpp"

namespace {
struct Example {
  double lr = 1e-3;
  int hidden = 64;
};

Example read_example(const nlohmann::json& j) {
  Example e;
  pib::ConfigReader r(j, "agent");
  r.get("lr", e.lr);
  r.get("hidden", e.hidden);
  r.finish();
  return e;
}
}  // namespace

TEST_CASE("ConfigReader keeps defaults and reads present keys", "[config]") {
  const auto e = read_example(nlohmann::json::parse(R"({"hidden": 128})"));
  CHECK(e.hidden == 128);
  CHECK(e.lr == 1e-3);
}

TEST_CASE("ConfigReader names unknown keys and wrong types", "[config]") {
  CHECK_THROWS_WITH(read_example(nlohmann::json::parse(R"({"lrr": 0.1})")),
                    Catch::Contains("agent: unknown key 'lrr'") && Catch::Contains("known: hidden, lr"));
  CHECK_THROWS_AS(read_example(nlohmann::json::parse(R"({"lr": "fast"})")), pib::ConfigError);
  CHECK_THROWS_WITH(read_example(nlohmann::json::parse(R"({"lr": "fast"})")), Catch::Contains("agent.lr"));
  CHECK_THROWS_AS(read_example(nlohmann::json::parse("[1, 2]")), pib::ConfigError);
}

TEST_CASE("PIB_EXPECTS throws a PreconditionError with the message", "[config]") {
  auto check = [](int n) { PIB_EXPECTS(n >= 2, "need at least 2 samples, got ", n); };
  CHECK_NOTHROW(check(2));
  CHECK_THROWS_AS(check(1), pib::PreconditionError);
  CHECK_THROWS_WITH(check(1), Catch::Contains("need at least 2 samples, got 1"));
}
