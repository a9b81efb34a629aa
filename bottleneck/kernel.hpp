#pragma once
// Gram matrices and kernel-width rules (DESIGN.md 2.1 and 2.3).
//
// A batch is an n x d row-major matrix, one sample per row. The Gaussian kernel is
// K_ij = exp(-|z_i - z_j|^2 / (2 sigma^2)); the linear kernel is K = Y Y^T (for one-hot labels K_ij = 1 when
// samples i and j share a class). Every function checks its input and throws pib::InvalidArgument on n < 2,
// a NaN/inf entry, or sigma <= 0.

#include <string>
#include <vector>

#include <Eigen/Core>

namespace pib::bottleneck {

using Matrix = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

enum class Kernel { gaussian, linear };

// Parses "gaussian", "linear"; throws InvalidArgument otherwise.
Kernel parse_kernel(const std::string& name);
const char* to_string(Kernel kernel);

// Squared Euclidean distances between the rows of Z (one GEMM, clamped at 0, exact zeros on the diagonal).
// D2 must be n x n.
void squared_distances(const Eigen::Ref<const Matrix>& Z, Eigen::Ref<Matrix> D2);

// Gaussian Gram matrix of Z with width sigma > 0.
Matrix gaussian_gram(const Eigen::Ref<const Matrix>& Z, double sigma);
// Linear Gram matrix Y Y^T.
Matrix linear_gram(const Eigen::Ref<const Matrix>& Y);
// Gram matrix of a kernel by name (sigma is ignored by the linear kernel).
Matrix gram(const Eigen::Ref<const Matrix>& Z, Kernel kernel, double sigma);
// One-hot encoding of integer labels in [0, n_classes): an n x n_classes matrix.
Matrix one_hot(const std::vector<int>& labels, int n_classes);
// Linear Gram matrix of one-hot labels: K_ij = [label_i == label_j].
Matrix label_gram(const std::vector<int>& labels, int n_classes);

enum class WidthRule { fixed, knn, silverman, median };

// How sigma of a batch is chosen (DESIGN.md 2.3). sigma is chosen per batch and held constant in the
// gradient. Every rule's result is floored at kMinWidth, so identical samples give finite values.
struct KernelWidth {
  WidthRule rule = WidthRule::knn;
  double value = 1.0;  // the width of WidthRule::fixed
  int k = 10;          // neighbours of WidthRule::knn (min(k, n - 1) are used)
  double gamma = 0.8;  // WidthRule::silverman: gamma sqrt(d) n^(-1/(4+d))

  static constexpr double kMinWidth = 1e-8;

  // sigma for the batch Z (n x d, n >= 2). Throws InvalidArgument for a bad rule parameter or bad Z.
  double select(const Eigen::Ref<const Matrix>& Z) const;
  // The same from precomputed squared distances D2 (n x n) of a batch of dimension d; scratch is resized as
  // needed (reuse it to avoid allocation).
  double select_from_distances(const Eigen::Ref<const Matrix>& D2, Eigen::Index d,
                               std::vector<double>& scratch) const;
  // Throws InvalidArgument naming the field if a parameter is out of range.
  void validate() const;
};

// Parses "fixed", "knn", "silverman", "median"; throws InvalidArgument otherwise.
WidthRule parse_width_rule(const std::string& name);
const char* to_string(WidthRule rule);

namespace detail {
// Throws InvalidArgument unless Z has n >= 2 rows, d >= 1 columns and only finite entries. `what` names Z.
void check_batch(const Eigen::Ref<const Matrix>& Z, const char* what);
void check_sigma(double sigma, const char* what);
// The knn rule on the squared distances D2 (q x n) of the first q samples of a batch to all n of them: the
// mean over the q rows of the mean distance to the min(k, n - 1) nearest other samples (row i skips column
// i).
double knn_mean_distance(const Eigen::Ref<const Matrix>& D2, int k, std::vector<double>& scratch);
// The median of the distances whose squares are d2 (reordered; the mean of the two middle ones for an even
// count).
double median_distance(std::vector<double>& d2);
// K = exp(-D2 / (2 sigma^2)) elementwise.
void gaussian_from_distances(const Eigen::Ref<const Matrix>& D2, double sigma, Eigen::Ref<Matrix> K);
}  // namespace detail

}  // namespace pib::bottleneck
