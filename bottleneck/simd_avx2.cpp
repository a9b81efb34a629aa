// AVX2+FMA builds of the dense kernels of simd.hpp. This file alone is compiled with -mavx2 -mfma. Eigen is
// included under the namespace name pib_eigen_avx2 so its AVX2 template instances are distinct symbols from
// the baseline ones elsewhere in the program; nothing here runs unless simd_enabled() said the CPU has AVX2.

#define Eigen pib_eigen_avx2
#include <Eigen/Core>
#include <Eigen/Eigenvalues>

#include "bottleneck/simd.hpp"

namespace pib::bottleneck::detail::avx2 {

namespace {
using RowMatrix = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using RowMap = Eigen::Map<RowMatrix>;
using ConstRowMap = Eigen::Map<const RowMatrix>;
using Solver = Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd>;
}  // namespace

void syrk_lower(const double* Z, long n, long d, double scale, double* C) {
  RowMap(C, n, n).selfadjointView<Eigen::Lower>().rankUpdate(ConstRowMap(Z, n, d), scale);
}

void gemm_nn(const double* A, const double* B, long n, long d, double* C) {
  RowMap(C, n, d).noalias() = ConstRowMap(A, n, n) * ConstRowMap(B, n, d);
}

void syrk_lower_colmajor(const double* B, long n, long m, double scale, double* C) {
  RowMap(C, n, n).selfadjointView<Eigen::Lower>().rankUpdate(Eigen::Map<const Eigen::MatrixXd>(B, n, m),
                                                             scale);
}

Eigh::Eigh() : impl_(new Solver()) {}
Eigh::~Eigh() {
  delete static_cast<Solver*>(impl_);
}

void Eigh::compute(const double* A, long n, bool vectors) {
  auto& solver = *static_cast<Solver*>(impl_);
  solver.compute(Eigen::Map<const Eigen::MatrixXd>(A, n, n),
                 vectors ? Eigen::ComputeEigenvectors : Eigen::EigenvaluesOnly);
}

const double* Eigh::eigenvalues() const {
  return static_cast<Solver*>(impl_)->eigenvalues().data();
}
const double* Eigh::eigenvectors() const {
  return static_cast<Solver*>(impl_)->eigenvectors().data();
}

}  // namespace pib::bottleneck::detail::avx2
