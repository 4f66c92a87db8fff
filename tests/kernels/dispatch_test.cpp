// The SIMD path chosen at run time: forcing works, errors are clear, each path is distinct.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <set>
#include <stdexcept>

#include "../../kernels/src/kernel_table.hpp"
#include "hyda/kernels/threads.hpp"
#include "kernel_matrix.hpp"

TEST_CASE("supported paths run from highest to scalar, and each can be forced", "[dispatch]") {
    const auto archs = hyda::supported_archs();
    REQUIRE(!archs.empty());
    REQUIRE(archs.back() == hyda::Arch::scalar);
    hyda::test::KernelSettingsGuard guard;
    std::set<const void*> tables;
    for (hyda::Arch a : archs) {
        hyda::set_arch(a);
        REQUIRE(hyda::active_arch() == a);
        // Each path has its own table: a mis-sorted dispatch would reuse one.
        tables.insert(&hyda::detail::active_kernels());
        REQUIRE(hyda::parse_arch(hyda::arch_name(a)) == a);
    }
    REQUIRE(tables.size() == archs.size());
}

TEST_CASE("HYDA_ARCH selects the initial path", "[dispatch]") {
    // Run by ctest a second time with HYDA_ARCH set (see tests/CMakeLists.txt).
    const char* env = std::getenv("HYDA_ARCH");
    if (env == nullptr) {
        SUCCEED("HYDA_ARCH not set: the best path is active");
        REQUIRE(hyda::active_arch() == hyda::supported_archs().front());
    } else {
        REQUIRE(hyda::arch_name(hyda::active_arch()) == env);
    }
}

TEST_CASE("bad arch names and thread counts are rejected with clear messages", "[dispatch]") {
    REQUIRE_THROWS_WITH(hyda::parse_arch("avx9"), Catch::Contains("avx9") && Catch::Contains("avx512, avx2, sse or scalar"));
    REQUIRE_THROWS_AS(hyda::set_num_threads(0), std::invalid_argument);
}
