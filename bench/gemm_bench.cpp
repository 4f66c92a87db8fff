// hyda_bench_gemm: hyda::gemm and OpenBLAS (cblas_sgemm / cblas_dgemm) side by side.
//
// Names: gemm/<impl>/<op>/<M>x<N>x<K>/threads:<t>, impl in {hyda, openblas}, op in
// {NN, NT, TN} (NT: B transposed, TN: A transposed). Each reports GFLOPS = 2MNK / time.
// Extra flag: --double runs double precision instead of float.
#include <benchmark/benchmark.h>
#include <openblas-pthread/cblas.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "hyda/kernels/arch.hpp"
#include "hyda/kernels/gemm.hpp"
#include "hyda/kernels/threads.hpp"

namespace {

struct Shape {
    const char* op;
    int M, N, K;
};

template <class T>
std::vector<T> random_matrix(std::size_t n, unsigned seed) {
    std::mt19937 rng(seed);
    std::uniform_real_distribution<T> dist(T(-1), T(1));
    std::vector<T> v(n);
    for (auto& x : v) x = dist(rng);
    return v;
}

template <class T>
void blas_gemm(bool ta, bool tb, int M, int N, int K, const T* A, int lda, const T* B, int ldb, T* C, int ldc) {
    const auto opa = ta ? CblasTrans : CblasNoTrans, opb = tb ? CblasTrans : CblasNoTrans;
    if constexpr (sizeof(T) == 4) {
        cblas_sgemm(CblasRowMajor, opa, opb, M, N, K, 1.0f, A, lda, B, ldb, 0.0f, C, ldc);
    } else {
        cblas_dgemm(CblasRowMajor, opa, opb, M, N, K, 1.0, A, lda, B, ldb, 0.0, C, ldc);
    }
}

template <class T>
void run(benchmark::State& state, bool use_hyda, Shape s, int threads) {
    const bool ta = s.op[0] == 'T', tb = s.op[1] == 'T';
    const int lda = ta ? s.M : s.K, ldb = tb ? s.K : s.N, ldc = s.N;
    const auto A = random_matrix<T>(std::size_t(s.M) * s.K, 1), B = random_matrix<T>(std::size_t(s.K) * s.N, 2);
    std::vector<T> C(std::size_t(s.M) * s.N);
    // Only the library under test keeps worker threads, and a multi-threaded run starts
    // after a pause: OpenBLAS workers spin for about 0.1 s after their last call, and
    // on 2 cores they would take the other library's second core.
    hyda::set_num_threads(use_hyda ? threads : 1);
    openblas_set_num_threads(use_hyda ? 1 : threads);
    if (threads > 1) std::this_thread::sleep_for(std::chrono::milliseconds(300));
    for (auto _ : state) {
        if (use_hyda) {
            hyda::gemm(ta ? hyda::Trans::T : hyda::Trans::N, tb ? hyda::Trans::T : hyda::Trans::N, s.M, s.N, s.K,
                       T(1), A.data(), lda, B.data(), ldb, T(0), C.data(), ldc);
        } else {
            blas_gemm<T>(ta, tb, s.M, s.N, s.K, A.data(), lda, B.data(), ldb, C.data(), ldc);
        }
        benchmark::DoNotOptimize(C.data());
        benchmark::ClobberMemory();
    }
    state.counters["GFLOPS"] = benchmark::Counter(2e-9 * s.M * s.N * double(s.K), benchmark::Counter::kIsIterationInvariantRate);
}

// Largest |hyda - OpenBLAS| relative to the largest |element| on one product: OpenBLAS's
// kernel for an unknown CPU is chosen at run time, so check it computes the right thing.
template <class T>
double openblas_agreement() {
    const int n = 301;
    const auto A = random_matrix<T>(std::size_t(n) * n, 3), B = random_matrix<T>(std::size_t(n) * n, 4);
    std::vector<T> C1(std::size_t(n) * n), C2(std::size_t(n) * n);
    hyda::gemm(hyda::Trans::N, hyda::Trans::T, n, n, n, T(1), A.data(), n, B.data(), n, T(0), C1.data(), n);
    blas_gemm<T>(false, true, n, n, n, A.data(), n, B.data(), n, C2.data(), n);
    double diff = 0, scale = 0;
    for (std::size_t i = 0; i < C1.size(); ++i) {
        diff = std::max(diff, std::abs(double(C1[i]) - double(C2[i])));
        scale = std::max(scale, std::abs(double(C2[i])));
    }
    return diff / scale;
}

}  // namespace

int main(int argc, char** argv) {
    bool use_double = false;
    std::vector<char*> args;
    for (int i = 0; i < argc; ++i) {
        if (std::strcmp(argv[i], "--double") == 0) {
            use_double = true;
        } else {
            args.push_back(argv[i]);
        }
    }
    int n_args = int(args.size());

    std::vector<Shape> shapes;
    for (int n : {64, 128, 256, 512, 1024, 2048}) shapes.push_back({"NN", n, n, n});
    // 256^3 NN is already among the squares.
    shapes.insert(shapes.end(), {{"NN", 256, 256, 64},   {"TN", 64, 256, 256},   {"NT", 256, 64, 256},
                                 {"TN", 256, 256, 256},  {"NT", 256, 256, 256},
                                 {"NN", 1024, 512, 128}, {"TN", 128, 512, 1024}, {"NT", 1024, 128, 512},
                                 {"TN", 512, 512, 1024}, {"NT", 4096, 512, 512}});  // weight and input gradients of the large step
    for (int threads : {1, 2}) {
        for (const Shape& s : shapes) {
            for (bool use_hyda : {true, false}) {
                const std::string name = std::string("gemm/") + (use_hyda ? "hyda/" : "openblas/") + s.op + "/" +
                                         std::to_string(s.M) + "x" + std::to_string(s.N) + "x" + std::to_string(s.K) +
                                         "/threads:" + std::to_string(threads);
                auto* b = use_double ? benchmark::RegisterBenchmark(name.c_str(), run<double>, use_hyda, s, threads)
                                     : benchmark::RegisterBenchmark(name.c_str(), run<float>, use_hyda, s, threads);
                b->UseRealTime()->Unit(benchmark::kMicrosecond);
            }
        }
    }
    benchmark::Initialize(&n_args, args.data());
    if (benchmark::ReportUnrecognizedArguments(n_args, args.data())) return 1;
    benchmark::AddCustomContext("hyda_arch", std::string(hyda::arch_name(hyda::active_arch())));
    benchmark::AddCustomContext("precision", use_double ? "double" : "float");
    benchmark::AddCustomContext("openblas_core", openblas_get_corename());
    char agreement[32];
    std::snprintf(agreement, sizeof agreement, "%.2e", use_double ? openblas_agreement<double>() : openblas_agreement<float>());
    benchmark::AddCustomContext("openblas_vs_hyda_max_rel_diff", agreement);
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
