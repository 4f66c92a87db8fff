// Picks the SIMD path: the best one this CPU supports, or the one HYDA_ARCH / set_arch asks for.
#include <atomic>
#include <cstdlib>
#include <stdexcept>
#include <string>

#include "kernel_table.hpp"
#include "xsimd/config/xsimd_config.hpp"
#if defined(HYDA_X86)
#include "xsimd/config/xsimd_cpuid.hpp"
#endif

namespace hyda {
namespace {

bool cpu_supports(Arch arch) {
#if defined(HYDA_X86)
    const auto cpu = xsimd::available_architectures();
    switch (arch) {
        case Arch::scalar: return true;
        case Arch::sse: return cpu.sse4_2;
        case Arch::avx2: return cpu.avx2 && cpu.fma3_avx2;
        case Arch::avx512: return cpu.avx512f && cpu.avx512dq;
    }
    return false;
#else
    return arch == Arch::scalar;
#endif
}

Arch initial_arch() {
    if (const char* env = std::getenv("HYDA_ARCH"); env != nullptr && *env != '\0') {
        const Arch wanted = parse_arch(env);
        if (!cpu_supports(wanted)) {
            throw std::invalid_argument(std::string("HYDA_ARCH=") + env + ": this CPU does not support it");
        }
        return wanted;
    }
    return supported_archs().front();
}

std::atomic<Arch>& current() {
    static std::atomic<Arch> arch{initial_arch()};
    return arch;
}

}  // namespace

std::vector<Arch> supported_archs() {
    std::vector<Arch> out;
    for (Arch a : {Arch::avx512, Arch::avx2, Arch::sse, Arch::scalar}) {
        if (cpu_supports(a)) out.push_back(a);
    }
    return out;
}

Arch active_arch() { return current().load(std::memory_order_relaxed); }

void set_arch(Arch arch) {
    if (!cpu_supports(arch)) {
        throw std::invalid_argument("set_arch: this CPU does not support " + std::string(arch_name(arch)));
    }
    current().store(arch, std::memory_order_relaxed);
}

std::string_view arch_name(Arch arch) {
    switch (arch) {
        case Arch::scalar: return "scalar";
        case Arch::sse: return "sse";
        case Arch::avx2: return "avx2";
        case Arch::avx512: return "avx512";
    }
    return "unknown";
}

Arch parse_arch(std::string_view name) {
    for (Arch a : {Arch::scalar, Arch::sse, Arch::avx2, Arch::avx512}) {
        if (name == arch_name(a)) return a;
    }
    throw std::invalid_argument("unknown SIMD path '" + std::string(name) + "' (expected avx512, avx2, sse or scalar)");
}

namespace detail {

const ArchKernels& active_kernels() {
    switch (active_arch()) {
#if defined(HYDA_X86)
        case Arch::avx512: return avx512_kernels();
        case Arch::avx2: return avx2_kernels();
        case Arch::sse: return sse_kernels();
#endif
        default: return scalar_kernels();
    }
}

}  // namespace detail
}  // namespace hyda
