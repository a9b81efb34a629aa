#pragma once
// Runtime-dispatched AVX2+FMA kernels for the O(n^2 d) and O(n^3) work of the bottleneck (internal).
//
// pib builds for the baseline x86-64 ISA (no -march=native on targets that consumers link). The few dense
// kernels below are also compiled for AVX2+FMA in simd_avx2.cpp, where Eigen is included under another
// namespace name so that its AVX2 template instances can never be merged with the baseline ones (ODR), and
// they are used only when the CPU reports AVX2 and FMA. All matrices are dense, row-major unless stated.

#include <cstddef>

namespace pib::bottleneck::detail {

// True when the AVX2 kernels are compiled in, the CPU supports them and they have not been switched off.
bool simd_enabled();
// Switches the AVX2 kernels off (false) or back on where available (tests compare both paths).
void set_simd_enabled(bool on);

namespace avx2 {
// C (n x n, lower triangle) += scale * Z Z^T, Z n x d.
void syrk_lower(const double* Z, long n, long d, double scale, double* C);
// C (n x d) = A (n x n) * B (n x d).
void gemm_nn(const double* A, const double* B, long n, long d, double* C);
// C (n x n, lower triangle) += scale * B B^T for column-major B (n x m, leading dimension n).
void syrk_lower_colmajor(const double* B, long n, long m, double scale, double* C);

// A symmetric eigen-solver whose workspace lives between calls.
class Eigh {
 public:
  Eigh();
  ~Eigh();
  Eigh(const Eigh&) = delete;
  Eigh& operator=(const Eigh&) = delete;
  // Decomposes the symmetric n x n matrix A (either storage order); eigenvalues ascending. With vectors, the
  // eigenvectors are returned column-major (n x n).
  void compute(const double* A, long n, bool vectors);
  const double* eigenvalues() const;
  const double* eigenvectors() const;

 private:
  void* impl_;
};
}  // namespace avx2

}  // namespace pib::bottleneck::detail
