#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "common/error.hpp"
#include "common/random.hpp"
#include "units/cascade.hpp"

using pib::units::DeepPnn;
using pib::units::Matrix;
using pib::units::Measurement;

namespace {
nlohmann::json optical(int in, int out) {
  return {{"kind", "optical"},    {"input_dim", in},
          {"output_dim", out},    {"n_speckle", 32},
          {"encoding", "phase8"}, {"forward_us_per_sample", 0},
          {"deploy_us", 0},       {"head", {{"output_dim", 2}}}};
}
}  // namespace

TEST_CASE("deep PNN forward is a sequence of measurements", "[cascade]") {
  const nlohmann::json units = nlohmann::json::array(
      {optical(4, 16),
       {{"kind", "digital_dense"}, {"input_dim", 16}, {"output_dim", 8}, {"activation", "none"}}});
  DeepPnn net(units, 3);
  REQUIRE(net.size() == 2);
  CHECK(net.input_dim() == 4);
  CHECK(net.output_dim() == 8);
  REQUIRE(net.head(0) != nullptr);
  CHECK(net.head(0)->input_dim() == 16);
  CHECK(net.head(0)->output_dim() == 2);
  CHECK(net.head(1) == nullptr);
  pib::Rng rng(1);
  Matrix x(10, 4);
  for (Eigen::Index i = 0; i < x.size(); ++i)
    x.data()[i] = rng.uniform(-1, 1);
  std::vector<Measurement> out;
  net.forward(x, out, rng);
  REQUIRE(out.size() == 2);
  CHECK(out[0].response.cols() == 32);  // the camera frame
  CHECK(out[0].output.cols() == 16);
  CHECK(out[1].response == out[0].output);  // unit 2 measured unit 1's measured output
  CHECK(out[1].output.rows() == 10);
  CHECK(out[1].output.cols() == 8);
}

TEST_CASE("deep PNN config errors name the unit index", "[cascade]") {
  const auto error = [](const nlohmann::json& units) -> std::string {
    try {
      DeepPnn(units, 1);
    } catch (const pib::ConfigError& e) {
      return e.what();
    }
    return "";
  };
  const std::string mismatch = error(nlohmann::json::array({optical(4, 16), optical(15, 4)}));
  CHECK(mismatch.find("units[1].input_dim") != std::string::npos);
  auto bad = optical(4, 16);
  bad["camera_bits"] = 0;
  const std::string bad_key = error(nlohmann::json::array({optical(4, 16), bad}));
  CHECK(bad_key.find("units[1]") != std::string::npos);
  CHECK(bad_key.find("camera_bits") != std::string::npos);
  auto bad_head = optical(4, 16);
  bad_head["head"] = {{"outputs", 2}};
  CHECK(error(nlohmann::json::array({bad_head})).find("outputs") != std::string::npos);
  CHECK(!error(nlohmann::json::array()).empty());
}
