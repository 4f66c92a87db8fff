#pragma once
// General matrix multiply, row-major, with BLAS semantics:
//
//     C = alpha * op(A) * op(B) + beta * C  (+ bias, added to every row, if given)
//
// op(A) is M x K, op(B) is K x N, C is M x N; op(X) = X for Trans::N, X^T for Trans::T.
// Leading dimensions are row strides in elements. Arguments are checked as reference BLAS
// does, and std::invalid_argument names the one that breaks a rule:
//   M, N, K >= 0;
//   lda >= max(1, K) for op(A) = N, max(1, M) for op(A) = T;
//   ldb >= max(1, N) for op(B) = N, max(1, K) for op(B) = T;  ldc >= max(1, N);
//   A and B non-null when M, N, K > 0 and alpha != 0; C non-null when M, N > 0.
// beta == 0 overwrites C without reading it (NaN in C is ignored); alpha == 0 or K == 0
// only scales C by beta (and adds the bias) and never reads A or B. The bias (N elements,
// or nullptr) is how a linear layer adds its bias without a pass of its own.
//
// Results are bitwise identical for any thread count: C is split over rows or columns
// only, and every element is accumulated over K in the same order.
#pragma GCC visibility push(default)  // the public API: exported by the shared libraries (cmake/package.cmake)
namespace hyda {

enum class Trans { N, T };

void gemm(Trans ta, Trans tb, int M, int N, int K, float alpha, const float* A, int lda,
          const float* B, int ldb, float beta, float* C, int ldc, const float* bias = nullptr);

void gemm(Trans ta, Trans tb, int M, int N, int K, double alpha, const double* A, int lda,
          const double* B, int ldb, double beta, double* C, int ldc, const double* bias = nullptr);

}  // namespace hyda
#pragma GCC visibility pop
