#pragma once
// Internal: one table of kernel entry points per SIMD path, and the active one.
#include <cstddef>

#include "hyda/kernels/arch.hpp"
#include "hyda/kernels/gemm.hpp"

namespace hyda::detail {

template <class T>
struct KernelTable {
    void (*gemm)(Trans, Trans, int, int, int, T, const T*, int, const T*, int, T, T*, int, const T*);

    void (*axpy)(std::size_t, T, const T*, T*);
    void (*scale)(std::size_t, T, const T*, T*);
    void (*add)(std::size_t, const T*, const T*, T*);
    void (*sub)(std::size_t, const T*, const T*, T*);
    void (*mul)(std::size_t, const T*, const T*, T*);
    void (*sub_mul)(std::size_t, const T*, const T*, const T*, T*);
    void (*div)(std::size_t, const T*, const T*, T*);

    void (*exp)(std::size_t, const T*, T*);
    void (*log)(std::size_t, const T*, T*);
    void (*softplus)(std::size_t, const T*, T*);
    void (*relu)(std::size_t, const T*, T*);
    void (*leaky_relu)(std::size_t, T, const T*, T*);
    void (*sigmoid)(std::size_t, const T*, T*);
    void (*tanh)(std::size_t, const T*, T*);
    void (*gelu)(std::size_t, const T*, T*);

    void (*relu_backward)(std::size_t, const T*, const T*, T*, T);
    void (*leaky_relu_backward)(std::size_t, T, const T*, const T*, T*, T);
    void (*sigmoid_backward)(std::size_t, const T*, const T*, T*, T);
    void (*tanh_backward)(std::size_t, const T*, const T*, T*, T);
    void (*gelu_backward)(std::size_t, const T*, const T*, T*, T);

    T (*sum)(std::size_t, const T*);
    T (*dot)(std::size_t, const T*, const T*);
    T (*max)(std::size_t, const T*);
    void (*row_sums)(std::size_t, std::size_t, const T*, std::size_t, T*);
    void (*col_sums)(std::size_t, std::size_t, const T*, std::size_t, T*, T);
    void (*row_logsumexp)(std::size_t, std::size_t, const T*, std::size_t, T*);
};

struct ArchKernels {
    KernelTable<float> f32;
    KernelTable<double> f64;
};

// One per path, each defined in its own translation unit built with that path's flags.
const ArchKernels& scalar_kernels();
#if defined(HYDA_X86)
const ArchKernels& sse_kernels();
const ArchKernels& avx2_kernels();
const ArchKernels& avx512_kernels();
#endif

// The table of the path chosen by set_arch / HYDA_ARCH (see arch.cpp).
const ArchKernels& active_kernels();

template <class T>
const KernelTable<T>& kernels() {
    if constexpr (sizeof(T) == sizeof(float)) {
        return active_kernels().f32;
    } else {
        return active_kernels().f64;
    }
}

}  // namespace hyda::detail
