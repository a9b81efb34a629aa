#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "common/error.hpp"
#include "common/random.hpp"
#include "units/chain.hpp"

using pib::units::build_chain;
using pib::units::Matrix;
using pib::units::measure_chain;
using pib::units::Measurement;
using pib::units::resolve_chain;

namespace {
nlohmann::json optical(int out) {
  return {{"kind", "optical"},    {"output_dim", out},          {"n_speckle", 32},
          {"encoding", "phase8"}, {"forward_us_per_sample", 0}, {"deploy_us", 0}};
}
nlohmann::json dense(int out) {
  return {{"kind", "digital_dense"}, {"output_dim", out}, {"activation", "none"}};
}
std::string error_of(const nlohmann::json& configs, Eigen::Index input_dim) {
  try {
    resolve_chain(configs, input_dim);
  } catch (const pib::ConfigError& e) {
    return e.what();
  }
  return "";
}
}  // namespace

TEST_CASE("resolve_chain fills each unit's input size along the chain", "[chain]") {
  const nlohmann::json conv = {{"kind", "memristor_conv1d"}, {"length", 8}, {"in_channels", 2},
                               {"out_channels", 3},          {"kernel", 3}, {"pool", 1}};
  const auto resolved = resolve_chain(nlohmann::json::array({optical(16), dense(16), conv, dense(5)}), 4,
                                      {{"time_scale", 2.0}});
  REQUIRE(resolved.size() == 4);
  CHECK(resolved[0]["input_dim"] == 4);
  CHECK(resolved[1]["input_dim"] == 16);
  CHECK(!resolved[2].contains("input_dim"));  // a conv's input size follows from its geometry
  CHECK(resolved[3]["input_dim"] == 18);      // 3 channels x 6 positions
  for (const auto& c : resolved)
    CHECK(c["time_scale"] == 2.0);  // the overrides reach every unit
  const auto units = build_chain(resolved, 5);
  REQUIRE(units.size() == 4);
  CHECK(units[0]->input_dim() == 4);
  CHECK(units[2]->input_dim() == 16);
  CHECK(units[3]->output_dim() == 5);
  CHECK(units[1]->timing().time_scale == 2.0);
}

TEST_CASE("resolve_chain and build_chain errors name the unit index", "[chain]") {
  auto wrong = dense(4);
  wrong["input_dim"] = 15;
  const std::string mismatch = error_of(nlohmann::json::array({optical(16), wrong}), 4);
  CHECK(mismatch.find("units[1].input_dim") != std::string::npos);
  CHECK(mismatch.find("16") != std::string::npos);
  const nlohmann::json conv = {{"kind", "memristor_conv1d"}, {"length", 8}, {"in_channels", 2},
                               {"out_channels", 3},          {"kernel", 3}, {"pool", 1}};
  CHECK(error_of(nlohmann::json::array({dense(15), conv}), 4).find("units[1].input_dim") !=
        std::string::npos);
  auto bad = optical(16);
  bad["camera_bits"] = 0;
  const std::string bad_key = error_of(nlohmann::json::array({optical(16), bad}), 4);
  CHECK(bad_key.find("units[1]") != std::string::npos);
  CHECK(bad_key.find("camera_bits") != std::string::npos);
  CHECK(error_of(nlohmann::json::array({optical(16), {{"kind", "quantum"}}}), 4).find("units[1].kind") !=
        std::string::npos);
  CHECK(!error_of(nlohmann::json::array(), 4).empty());
  CHECK(error_of(nlohmann::json::array({dense(4), {{"kind", "digital_dense"}}}), 4).find("units[1]") !=
        std::string::npos);  // output_dim missing
  // build_chain checks resolved configs that do not chain.
  nlohmann::json unresolved = nlohmann::json::array({dense(4), dense(3)});
  unresolved[0]["input_dim"] = 2;
  unresolved[1]["input_dim"] = 5;
  std::string built;
  try {
    build_chain(unresolved, 1);
  } catch (const pib::ConfigError& e) {
    built = e.what();
  }
  CHECK(built.find("units[1].input_dim") != std::string::npos);
}

TEST_CASE("build_chain seeds every unit from its own derived stream", "[chain]") {
  // Four identical configs: distinct seeds give distinct initial parameters, and the chain's seed is not a
  // shift of the unit index (seed 1's unit 0 is not seed 0's unit 1).
  const auto resolved = resolve_chain(nlohmann::json::array({dense(4), dense(4), dense(4), dense(4)}), 4);
  const auto a = build_chain(resolved, 0);
  const auto b = build_chain(resolved, 1);
  const auto a_again = build_chain(resolved, 0);
  for (std::size_t i = 0; i < a.size(); ++i) {
    CHECK(a[i]->parameters() == a_again[i]->parameters());  // deterministic
    for (std::size_t j = 0; j < a.size(); ++j) {
      if (i != j) CHECK(a[i]->parameters() != a[j]->parameters());
      CHECK(a[i]->parameters() != b[j]->parameters());
    }
  }
}

TEST_CASE("measure_chain is a sequence of measurements", "[chain]") {
  const auto units = build_chain(resolve_chain(nlohmann::json::array({optical(16), dense(8)}), 4), 3);
  pib::Rng rng(1);
  Matrix x(10, 4);
  for (Eigen::Index i = 0; i < x.size(); ++i)
    x.data()[i] = rng.uniform(-1, 1);
  std::vector<Measurement> out(5);  // resized to the chain's length
  measure_chain(units, x, out, rng);
  REQUIRE(out.size() == 2);
  CHECK(out[0].response.cols() == 32);  // the camera frame
  CHECK(out[0].output.cols() == 16);
  CHECK(out[1].response == out[0].output);  // unit 1 measured unit 0's measured output
  CHECK(out[1].output.rows() == 10);
  CHECK(out[1].output.cols() == 8);
  const Matrix expected = out[0].output * Eigen::Map<const Matrix>(units[1]->parameters().data(), 16, 8);
  CHECK(out[1].output.isApprox((expected.rowwise() + units[1]->parameters().tail(8).transpose()).eval()));
}
