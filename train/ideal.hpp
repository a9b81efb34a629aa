#pragma once
// The ideal mathematical model of a crossbar or digital unit, for the in-silico parts of training
// (DESIGN.md 3.6): the backprop-in-silico baseline trains a network of IdealLayers end to end, and
// IdealUnit puts one behind the Unit interface so PIB can be run "in simulation" (pib_ideal).
//
// An IdealLayer is Z = act(X W + b) for memristor_dense / digital_dense, and the same on im2col patches for
// memristor_conv1d / memristor_conv2d (then max-pooled when the config's `pool` > 1), with the flat
// parameter layout of units/memristor.hpp (so trained parameters deploy unchanged onto the device of the
// same config). Optical units have no ideal model (their physics is hidden): from_unit_config throws
// ConfigError for them.

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

#include <Eigen/Core>
#include <nlohmann/json.hpp>

#include "units/digital.hpp"
#include "units/memristor.hpp"
#include "units/unit.hpp"

namespace pib::train {

using Matrix = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

class IdealLayer {
 public:
  // From a unit config (with "kind"); `path` prefixes error messages ("units[1]").
  static IdealLayer from_unit_config(const nlohmann::json& unit_config, const std::string& path);

  Eigen::Index input_dim() const { return geometry_.input_dim(); }
  Eigen::Index output_dim() const { return geometry_.output_dim(); }
  Eigen::Index parameter_count() const { return rows() * cols() + cols(); }
  units::Activation activation() const { return activation_; }
  const std::string& init() const { return init_; }

  // Initial parameters as the unit kind initialises them (He / Glorot on rows() fan-in).
  Eigen::VectorXd initial_parameters(Rng& rng) const;
  // z = act(layer(x)), max-pooled when the layer pools; z is resized. When the layer pools and `unpooled`
  // is not null, it receives the output before pooling (n x conv_dim), which backward needs.
  void forward(const Eigen::VectorXd& params, const Eigen::Ref<const Matrix>& x, Matrix& z,
               Matrix* unpooled = nullptr) const;
  // Given x, the output z of forward and dL/dz: the parameter gradient (parameter_count values) and, if
  // dL_dx is not null, dL/dx (resized to x's shape). A pooling layer also needs forward's `unpooled`.
  void backward(const Eigen::VectorXd& params, const Eigen::Ref<const Matrix>& x,
                const Eigen::Ref<const Matrix>& z, const Eigen::Ref<const Matrix>& dL_dz,
                Eigen::Ref<Eigen::VectorXd> grad, Matrix* dL_dx, const Matrix* unpooled = nullptr) const;

 private:
  // The conv layer's activated output before pooling (n x conv_dim).
  void conv_forward(const Eigen::VectorXd& params, const Eigen::Ref<const Matrix>& x, Matrix& z) const;
  Eigen::Index rows() const { return geometry_.rows(); }
  Eigen::Index cols() const { return geometry_.out_channels; }

  units::CrossbarGeometry geometry_;
  units::Activation activation_ = units::Activation::relu;
  std::string init_ = "auto";
};

// An ideal, noise-free unit (kind "ideal:<kind>"): measure = the IdealLayer, response = input, gradient =
// the exact parameter gradient. Thread-safety: the Unit contract (parameters are an immutable snapshot
// swapped under a mutex). No device time.
class IdealUnit final : public units::Unit {
 public:
  IdealUnit(const nlohmann::json& unit_config, std::uint64_t seed, const std::string& path = "unit");

  std::string kind() const override { return kind_; }
  Eigen::Index input_dim() const override { return layer_.input_dim(); }
  Eigen::Index output_dim() const override { return layer_.output_dim(); }
  Eigen::Index parameter_count() const override { return layer_.parameter_count(); }
  void measure(const Eigen::Ref<const Matrix>& input, units::Measurement& out, Rng& rng) override;
  void gradient(const units::Measurement& m, const Eigen::Ref<const Matrix>& dL_dZ,
                Eigen::Ref<Eigen::VectorXd> grad) const override;
  void deploy(const Eigen::Ref<const Eigen::VectorXd>& parameters, Rng& rng) override;
  Eigen::VectorXd parameters() const override;
  std::uint64_t version() const override;
  units::DeviceTiming timing() const override { return {}; }
  units::DeviceLedger ledger() const override { return {}; }
  std::unique_ptr<units::Unit> clone() const override;

 private:
  IdealUnit(std::string kind, IdealLayer layer, std::shared_ptr<const Eigen::VectorXd> params,
            std::uint64_t version);
  std::shared_ptr<const Eigen::VectorXd> snapshot() const;

  std::string kind_;
  IdealLayer layer_;
  mutable std::mutex mutex_;
  std::shared_ptr<const Eigen::VectorXd> params_;  // guarded by mutex_
  std::uint64_t version_ = 0;                      // guarded by mutex_
};

// A copy of `unit_config` with input_dim set to `input_dim` for the kinds whose input size is a key
// (memristor_dense, digital_dense, optical) when it is absent; for conv kinds the configured input size must
// equal `input_dim` (checked when the unit is built).
nlohmann::json with_input_dim(const nlohmann::json& unit_config, Eigen::Index input_dim);

}  // namespace pib::train
