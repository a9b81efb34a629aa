#pragma once
// The ideal mathematical model of a unit, for the in-silico parts of training (DESIGN.md 3.6): the
// backprop-in-silico baseline trains a network of IdealLayers end to end, and IdealUnit puts one behind the
// Unit interface so PIB can be run "in simulation" (pib_ideal).
//
// An IdealLayer is Z = act(X W + b) for a dense geometry, and the same on im2col patches for a conv geometry
// (then max-pooled when the geometry pools), with the flat parameter layout of units/dense.hpp and
// units/memristor.hpp (so trained parameters deploy unchanged onto the device of the same config). Which
// kinds have one is their registry record's business (UnitKind::ideal, units/registry.hpp): the crossbar
// and digital kinds do, optics does not (its physics is hidden).

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

#include <Eigen/Core>
#include <nlohmann/json.hpp>

#include "common/random.hpp"
#include "units/dense.hpp"
#include "units/geometry.hpp"
#include "units/unit.hpp"

namespace pib::units {

class IdealLayer {
 public:
  // Z = act(layer(X)) on `geometry` (dense when geometry.is_dense(): in_channels inputs, out_channels
  // outputs), initialised as `init` says ("auto" | "he" | "glorot").
  IdealLayer(CrossbarGeometry geometry, Activation activation, std::string init = "auto");
  // The ideal model of a unit config (with "kind"), from the kind's registry record; ConfigError naming
  // `path`.kind for a kind without one (optics) and naming the key for a bad config ("units[1].input_dim").
  static IdealLayer from_unit_config(const nlohmann::json& unit_config, const std::string& path);

  Eigen::Index input_dim() const { return geometry_.input_dim(); }
  Eigen::Index output_dim() const { return geometry_.output_dim(); }
  Eigen::Index parameter_count() const { return rows() * cols() + cols(); }
  Activation activation() const { return activation_; }
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

  CrossbarGeometry geometry_;
  Activation activation_ = Activation::relu;
  std::string init_ = "auto";
};

// An ideal, noise-free unit (kind "ideal:<kind>"): measure = the IdealLayer, response = input, gradient =
// the exact parameter gradient. Thread-safety: the Unit contract (parameters are an immutable snapshot
// swapped under a mutex). No device time.
class IdealUnit final : public Unit {
 public:
  IdealUnit(const nlohmann::json& unit_config, std::uint64_t seed, const std::string& path = "unit");

  std::string kind() const override { return kind_; }
  Eigen::Index input_dim() const override { return layer_.input_dim(); }
  Eigen::Index output_dim() const override { return layer_.output_dim(); }
  Eigen::Index parameter_count() const override { return layer_.parameter_count(); }
  void measure(const Eigen::Ref<const Matrix>& input, Measurement& out, Rng& rng) override;
  void gradient(const Measurement& m, const Eigen::Ref<const Matrix>& dL_dZ,
                Eigen::Ref<Eigen::VectorXd> grad) const override;
  void deploy(const Eigen::Ref<const Eigen::VectorXd>& parameters, Rng& rng) override;
  Eigen::VectorXd parameters() const override;
  std::uint64_t version() const override;
  DeviceTiming timing() const override { return {}; }
  DeviceLedger ledger() const override { return {}; }
  std::unique_ptr<Unit> clone() const override;

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

// The geometry of a dense layer with `in` inputs and `out` outputs.
CrossbarGeometry dense_geometry(Eigen::Index in, Eigen::Index out);

}  // namespace pib::units
