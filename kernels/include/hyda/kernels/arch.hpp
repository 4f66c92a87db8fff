#pragma once
// Which SIMD code path the kernels run on, and how to choose it.
//
// One binary carries every x86-64 path; at start-up the best one this CPU supports is
// picked, unless the environment variable HYDA_ARCH=avx512|avx2|sse|scalar asks for a
// lower one (so tests and benchmarks can cover each path on one machine).
#include <string_view>
#include <vector>

#pragma GCC visibility push(default)  // the public API: exported by the shared libraries (cmake/package.cmake)
namespace hyda {

enum class Arch {
    scalar,  // plain C++, one lane; runs anywhere
    sse,     // SSE4.2, 128-bit
    avx2,    // AVX2 + FMA3, 256-bit
    avx512,  // AVX-512F, 512-bit
};

// The path every kernel call uses now.
Arch active_arch();

// Forces a path. Throws std::invalid_argument if this CPU cannot run it.
void set_arch(Arch arch);

// The paths this CPU can run, highest first.
std::vector<Arch> supported_archs();

// "scalar", "sse", "avx2", "avx512".
std::string_view arch_name(Arch arch);

// Parses a name as printed by arch_name; throws std::invalid_argument naming the input.
Arch parse_arch(std::string_view name);

}  // namespace hyda
#pragma GCC visibility pop
