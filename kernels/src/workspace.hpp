#pragma once
// Internal: per-thread packing buffers for GEMM, kept between calls so that a steady
// state of same-sized products performs no heap allocation.
#include <cstddef>

namespace hyda::detail {

struct GemmWorkspace {
    void* a;  // at least a_bytes, 64-byte aligned (nullptr if a_bytes == 0 and never grown)
    void* b;  // at least b_bytes, 64-byte aligned
};

// The calling thread's buffers, grown to the requested sizes if needed.
GemmWorkspace gemm_workspace(std::size_t a_bytes, std::size_t b_bytes);

}  // namespace hyda::detail
