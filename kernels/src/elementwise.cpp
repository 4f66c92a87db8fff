#include "hyda/kernels/elementwise.hpp"

#include <stdexcept>
#include <string>

#include "kernel_table.hpp"

namespace hyda {

using detail::kernels;

namespace {

// A row stride shorter than a row would read rows into each other. (Sizes are unsigned:
// nothing else to check.)
void check_stride(const char* kernel, std::size_t cols, std::size_t ld) {
    if (ld < cols) [[unlikely]] {
        throw std::invalid_argument(std::string(kernel) + ": ld = " + std::to_string(ld) + " must be >= cols = " + std::to_string(cols));
    }
}

}  // namespace

template <class T> void axpy(std::size_t n, T a, const T* x, T* y) { kernels<T>().axpy(n, a, x, y); }
template <class T> void scale(std::size_t n, T a, const T* x, T* y) { kernels<T>().scale(n, a, x, y); }
template <class T> void add(std::size_t n, const T* x, const T* y, T* z) { kernels<T>().add(n, x, y, z); }
template <class T> void sub(std::size_t n, const T* x, const T* y, T* z) { kernels<T>().sub(n, x, y, z); }
template <class T> void mul(std::size_t n, const T* x, const T* y, T* z) { kernels<T>().mul(n, x, y, z); }
template <class T> void sub_mul(std::size_t n, const T* x, const T* y, const T* w, T* z) { kernels<T>().sub_mul(n, x, y, w, z); }
template <class T> void div(std::size_t n, const T* x, const T* y, T* z) { kernels<T>().div(n, x, y, z); }

template <class T> void exp(std::size_t n, const T* x, T* y) { kernels<T>().exp(n, x, y); }
template <class T> void log(std::size_t n, const T* x, T* y) { kernels<T>().log(n, x, y); }
template <class T> void softplus(std::size_t n, const T* x, T* y) { kernels<T>().softplus(n, x, y); }
template <class T> void relu(std::size_t n, const T* x, T* y) { kernels<T>().relu(n, x, y); }
template <class T> void leaky_relu(std::size_t n, T slope, const T* x, T* y) { kernels<T>().leaky_relu(n, slope, x, y); }
template <class T> void sigmoid(std::size_t n, const T* x, T* y) { kernels<T>().sigmoid(n, x, y); }
template <class T> void tanh(std::size_t n, const T* x, T* y) { kernels<T>().tanh(n, x, y); }
template <class T> void gelu(std::size_t n, const T* x, T* y) { kernels<T>().gelu(n, x, y); }

template <class T> void relu_backward(std::size_t n, const T* x, const T* dy, T* dx, T beta) { kernels<T>().relu_backward(n, x, dy, dx, beta); }
template <class T> void leaky_relu_backward(std::size_t n, T slope, const T* x, const T* dy, T* dx, T beta) {
    kernels<T>().leaky_relu_backward(n, slope, x, dy, dx, beta);
}
template <class T> void sigmoid_backward(std::size_t n, const T* y, const T* dy, T* dx, T beta) { kernels<T>().sigmoid_backward(n, y, dy, dx, beta); }
template <class T> void tanh_backward(std::size_t n, const T* y, const T* dy, T* dx, T beta) { kernels<T>().tanh_backward(n, y, dy, dx, beta); }
template <class T> void gelu_backward(std::size_t n, const T* x, const T* dy, T* dx, T beta) { kernels<T>().gelu_backward(n, x, dy, dx, beta); }

template <class T> T sum(std::size_t n, const T* x) { return kernels<T>().sum(n, x); }
template <class T> T dot(std::size_t n, const T* x, const T* y) { return kernels<T>().dot(n, x, y); }
template <class T> T max(std::size_t n, const T* x) { return kernels<T>().max(n, x); }

template <class T> void row_sums(std::size_t rows, std::size_t cols, const T* A, std::size_t ld, T* out) {
    check_stride("row_sums", cols, ld);
    kernels<T>().row_sums(rows, cols, A, ld, out);
}
template <class T> void col_sums(std::size_t rows, std::size_t cols, const T* A, std::size_t ld, T* out, T beta) {
    check_stride("col_sums", cols, ld);
    kernels<T>().col_sums(rows, cols, A, ld, out, beta);
}
template <class T> void row_logsumexp(std::size_t rows, std::size_t cols, const T* A, std::size_t ld, T* out) {
    check_stride("row_logsumexp", cols, ld);
    kernels<T>().row_logsumexp(rows, cols, A, ld, out);
}

#define HYDA_INSTANTIATE(T)                                                                     \
    template void axpy<T>(std::size_t, T, const T*, T*);                                        \
    template void scale<T>(std::size_t, T, const T*, T*);                                       \
    template void add<T>(std::size_t, const T*, const T*, T*);                                  \
    template void sub<T>(std::size_t, const T*, const T*, T*);                                  \
    template void mul<T>(std::size_t, const T*, const T*, T*);                                  \
    template void sub_mul<T>(std::size_t, const T*, const T*, const T*, T*);                    \
    template void div<T>(std::size_t, const T*, const T*, T*);                                  \
    template void exp<T>(std::size_t, const T*, T*);                                            \
    template void log<T>(std::size_t, const T*, T*);                                            \
    template void softplus<T>(std::size_t, const T*, T*);                                       \
    template void relu<T>(std::size_t, const T*, T*);                                           \
    template void leaky_relu<T>(std::size_t, T, const T*, T*);                                  \
    template void sigmoid<T>(std::size_t, const T*, T*);                                        \
    template void tanh<T>(std::size_t, const T*, T*);                                           \
    template void gelu<T>(std::size_t, const T*, T*);                                           \
    template void relu_backward<T>(std::size_t, const T*, const T*, T*, T);                     \
    template void leaky_relu_backward<T>(std::size_t, T, const T*, const T*, T*, T);            \
    template void sigmoid_backward<T>(std::size_t, const T*, const T*, T*, T);                  \
    template void tanh_backward<T>(std::size_t, const T*, const T*, T*, T);                     \
    template void gelu_backward<T>(std::size_t, const T*, const T*, T*, T);                     \
    template T sum<T>(std::size_t, const T*);                                                   \
    template T dot<T>(std::size_t, const T*, const T*);                                         \
    template T max<T>(std::size_t, const T*);                                                   \
    template void row_sums<T>(std::size_t, std::size_t, const T*, std::size_t, T*);            \
    template void col_sums<T>(std::size_t, std::size_t, const T*, std::size_t, T*, T);            \
    template void row_logsumexp<T>(std::size_t, std::size_t, const T*, std::size_t, T*);
HYDA_INSTANTIATE(float)
HYDA_INSTANTIATE(double)
#undef HYDA_INSTANTIATE

}  // namespace hyda
