// The scalar path, compiled for the baseline instruction set. Only Arch-templated code lives here: a
// non-template inline function built with these flags could be picked by the linker
// for callers on any CPU.
#include "make_kernels.hpp"

namespace hyda::detail {

const ArchKernels& scalar_kernels() {
    static const ArchKernels table = make_kernels<scalar_arch>();
    return table;
}

}  // namespace hyda::detail
