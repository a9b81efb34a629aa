#include <algorithm>
#include <string>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "common/error.hpp"
#include "units/registry.hpp"

using pib::units::make_unit;

namespace {
std::string error_of(const nlohmann::json& config) {
  try {
    make_unit(config, 1);
  } catch (const pib::ConfigError& e) {
    return e.what();
  }
  return "";
}
}  // namespace

TEST_CASE("registry creates the built-in kinds by name", "[registry]") {
  const auto kinds = pib::units::known_unit_kinds();
  CHECK(std::find(kinds.begin(), kinds.end(), "digital_dense") != kinds.end());
  auto unit = make_unit({{"kind", "digital_dense"}, {"input_dim", 3}, {"output_dim", 2}}, 7);
  CHECK(unit->kind() == "digital_dense");
  CHECK(unit->input_dim() == 3);
  CHECK(unit->output_dim() == 2);
  CHECK(unit->parameter_count() == 8);
}

TEST_CASE("registry errors name the kind or the key", "[registry]") {
  const std::string unknown_kind = error_of({{"kind", "quantum"}, {"input_dim", 3}, {"output_dim", 2}});
  CHECK(unknown_kind.find("quantum") != std::string::npos);
  CHECK(unknown_kind.find("digital_dense") != std::string::npos);  // lists the known kinds
  CHECK(error_of({{"input_dim", 3}}).find("kind") != std::string::npos);
  const std::string unknown_key =
      error_of({{"kind", "digital_dense"}, {"input_dim", 3}, {"output_dim", 2}, {"ouput_dim", 2}});
  CHECK(unknown_key.find("ouput_dim") != std::string::npos);
  CHECK(error_of({{"kind", "digital_dense"}, {"input_dim", 0}, {"output_dim", 2}}).find("input_dim") !=
        std::string::npos);
  CHECK(error_of({{"kind", "digital_dense"}, {"input_dim", 3}, {"output_dim", 2}, {"deploy_us", -1}})
            .find("deploy_us") != std::string::npos);
  CHECK(error_of({{"kind", "digital_dense"}, {"input_dim", 3}, {"output_dim", 2}, {"activation", "gelu"}})
            .find("activation") != std::string::npos);
  CHECK(error_of({{"kind", "digital_dense"}, {"input_dim", "three"}, {"output_dim", 2}}).find("input_dim") !=
        std::string::npos);
}

TEST_CASE("registry accepts new kinds at run time", "[registry]") {
  pib::units::UnitKind kind;
  kind.make = [](const nlohmann::json& config, std::uint64_t seed) {
    nlohmann::json c = config;
    c["output_dim"] = 1;
    c["kind"] = "digital_dense";
    return make_unit(c, seed);
  };
  pib::units::register_unit_kind("test_kind", kind);
  auto unit = make_unit({{"kind", "test_kind"}, {"input_dim", 4}}, 3);
  CHECK(unit->output_dim() == 1);
}
