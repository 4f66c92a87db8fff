// The sse path, compiled with -msse4.2. Only Arch-templated code lives here: a
// non-template inline function built with these flags could be picked by the linker
// for callers on any CPU.
#include "make_kernels.hpp"

namespace hyda::detail {

const ArchKernels& sse_kernels() {
    static const ArchKernels table = make_kernels<xsimd::sse4_2>();
    return table;
}

}  // namespace hyda::detail
