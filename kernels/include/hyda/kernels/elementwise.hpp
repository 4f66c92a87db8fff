#pragma once
// Vectorized elementwise and reduction kernels on contiguous arrays.
//
// T is float or double (explicitly instantiated for both). Same dispatch as gemm
// (HYDA_ARCH). Results do not depend on the thread count: maps over large arrays are cut
// into fixed chunks that the threads share, and reductions run on the calling thread.
// Outputs may alias inputs element for element (y == x is fine).
#include <cstddef>

#include "hyda/kernels/export.hpp"

#pragma GCC visibility push(default)  // the public API: exported by the shared libraries (cmake/package.cmake)
namespace hyda {

// y += a * x
template <class T> HYDA_EXPORT void axpy(std::size_t n, T a, const T* x, T* y);
// y = a * x
template <class T> HYDA_EXPORT void scale(std::size_t n, T a, const T* x, T* y);
// z = x + y, x - y, x * y, x / y
template <class T> HYDA_EXPORT void add(std::size_t n, const T* x, const T* y, T* z);
template <class T> HYDA_EXPORT void sub(std::size_t n, const T* x, const T* y, T* z);
template <class T> HYDA_EXPORT void mul(std::size_t n, const T* x, const T* y, T* z);
template <class T> HYDA_EXPORT void div(std::size_t n, const T* x, const T* y, T* z);
// z = x - y * w (one fused multiply-add where the path has FMA): a preconditioned step
template <class T> HYDA_EXPORT void sub_mul(std::size_t n, const T* x, const T* y, const T* w, T* z);

// y = f(x)
template <class T> HYDA_EXPORT void exp(std::size_t n, const T* x, T* y);
template <class T> HYDA_EXPORT void log(std::size_t n, const T* x, T* y);
template <class T> HYDA_EXPORT void softplus(std::size_t n, const T* x, T* y);  // log(1 + e^x), stable
template <class T> HYDA_EXPORT void relu(std::size_t n, const T* x, T* y);
template <class T> HYDA_EXPORT void leaky_relu(std::size_t n, T slope, const T* x, T* y);
template <class T> HYDA_EXPORT void sigmoid(std::size_t n, const T* x, T* y);
template <class T> HYDA_EXPORT void tanh(std::size_t n, const T* x, T* y);
template <class T> HYDA_EXPORT void gelu(std::size_t n, const T* x, T* y);  // exact: x * Phi(x), erf form

// Backward passes: dx = beta * dx + dy * f'(.), accumulating by default; beta == 0
// overwrites dx without reading it (NaN there is ignored). relu, leaky_relu and gelu take
// the forward input x; sigmoid and tanh take the forward output y.
template <class T> HYDA_EXPORT void relu_backward(std::size_t n, const T* x, const T* dy, T* dx, T beta = T(1));
template <class T> HYDA_EXPORT void leaky_relu_backward(std::size_t n, T slope, const T* x, const T* dy, T* dx, T beta = T(1));
template <class T> HYDA_EXPORT void sigmoid_backward(std::size_t n, const T* y, const T* dy, T* dx, T beta = T(1));
template <class T> HYDA_EXPORT void tanh_backward(std::size_t n, const T* y, const T* dy, T* dx, T beta = T(1));
template <class T> HYDA_EXPORT void gelu_backward(std::size_t n, const T* x, const T* dy, T* dx, T beta = T(1));

// Reductions. max of zero elements is -infinity.
template <class T> HYDA_EXPORT T sum(std::size_t n, const T* x);
template <class T> HYDA_EXPORT T dot(std::size_t n, const T* x, const T* y);
template <class T> HYDA_EXPORT T max(std::size_t n, const T* x);

// Reductions of a row-major matrix (rows x cols, row stride ld >= cols, else
// std::invalid_argument), overwriting out:
// row_sums: out[i] = sum_j A[i][j]; col_sums: out[j] = beta * out[j] + sum_i A[i][j]
// (beta == 0 does not read out); row_logsumexp: out[i] = log sum_j exp(A[i][j]) (stable
// for any finite inputs).
template <class T> HYDA_EXPORT void row_sums(std::size_t rows, std::size_t cols, const T* A, std::size_t ld, T* out);
template <class T> HYDA_EXPORT void col_sums(std::size_t rows, std::size_t cols, const T* A, std::size_t ld, T* out, T beta = T(0));
template <class T> HYDA_EXPORT void row_logsumexp(std::size_t rows, std::size_t cols, const T* A, std::size_t ld, T* out);

}  // namespace hyda
#pragma GCC visibility pop
