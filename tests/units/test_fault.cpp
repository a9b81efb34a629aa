// The fault description every kind shares (units/fault.hpp): the random channel form and the "faults" array.
#include <set>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "common/error.hpp"
#include "common/random.hpp"
#include "units/fault.hpp"

using Catch::Contains;
using nlohmann::json;

TEST_CASE("the random channel form chooses round(fraction x channels) distinct channels, seeded", "[fault]") {
  const json faults = {{"adc_channels", {{"fraction", 0.2}, {"mode", "noise"}}}};
  pib::Rng a(7), b(7), c(8);
  const auto x = pib::units::with_explicit_adc_channels(faults, 64, a);
  const auto y = pib::units::with_explicit_adc_channels(faults, 64, b);
  const auto z = pib::units::with_explicit_adc_channels(faults, 64, c);
  REQUIRE(x.at("adc_channels").is_array());
  CHECK(x.at("adc_channels").size() == 13);  // round(0.2 x 64)
  std::set<int> channels;
  for (const auto& item : x.at("adc_channels")) {
    CHECK(item.at("mode") == "noise");
    const int ch = item.at("channel").get<int>();
    CHECK((ch >= 0 && ch < 64));
    channels.insert(ch);
  }
  CHECK(channels.size() == 13);
  CHECK(x == y);
  CHECK(x != z);
  // At least one channel; explicit lists pass through unchanged.
  CHECK(pib::units::with_explicit_adc_channels({{"adc_channels", {{"fraction", 0.001}}}}, 64, a)
            .at("adc_channels")
            .size() == 1);
  const json explicit_list = {{"adc_channels", {{{"channel", 3}, {"mode", "zero"}}}}};
  CHECK(pib::units::with_explicit_adc_channels(explicit_list, 64, a) == explicit_list);
  CHECK_THROWS_WITH(pib::units::with_explicit_adc_channels({{"adc_channels", {{"fraction", 1.5}}}}, 64, a),
                    Contains("faults.adc_channels.fraction"));
}

TEST_CASE("a faults array: at_step only where faults are timed, units in range, in order", "[fault]") {
  const auto timed = json::parse(R"([{"at_step": 10, "unit": 1, "inject": {}}, {"at_step": 20, "unit": 0,
                                     "inject": {}}])");
  const auto events = pib::units::read_fault_events(timed, "faults", 2, true);
  REQUIRE(events.size() == 2);
  CHECK(events[1].at_step == 20);
  CHECK(pib::units::to_json(events, true) == timed);
  CHECK_THROWS_WITH(pib::units::read_fault_events(timed, "faults", 1, true), Contains("faults[0].unit"));
  CHECK_THROWS_WITH(pib::units::read_fault_events(timed, "faults", 2, false), Contains("at_step"));
  auto backwards = timed;
  backwards[1]["at_step"] = 5;
  CHECK_THROWS_WITH(pib::units::read_fault_events(backwards, "faults", 2, true),
                    Contains("faults[1].at_step"));
  CHECK(pib::units::read_fault_events(nullptr, "faults", 2, false).empty());
}
