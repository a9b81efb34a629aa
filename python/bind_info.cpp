// pib.info: matrix-based Renyi entropy, mutual information and the supervised / RL PIB loss of bottleneck/ on
// NumPy float64 arrays (one sample per row; a 1-D array is n samples of one value), with the library's
// conventions (DESIGN.md 2.1-2.4): bits, A = K / tr K, alpha 1.01 and beta 0.01 by default, kernel widths as
// the config's width objects, Gaussian kernels by default with the k = 10 nearest-neighbour width.

#include <algorithm>
#include <limits>
#include <optional>
#include <sstream>
#include <vector>

#include <pybind11/numpy.h>
#include <pybind11/stl.h>

#include "bottleneck/entropy.hpp"
#include "bottleneck/kernel.hpp"
#include "bottleneck/objectives.hpp"
#include "bottleneck/settings.hpp"
#include "common/error.hpp"
#include "python/bindings.hpp"

namespace py = pybind11;
using namespace pybind11::literals;

namespace pib::python {
namespace {

using bottleneck::Kernel;
using bottleneck::KernelWidth;
using bottleneck::Matrix;
using Array = py::array_t<double, py::array::c_style | py::array::forcecast>;

constexpr double kDefaultAlpha = bottleneck::PibConfig{}.alpha;
constexpr double kDefaultBeta = bottleneck::PibConfig{}.beta;

// A batch: a 2-D array (n x d) or a 1-D array (n samples of one value); ValueError naming the expected shape.
Eigen::Map<const Matrix> samples(const Array& a, const std::string& what) {
  if (a.ndim() == 1) return {a.data(), a.shape(0), 1};
  if (a.ndim() == 2) return {a.data(), a.shape(0), a.shape(1)};
  raise<InvalidArgument>(what, ": expected shape (n, d) or (n,), got ", shape_of(a));
}

void check_rows(Eigen::Index rows, Eigen::Index n, const std::string& what, const py::array& a) {
  if (rows != n)
    raise<InvalidArgument>(what, ": expected ", n, " samples (rows) like the first argument, got shape ",
                           shape_of(a));
}

// A kernel-width argument: None (the default rule, k = 10 nearest neighbours), a number (a fixed sigma) or a
// width object as in a config ({"rule": "knn" | "fixed" | "silverman" | "median", "k", "value", "gamma"}).
KernelWidth read_width(py::handle w, const std::string& key) {
  KernelWidth width;
  if (w.is_none()) return width;
  if (py::isinstance<py::dict>(w)) return bottleneck::read_kernel_width(from_python(w, key), key, width);
  if (!py::isinstance<py::bool_>(w) && !py::isinstance<py::str>(w) && py::hasattr(w, "__float__")) {
    width.rule = bottleneck::WidthRule::fixed;
    width.value = w.cast<double>();
    try {
      width.validate();
    } catch (const InvalidArgument& e) {
      raise<InvalidArgument>(key, ": a fixed width must be finite and > 0, got ", width.value);
    }
    return width;
  }
  raise<InvalidArgument>(key,
                         ": expected None, a number (a fixed sigma) or a width object {\"rule\": ...}, got ",
                         py::repr(w).cast<std::string>());
}

Kernel read_kernel(const std::string& name, const std::string& key) {
  try {
    return bottleneck::parse_kernel(name);
  } catch (const InvalidArgument& e) {
    raise<InvalidArgument>(key, ": ", e.what());
  }
}

// The Gram matrix of one variable: its kernel, and for a Gaussian kernel the width its rule picks for X.
struct GramSpec {
  Kernel kernel;
  KernelWidth width;
  Matrix gram(const Eigen::Ref<const Matrix>& X) const {
    const double sigma = kernel == Kernel::gaussian ? width.select(X) : 1.0;
    return bottleneck::gram(X, kernel, sigma);
  }
};

GramSpec spec(const std::string& kernel, py::handle width, const std::string& kernel_key,
              const std::string& width_key) {
  return {read_kernel(kernel, kernel_key), read_width(width, width_key)};
}

// Integer labels in [0, n) from a 1-D integer array of `rows` entries; n defaults to max + 1.
std::vector<int> labels_of(const py::array& a, Eigen::Index rows, std::optional<int>& n,
                           const std::string& what) {
  const char k = a.dtype().kind();
  if ((k != 'i' && k != 'u' && k != 'b') || a.ndim() != 1 || a.shape(0) != rows)
    raise<InvalidArgument>(what, ": expected ", rows, " integer labels, shape (", rows, ",), got shape ",
                           shape_of(a), " of dtype ", py::str(a.dtype()).cast<std::string>());
  const auto ints = py::array_t<long long, py::array::c_style | py::array::forcecast>::ensure(a);
  std::vector<int> labels(static_cast<std::size_t>(rows));
  long long top = 0;
  for (Eigen::Index i = 0; i < rows; ++i) {
    const long long v = ints.at(i);
    if (v < 0 || v > std::numeric_limits<int>::max())
      raise<InvalidArgument>(what, ": label ", v, " of sample ", i, " is not in [0, 2^31)");
    labels[static_cast<std::size_t>(i)] = static_cast<int>(v);
    top = std::max(top, v);
  }
  if (!n) n = static_cast<int>(top) + 1;
  return labels;
}

py::array as_array(py::handle a) {
  return py::module_::import("numpy").attr("asarray")(a);
}

py::tuple pib_loss(const Array& xa, py::object y_obj, const Array& za, double alpha, double beta,
                   py::object z_width, const std::string& z_kernel, py::object x_width, double sigma_y,
                   std::optional<int> n_classes, py::object actions_obj, std::optional<int> n_actions,
                   int features, std::uint64_t feature_seed) {
  const py::array y_in = as_array(y_obj);
  std::optional<py::array> actions_in;
  if (!actions_obj.is_none()) actions_in = as_array(actions_obj);
  const auto X = samples(xa, "pib_loss: X");
  const auto Z = samples(za, "pib_loss: Z");
  check_rows(Z.rows(), X.rows(), "pib_loss: Z", za);
  bottleneck::PibConfig cfg;
  cfg.alpha = alpha;
  cfg.beta = beta;
  cfg.z_width = read_width(z_width, "z_width");
  cfg.z_kernel = read_kernel(z_kernel, "z_kernel");
  cfg.estimator = {features, feature_seed};
  cfg.estimator.validate();
  const KernelWidth xw = read_width(x_width, "x_width");

  // Y: integer class labels (one-hot, linear kernel), or float targets (Gaussian kernel of width sigma_y),
  // with `actions` the product of the targets' kernel and the actions' one-hot kernel.
  const char y_kind = y_in.dtype().kind();
  const bool labels = y_kind == 'i' || y_kind == 'u' || y_kind == 'b';
  if (labels && actions_in)
    raise<InvalidArgument>("pib_loss: with actions, Y must be the float TD targets, got integer labels");
  std::vector<int> ys, actions;
  Eigen::VectorXd targets;
  if (labels) {
    ys = labels_of(y_in, X.rows(), n_classes, "pib_loss: Y");
  } else {
    const Array ya = Array::ensure(y_in);
    if (!ya || !(ya.ndim() == 1 || (ya.ndim() == 2 && ya.shape(1) == 1)) || ya.shape(0) != X.rows())
      raise<InvalidArgument>("pib_loss: Y: expected ", X.rows(), " integer class labels or ", X.rows(),
                             " scalar targets, shape (", X.rows(), ",) or (", X.rows(), ", 1), got shape ",
                             shape_of(y_in));
    targets = Eigen::Map<const Eigen::VectorXd>(ya.data(), X.rows());
    if (actions_in) actions = labels_of(*actions_in, X.rows(), n_actions, "pib_loss: actions");
  }

  bottleneck::Terms t;
  Matrix dZ(Z.rows(), Z.cols());
  {
    py::gil_scoped_release free;
    const double sigma_x = xw.select(X);
    const auto batch =
        labels ? bottleneck::BatchTargets::supervised(X, sigma_x, ys, *n_classes, alpha, cfg.estimator)
               : bottleneck::BatchTargets::rl(
                     X, sigma_x, targets, sigma_y, alpha,
                     actions_in ? bottleneck::RlTarget::action_target : bottleneck::RlTarget::td_target,
                     actions, n_actions.value_or(0));
    bottleneck::Workspace ws;
    t = bottleneck::pib_loss(batch, Z, cfg, ws, dZ);
  }
  py::array_t<double> grad(std::vector<py::ssize_t>(za.shape(), za.shape() + za.ndim()), dZ.data());
  return py::make_tuple(t.loss, t.i_xz, t.i_yz, grad);
}

}  // namespace

void bind_info(py::module_& m) {
  m.def(
      "kernel_width",
      [](const Array& X, py::object width) {
        const auto x = samples(X, "kernel_width: X");
        const KernelWidth w = read_width(width, "width");
        py::gil_scoped_release free;
        return w.select(x);
      },
      "X"_a, py::kw_only(), "width"_a = py::none(),
      R"(The Gaussian kernel width sigma a width rule picks for the batch X (n x d, or (n,)).

width: None (default: mean distance to the k = 10 nearest neighbours, min(k, n - 1) used), a number (that
fixed sigma), or a width object as in a config: {"rule": "knn" | "fixed" | "silverman" | "median",
"k": 10, "value": 1.0, "gamma": 0.8}. Every rule is floored at 1e-8.)");

  m.def(
      "gram",
      [](const Array& X, const std::string& kernel, py::object width) {
        const auto x = samples(X, "gram: X");
        const GramSpec s = spec(kernel, width, "kernel", "width");
        Matrix K;
        {
          py::gil_scoped_release free;
          K = s.gram(x);
        }
        return py::array_t<double>({K.rows(), K.cols()}, K.data());
      },
      "X"_a, py::kw_only(), "kernel"_a = "gaussian", "width"_a = py::none(),
      R"(The Gram matrix of X (n x d, or (n,)): n x n.

kernel "gaussian": K_ij = exp(-|x_i - x_j|^2 / (2 sigma^2)) with sigma from `width` (see kernel_width);
kernel "linear": K = X X^T (width unused).)");

  m.def(
      "entropy",
      [](const Array& X, double alpha, const std::string& kernel, py::object width) {
        const auto x = samples(X, "entropy: X");
        const GramSpec s = spec(kernel, width, "kernel", "width");
        py::gil_scoped_release free;
        return bottleneck::gram_entropy(s.gram(x), alpha);
      },
      "X"_a, py::kw_only(), "alpha"_a = kDefaultAlpha, "kernel"_a = "gaussian", "width"_a = py::none(),
      R"(Matrix-based Renyi alpha-entropy of the batch X (n >= 2 samples, n x d or (n,)), in bits.

S_alpha(A) = log2(sum_i lambda_i(A)^alpha) / (1 - alpha) with A = K / tr K, K the Gram matrix of X (see gram:
kernel "gaussian" with sigma from `width`, or "linear"). alpha > 0 (default 1.01); alpha = 1 is the von Neumann
entropy -sum lambda log2 lambda; alpha = 2 is -log2 |A|_F^2. ValueError for alpha <= 0, n < 2, NaN or inf.)");

  m.def(
      "joint_entropy",
      [](const Array& X, const Array& Y, double alpha, const std::string& x_kernel, py::object x_width,
         const std::string& y_kernel, py::object y_width) {
        const auto x = samples(X, "joint_entropy: X");
        const auto y = samples(Y, "joint_entropy: Y");
        check_rows(y.rows(), x.rows(), "joint_entropy: Y", Y);
        const GramSpec sx = spec(x_kernel, x_width, "x_kernel", "x_width");
        const GramSpec sy = spec(y_kernel, y_width, "y_kernel", "y_width");
        py::gil_scoped_release free;
        return bottleneck::joint_entropy(sx.gram(x), sy.gram(y), alpha);
      },
      "X"_a, "Y"_a, py::kw_only(), "alpha"_a = kDefaultAlpha, "x_kernel"_a = "gaussian",
      "x_width"_a = py::none(), "y_kernel"_a = "gaussian", "y_width"_a = py::none(),
      R"(Joint Renyi alpha-entropy S_alpha(A_x, A_y) = S_alpha(K_x o K_y / tr(K_x o K_y)) (Hadamard product) of
two batches of the same n samples, in bits. Kernels and widths of each as in entropy; alpha default 1.01.)");

  m.def(
      "mutual_information",
      [](const Array& X, const Array& Y, double alpha, const std::string& x_kernel, py::object x_width,
         const std::string& y_kernel, py::object y_width) {
        const auto x = samples(X, "mutual_information: X");
        const auto y = samples(Y, "mutual_information: Y");
        check_rows(y.rows(), x.rows(), "mutual_information: Y", Y);
        const GramSpec sx = spec(x_kernel, x_width, "x_kernel", "x_width");
        const GramSpec sy = spec(y_kernel, y_width, "y_kernel", "y_width");
        py::gil_scoped_release free;
        return bottleneck::mutual_information(sx.gram(x), sy.gram(y), alpha).i;
      },
      "X"_a, "Y"_a, py::kw_only(), "alpha"_a = kDefaultAlpha, "x_kernel"_a = "gaussian",
      "x_width"_a = py::none(), "y_kernel"_a = "gaussian", "y_width"_a = py::none(),
      R"(Matrix-based Renyi mutual information I_alpha(X; Y) = S(A_x) + S(A_y) - S(A_x, A_y) of two batches of the
same n samples, in bits. Kernels and widths of each as in entropy (x_kernel/x_width, y_kernel/y_width);
alpha default 1.01. For one-hot labels pass the one-hot matrix with y_kernel="linear".)");

  m.def(
      "pib_loss", &pib_loss, "X"_a, "Y"_a, "Z"_a, py::kw_only(), "alpha"_a = kDefaultAlpha,
      "beta"_a = kDefaultBeta, "z_width"_a = py::none(), "z_kernel"_a = "gaussian", "x_width"_a = py::none(),
      "sigma_y"_a = 0.0, "n_classes"_a = py::none(), "actions"_a = py::none(), "n_actions"_a = py::none(),
      "features"_a = 0, "feature_seed"_a = 0,
      R"(The PIB loss L = -I(Y; Z) + beta I(X; Z) of a batch and its gradient: (loss, I_xz, I_yz, dL_dZ), bits.

X: the inputs (n x dx, or (n,)), Gaussian kernel with sigma from x_width (None: the k = 10 nearest-neighbour
   rule on this X; pib fixes sigma of X once per run, so pass a number to do the same).
Y: integer class labels (n,) -> one-hot with the linear kernel (n_classes: default max + 1); or float
   targets (n,) or (n, 1) -> Gaussian kernel of width sigma_y (<= 0, the default: the batch standard
   deviation, floored at 1e-6), as pib rl's TD targets. With actions (integer (n,), n_actions default max + 1)
   K_y is the targets' kernel times the actions' one-hot kernel (pib rl's "y": "action_target").
Z: the unit's outputs (n x dz, or (n,)). z_kernel "gaussian" with sigma from z_width (None: k = 10 nearest
   neighbours, chosen per batch and held fixed in the gradient), or "linear" (K = Zc Zc^T of the
   batch-centred Z scaled to unit norm; z_width unused).
alpha: Renyi order > 0 (default 1.01; 2 is the fast closed form); beta: weight of I(X; Z) >= 0 (default 0.01).
Widths are None, a number (fixed sigma) or a config width object {"rule", "k", "value", "gamma"}.
features: 0 (default) the exact n x n estimator; m > 0 the feature-space estimator for large batches of class
   labels (pib.features; exact for the linear kernel of Z, m random Fourier features for Gaussian kernels;
   feature_seed fixes the draws).
dL_dZ has Z's shape. ValueError for bad shapes, values or keys.)");
}

}  // namespace pib::python
