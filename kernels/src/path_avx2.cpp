// The avx2 path, compiled with -mavx2 -mfma. Only Arch-templated code lives here: a
// non-template inline function built with these flags could be picked by the linker
// for callers on any CPU.
#include "make_kernels.hpp"

namespace hyda::detail {

const ArchKernels& avx2_kernels() {
    static const ArchKernels table = make_kernels<xsimd::fma3<xsimd::avx2>>();
    return table;
}

}  // namespace hyda::detail
