#pragma once
// The kernels' persistent thread pool.
//
// Work is always split statically into pieces that do not depend on the thread count
// (see gemm.hpp), so results are bitwise identical for any number of threads.
#include <cstdint>

#pragma GCC visibility push(default)  // the public API: exported by the shared libraries (cmake/package.cmake)
namespace hyda {

// Number of threads the kernels may use (>= 1). The initial value comes from the
// environment variable HYDA_NUM_THREADS, else the number of hardware threads.
int num_threads();

// Sets it; n < 1 throws std::invalid_argument.
void set_num_threads(int n);

// How many parallel regions so far handed tasks to pool workers (rather than running
// inline). Tests read it before and after a call to prove that a threaded path ran.
std::uint64_t threaded_regions();

}  // namespace hyda
#pragma GCC visibility pop
