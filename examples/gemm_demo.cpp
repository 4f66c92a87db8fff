// A first look at hyda's kernels: which SIMD path runs, one matrix product checked
// against a plain loop, and its speed.
#include <chrono>
#include <cmath>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "hyda/kernels/arch.hpp"
#include "hyda/kernels/gemm.hpp"
#include "hyda/kernels/threads.hpp"

int main() {
    const int n = 512;
    std::mt19937 rng(42);
    std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
    std::vector<float> A(n * n), B(n * n), C(n * n);
    for (auto& x : A) x = dist(rng);
    for (auto& x : B) x = dist(rng);

    std::printf("SIMD path: %s (set HYDA_ARCH=avx2|sse|scalar to force a lower one), threads: %d\n",
                std::string(hyda::arch_name(hyda::active_arch())).c_str(), hyda::num_threads());

    hyda::gemm(hyda::Trans::N, hyda::Trans::N, n, n, n, 1.0f, A.data(), n, B.data(), n, 0.0f, C.data(), n);
    double worst = 0;
    for (int i = 0; i < n; i += 37) {
        for (int j = 0; j < n; j += 41) {
            double ref = 0;
            for (int k = 0; k < n; ++k) ref += double(A[i * n + k]) * B[k * n + j];
            worst = std::max(worst, std::abs(ref - C[i * n + j]));
        }
    }
    std::printf("C = A * B, %dx%d: largest difference from a double-precision loop: %.2e\n", n, n, worst);

    const int reps = 20;
    const auto t0 = std::chrono::steady_clock::now();
    for (int r = 0; r < reps; ++r)
        hyda::gemm(hyda::Trans::N, hyda::Trans::N, n, n, n, 1.0f, A.data(), n, B.data(), n, 0.0f, C.data(), n);
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::printf("sgemm %d^3: %.1f GFLOP/s\n", n, 2.0 * n * n * n * reps / s * 1e-9);
    return 0;
}
