// The avx512 path, compiled with -mavx512f -mavx512dq -mfma (xsimd 8.1 uses AVX512DQ in
// its avx512f reductions). Only Arch-templated code lives here: a
// non-template inline function built with these flags could be picked by the linker
// for callers on any CPU.
#include "make_kernels.hpp"

namespace hyda::detail {

const ArchKernels& avx512_kernels() {
    static const ArchKernels table = make_kernels<xsimd::avx512f>();
    return table;
}

}  // namespace hyda::detail
