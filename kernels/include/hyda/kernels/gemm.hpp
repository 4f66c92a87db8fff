#pragma once
// General matrix multiply, row-major, with BLAS semantics:
//
//     C = alpha * op(A) * op(B) + beta * C  (+ bias, added to every row, if given)
//
// op(A) is M x K, op(B) is K x N, C is M x N; op(X) = X for Trans::N, X^T for Trans::T.
// Leading dimensions are row strides in elements (lda >= K for op N, >= M for op T, ...).
// beta == 0 overwrites C without reading it (NaN in C is ignored); alpha == 0 or K == 0
// only scales C by beta (and adds the bias) and never reads A or B. The bias (N elements,
// or nullptr) is how a linear layer adds its bias without a pass of its own.
//
// Results are bitwise identical for any thread count: C is split over rows or columns
// only, and every element is accumulated over K in the same order.
namespace hyda {

enum class Trans { N, T };

void gemm(Trans ta, Trans tb, int M, int N, int K, float alpha, const float* A, int lda,
          const float* B, int ldb, float beta, float* C, int ldc, const float* bias = nullptr);

void gemm(Trans ta, Trans tb, int M, int N, int K, double alpha, const double* A, int lda,
          const double* B, int ldb, double beta, double* C, int ldc, const double* bias = nullptr);

}  // namespace hyda
