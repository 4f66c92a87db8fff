#pragma once
// Internal: packing buffers for GEMM, kept between calls so that a steady state of
// same-sized products performs no heap allocation.
#include <cstddef>
#include <span>

namespace hyda::detail {

struct GemmWorkspace {
    void* a;  // at least a_bytes, 64-byte aligned (may be nullptr when a_bytes == 0)
    void* b;  // at least b_bytes, 64-byte aligned
};

// The calling thread's buffers for a product split into `tasks` tasks: one set per
// task, each grown to the requested sizes if needed. Valid until the calling thread's
// next call. Owned by the caller, so threads running the tasks never allocate.
std::span<const GemmWorkspace> gemm_workspaces(int tasks, std::size_t a_bytes, std::size_t b_bytes);

}  // namespace hyda::detail
