#pragma once
// Internal: fills the kernel table of one SIMD path. Included once per path, by a
// translation unit compiled with that path's instruction-set flags.
#include "elementwise_impl.hpp"
#include "gemm_impl.hpp"
#include "kernel_table.hpp"

namespace hyda::detail {

template <class T, class Arch>
KernelTable<T> make_table() {
    using E = Elementwise<T, Arch>;
    KernelTable<T> t{};
    t.gemm = &Gemm<T, Arch>::gemm;
    t.axpy = &E::axpy;
    t.scale = &E::scale;
    t.add = &E::add;
    t.sub = &E::sub;
    t.mul = &E::mul;
    t.sub_mul = &E::sub_mul;
    t.div = &E::div;
    t.exp = &E::exp;
    t.log = &E::log;
    t.softplus = &E::softplus;
    t.relu = &E::relu;
    t.leaky_relu = &E::leaky_relu;
    t.sigmoid = &E::sigmoid;
    t.tanh = &E::tanh;
    t.gelu = &E::gelu;
    t.relu_backward = &E::relu_backward;
    t.leaky_relu_backward = &E::leaky_relu_backward;
    t.sigmoid_backward = &E::sigmoid_backward;
    t.tanh_backward = &E::tanh_backward;
    t.gelu_backward = &E::gelu_backward;
    t.sum = &E::sum;
    t.dot = &E::dot;
    t.max = &E::max;
    t.row_sums = &E::row_sums;
    t.col_sums = &E::col_sums;
    t.row_logsumexp = &E::row_logsumexp;
    return t;
}

template <class Arch>
ArchKernels make_kernels() {
    return {make_table<float, Arch>(), make_table<double, Arch>()};
}

}  // namespace hyda::detail
