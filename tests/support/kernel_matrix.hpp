#pragma once
// Helpers to run a test body on every SIMD path this CPU supports and on 1 and 2 threads.
#include <catch2/catch.hpp>

#include <string>

#include "hyda/kernels/arch.hpp"
#include "hyda/kernels/threads.hpp"

namespace hyda::test {

// Restores the path and thread count a test found, whatever the test does.
class KernelSettingsGuard {
public:
    KernelSettingsGuard() : arch_(active_arch()), threads_(num_threads()) {}
    ~KernelSettingsGuard() {
        set_arch(arch_);
        set_num_threads(threads_);
    }

private:
    Arch arch_;
    int threads_;
};

// Calls body() once per supported path, with that path active (and 1 thread).
template <class Body>
void for_each_arch(Body body) {
    KernelSettingsGuard guard;
    set_num_threads(1);
    for (Arch a : supported_archs()) {
        set_arch(a);
        INFO("arch = " << arch_name(a));
        body(a);
    }
}

}  // namespace hyda::test
