#include "hyda/kernels/gemm.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>

#include "kernel_table.hpp"

namespace hyda {
namespace {

// The error paths build their messages out of line, so a valid call costs a few compares.
[[noreturn, gnu::cold, gnu::noinline]] void bad_argument(const std::string& what) {
    throw std::invalid_argument("gemm: " + what);
}

[[noreturn, gnu::cold, gnu::noinline]] void bad_size(const char* name, int value) {
    bad_argument(std::string(name) + " = " + std::to_string(value) + " must be >= 0");
}

// ld_name = ld must be >= max(1, dim_name = dim); op names the operand's op if it has one.
[[noreturn, gnu::cold, gnu::noinline]] void bad_ld(const char* ld_name, int ld, const char* dim_name, int dim,
                                                    const char* op) {
    const std::string bound = dim >= 1 ? std::string(dim_name) + " = " + std::to_string(dim)
                                       : "max(1, " + std::string(dim_name) + ") = 1";
    bad_argument(std::string(ld_name) + " = " + std::to_string(ld) + " must be >= " + bound + op);
}

[[noreturn, gnu::cold, gnu::noinline]] void null_operand(const char* name, int M, int N, int K) {
    bad_argument(std::string(name) + " is null but read (M = " + std::to_string(M) + ", N = " + std::to_string(N) +
                 ", K = " + std::to_string(K) + ", alpha != 0)");
}

[[noreturn, gnu::cold, gnu::noinline]] void null_result(int M, int N) {
    bad_argument("C is null but written (M = " + std::to_string(M) + ", N = " + std::to_string(N) + ")");
}

// Reference BLAS's checks, row-major: sizes >= 0; each leading dimension at least the
// row length of the matrix as stored (op N: its columns, op T: its rows), and at least
// 1; A and B non-null where they are read, C where it is written.
void check_arguments(Trans ta, Trans tb, int M, int N, int K, bool alpha_nonzero, const void* A, int lda,
                     const void* B, int ldb, const void* C, int ldc) {
    if (M < 0) bad_size("M", M);
    if (N < 0) bad_size("N", N);
    if (K < 0) bad_size("K", K);
    const bool a_n = ta == Trans::N, b_n = tb == Trans::N;
    if (lda < std::max(1, a_n ? K : M)) bad_ld("lda", lda, a_n ? "K" : "M", a_n ? K : M, a_n ? " for op(A) = N" : " for op(A) = T");
    if (ldb < std::max(1, b_n ? N : K)) bad_ld("ldb", ldb, b_n ? "N" : "K", b_n ? N : K, b_n ? " for op(B) = N" : " for op(B) = T");
    if (ldc < std::max(1, N)) bad_ld("ldc", ldc, "N", N, "");
    if (M == 0 || N == 0) return;
    if (C == nullptr) null_result(M, N);
    if (K > 0 && alpha_nonzero) {
        if (A == nullptr) null_operand("A", M, N, K);
        if (B == nullptr) null_operand("B", M, N, K);
    }
}

}  // namespace

void gemm(Trans ta, Trans tb, int M, int N, int K, float alpha, const float* A, int lda,
          const float* B, int ldb, float beta, float* C, int ldc, const float* bias) {
    check_arguments(ta, tb, M, N, K, alpha != 0.0f, A, lda, B, ldb, C, ldc);
    detail::kernels<float>().gemm(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc, bias);
}

void gemm(Trans ta, Trans tb, int M, int N, int K, double alpha, const double* A, int lda,
          const double* B, int ldb, double beta, double* C, int ldc, const double* bias) {
    check_arguments(ta, tb, M, N, K, alpha != 0.0, A, lda, B, ldb, C, ldc);
    detail::kernels<double>().gemm(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc, bias);
}

}  // namespace hyda
