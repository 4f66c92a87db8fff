// hyda::gemm against a naive double-precision loop, on every SIMD path, float and double,
// every op(A)/op(B), padded leading dimensions, special alpha/beta, and 1 vs 2 threads
// compared bit for bit.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <sstream>
#include <vector>

#include "hyda/kernels/gemm.hpp"
#include "kernel_matrix.hpp"
#include "throws.hpp"

namespace {

using hyda::Trans;

struct Case {
    Trans ta, tb;
    int M, N, K;
    int pad_a, pad_b, pad_c;  // extra leading-dimension elements
    double alpha, beta;
    bool bias = false;  // a bias row added to every row of C

    std::string describe() const {
        std::ostringstream s;
        s << (ta == Trans::N ? 'N' : 'T') << (tb == Trans::N ? 'N' : 'T') << " M=" << M << " N=" << N << " K=" << K
          << " pads=" << pad_a << "," << pad_b << "," << pad_c << " alpha=" << alpha << " beta=" << beta
          << (bias ? " bias" : "");
        return s.str();
    }
};

template <class T>
struct Problem {
    Case c;
    int lda, ldb, ldc;
    std::vector<T> A, B, C0, bias;  // bias: empty, or N elements
    std::vector<double> expected, bound;  // reference and its error bound, per element of C

    Problem(const Case& cs, std::mt19937& rng) : c(cs) {
        const int a_rows = c.ta == Trans::N ? c.M : c.K, a_cols = c.ta == Trans::N ? c.K : c.M;
        const int b_rows = c.tb == Trans::N ? c.K : c.N, b_cols = c.tb == Trans::N ? c.N : c.K;
        lda = a_cols + c.pad_a;
        ldb = b_cols + c.pad_b;
        ldc = c.N + c.pad_c;
        std::uniform_real_distribution<T> dist(T(-1), T(1));
        A.resize(std::size_t(a_rows) * lda);
        B.resize(std::size_t(b_rows) * ldb);
        C0.resize(std::size_t(c.M) * ldc);
        for (auto& x : A) x = dist(rng);
        for (auto& x : B) x = dist(rng);
        for (auto& x : C0) x = dist(rng);
        if (c.bias) {
            bias.resize(std::size_t(c.N));
            for (auto& x : bias) x = dist(rng);
        }

        // Naive triple loop in double; the bound is the classic (K + 2) u sum |terms|,
        // with u the unit round-off of T, doubled for margin.
        const double u = std::numeric_limits<T>::epsilon();
        expected.assign(std::size_t(c.M) * c.N, 0.0);
        bound.assign(std::size_t(c.M) * c.N, 0.0);
        for (int i = 0; i < c.M; ++i) {
            for (int j = 0; j < c.N; ++j) {
                double acc = 0, mag = 0;
                for (int k = 0; k < c.K; ++k) {
                    const double a = c.ta == Trans::N ? A[std::size_t(i) * lda + k] : A[std::size_t(k) * lda + i];
                    const double b = c.tb == Trans::N ? B[std::size_t(k) * ldb + j] : B[std::size_t(j) * ldb + k];
                    acc += a * b;
                    mag += std::abs(a * b);
                }
                const double cij = C0[std::size_t(i) * ldc + j];
                const double beta_term = c.beta == 0 ? 0.0 : c.beta * cij, bias_term = c.bias ? double(bias[std::size_t(j)]) : 0.0;
                expected[std::size_t(i) * c.N + j] = c.alpha * acc + beta_term + bias_term;
                bound[std::size_t(i) * c.N + j] = (c.K + 2) * u * (std::abs(c.alpha) * mag + std::abs(beta_term) + std::abs(bias_term)) + 1e-300;
            }
        }
    }

    std::vector<T> run() const {
        std::vector<T> C = C0;
        hyda::gemm(c.ta, c.tb, c.M, c.N, c.K, T(c.alpha), A.data(), lda, B.data(), ldb, T(c.beta), C.data(), ldc,
                   c.bias ? bias.data() : nullptr);
        return C;
    }

    // Checks C against the reference, and that the padding of C was left alone.
    void check(const std::vector<T>& C) const {
        int bad = 0;
        for (int i = 0; i < c.M && bad < 5; ++i) {
            for (int j = 0; j < ldc && bad < 5; ++j) {
                const std::size_t at = std::size_t(i) * ldc + j;
                if (j >= c.N) {
                    if (C[at] != C0[at]) {
                        ++bad;
                        FAIL_CHECK("padding of C changed at (" << i << "," << j << ") in " << c.describe());
                    }
                    continue;
                }
                const double e = expected[std::size_t(i) * c.N + j], err = std::abs(double(C[at]) - e);
                if (!(err <= bound[std::size_t(i) * c.N + j])) {
                    ++bad;
                    FAIL_CHECK("C(" << i << "," << j << ") = " << C[at] << ", expected " << e << " (bound "
                                    << bound[std::size_t(i) * c.N + j] << ") in " << c.describe());
                }
            }
        }
        if (bad == 0) SUCCEED();
    }
};

// Sizes that stress the blocking: 1, primes, and the neighbours of the register tile
// (MR = 12/6/4 rows, NR = 32/16/8/4 columns).
const std::vector<int> kEdgeSizes = {1, 2, 3, 5, 6, 7, 8, 13, 14, 15, 16, 17, 23, 28, 29, 31, 32, 33, 47, 64, 65, 97};

std::vector<Case> random_cases(int count, unsigned seed) {
    std::mt19937 rng(seed);
    auto pick = [&](const auto& v) { return v[rng() % v.size()]; };
    auto size = [&] { return rng() % 2 ? pick(kEdgeSizes) : int(1 + rng() % 80); };
    const std::vector<double> alphas = {1.0, -1.0, 0.5, 2.25, -0.75}, betas = {0.0, 1.0, -1.0, 0.5, 3.0};
    std::vector<Case> cases;
    for (int n = 0; n < count; ++n) {
        Case c{};
        c.ta = rng() % 2 ? Trans::T : Trans::N;
        c.tb = rng() % 2 ? Trans::T : Trans::N;
        c.M = size(), c.N = size(), c.K = size();
        c.pad_a = rng() % 3 == 0 ? int(rng() % 9) : 0;
        c.pad_b = rng() % 3 == 0 ? int(rng() % 9) : 0;
        c.pad_c = rng() % 3 == 0 ? int(rng() % 9) : 0;
        c.alpha = pick(alphas);
        c.beta = pick(betas);
        c.bias = rng() % 3 == 0;
        cases.push_back(c);
    }
    return cases;
}

// Larger shapes that cross the cache blocks (KC = 1024, MC = 168/84, NC = 2048) in every
// op combination.
std::vector<Case> block_boundary_cases() {
    std::vector<Case> cases;
    for (Trans ta : {Trans::N, Trans::T}) {
        for (Trans tb : {Trans::N, Trans::T}) {
            cases.push_back({ta, tb, 169, 67, 257, 0, 3, 1, 1.0, 0.0});
            cases.push_back({ta, tb, 113, 130, 255, 5, 0, 0, -0.5, 1.0});
            cases.push_back({ta, tb, 337, 33, 513, 0, 0, 2, 1.0, 0.5});
            cases.push_back({ta, tb, 29, 2053, 19, 1, 1, 1, 2.0, -1.0});  // N > NC (float)
            cases.push_back({ta, tb, 200, 96, 64, 0, 0, 0, 1.0, 0.0});    // B panels unpadded
            cases.push_back({ta, tb, 13, 35, 1100, 2, 0, 0, 1.0, 0.5});   // K > KC: two K blocks
            cases.push_back({ta, tb, 25, 18, 2100, 0, 0, 0, -1.0, 1.0});  // three K blocks
            cases.push_back({ta, tb, 40, 33, 1024, 0, 0, 0, 1.0, 0.0});   // lda or ldb a multiple of 4 KiB (A packed)
            cases.push_back({ta, tb, 300, 1, 200, 0, 0, 0, 1.0, 0.0});    // one column: matrix-vector paths
            cases.push_back({ta, tb, 77, 1, 129, 3, 2, 0, -2.0, 0.5});
            cases.push_back({ta, tb, 77, 1, 129, 0, 0, 4, 0.5, 1.0});     // C column strided
            cases.push_back({ta, tb, 300, 301, 1, 0, 0, 0, 1.0, 0.0});    // one inner column: rank-1 path, 2 threads
            cases.push_back({ta, tb, 57, 90, 1, 2, 3, 1, -0.5, 0.5});     // op T with ldb > 1: blocked path
            cases.push_back({ta, tb, 31, 40, 1, 0, 0, 0, 2.0, 1.0});
            cases.push_back({ta, tb, 169, 67, 1100, 0, 3, 1, 1.0, 0.0, true});  // bias: added once, over two K blocks
            cases.push_back({ta, tb, 300, 1, 200, 0, 0, 0, 1.0, 0.5, true});    // bias on the matrix-vector paths
            cases.push_back({ta, tb, 300, 301, 1, 0, 0, 0, -1.0, 0.0, true});   // and the rank-1 path
            if (ta == Trans::T) cases.push_back({ta, tb, 260, 520, 1010, 0, 0, 0, 1.0, 0.0});  // A^T rows span 1 MiB: A packed
        }
    }
    return cases;
}

// Checks each case on 1 thread, and that 2 threads give the same bits; returns how many
// of the 2-thread runs really ran threaded (small products stay on one thread).
template <class T>
std::uint64_t check_cases(const std::vector<Case>& cases) {
    std::mt19937 rng(1234);
    std::uint64_t threaded = 0;
    for (const Case& c : cases) {
        const Problem<T> p(c, rng);
        hyda::test::for_each_arch([&](hyda::Arch) {
            INFO(c.describe());
            hyda::set_num_threads(1);
            const std::vector<T> one = p.run();
            p.check(one);
            hyda::set_num_threads(2);
            const std::uint64_t before = hyda::threaded_regions();
            const std::vector<T> two = p.run();
            threaded += hyda::threaded_regions() > before ? 1 : 0;
            CHECK(two == one);  // bitwise: same values in every element, padding included
        });
    }
    return threaded;
}

}  // namespace

TEMPLATE_TEST_CASE("gemm matches a naive loop on random shapes", "[gemm]", float, double) {
    check_cases<TestType>(random_cases(240, sizeof(TestType)));
}

TEMPLATE_TEST_CASE("gemm matches a naive loop across cache-block boundaries", "[gemm]", float, double) {
    CHECK(check_cases<TestType>(block_boundary_cases()) > 0);  // the large ones ran threaded
}

TEMPLATE_TEST_CASE("gemm with beta == 0 ignores NaN in C", "[gemm]", float, double) {
    using T = TestType;
    hyda::test::for_each_arch([](hyda::Arch) {
        const int M = 19, N = 37, K = 11;
        std::vector<T> A(M * K, T(1)), B(K * N, T(2)), C(M * N, std::numeric_limits<T>::quiet_NaN());
        hyda::gemm(Trans::N, Trans::N, M, N, K, T(1), A.data(), K, B.data(), N, T(0), C.data(), N);
        for (T x : C) REQUIRE(x == T(2 * K));
    });
}

TEMPLATE_TEST_CASE("gemm with alpha == 0 or K == 0 never reads A or B", "[gemm]", float, double) {
    using T = TestType;
    hyda::test::for_each_arch([](hyda::Arch) {
        const int M = 5, N = 7, K = 3;
        const T nan = std::numeric_limits<T>::quiet_NaN();
        std::vector<T> A(M * K, nan), B(K * N, nan), C(M * N, T(4));
        hyda::gemm(Trans::N, Trans::N, M, N, K, T(0), A.data(), K, B.data(), N, T(0.5), C.data(), N);
        for (T x : C) REQUIRE(x == T(2));
        hyda::gemm(Trans::T, Trans::N, M, N, 0, T(1), nullptr, M, nullptr, N, T(0), C.data(), N);
        for (T x : C) REQUIRE(x == T(0));
        std::fill(C.begin(), C.end(), nan);
        hyda::gemm(Trans::N, Trans::N, M, N, K, T(0), A.data(), K, B.data(), N, T(0), C.data(), N);
        for (T x : C) REQUIRE(x == T(0));
        std::vector<T> bias(N);
        for (int j = 0; j < N; ++j) bias[std::size_t(j)] = T(j);
        hyda::gemm(Trans::N, Trans::T, M, N, 0, T(1), nullptr, 1, nullptr, 1, T(0), C.data(), N, bias.data());
        for (int i = 0; i < M; ++i)
            for (int j = 0; j < N; ++j) REQUIRE(C[std::size_t(i * N + j)] == T(j));  // K == 0: C = beta C + bias
    });
}

TEMPLATE_TEST_CASE("gemm with an empty C does nothing", "[gemm]", float, double) {
    using T = TestType;
    T c = T(7);
    hyda::gemm(Trans::N, Trans::N, 0, 1, 4, T(1), nullptr, 4, nullptr, 1, T(0), &c, 1);
    hyda::gemm(Trans::N, Trans::N, 1, 0, 4, T(1), nullptr, 4, nullptr, 1, T(0), &c, 1);
    REQUIRE(c == T(7));
}

// One shape per way of splitting a product over threads: over M, over N, over M with A
// packed (lda a multiple of 4 KiB), and the rank-1 path's rows.
TEST_CASE("gemm is bitwise identical for 1, 2 and 3 threads on large shapes", "[gemm][threads]") {
    std::mt19937 rng(99);
    const std::vector<Case> cases = {{Trans::N, Trans::N, 300, 301, 290, 0, 0, 0, 1.0, 0.0},
                                     {Trans::T, Trans::T, 531, 70, 300, 0, 0, 0, 1.0, 1.0},
                                     {Trans::N, Trans::T, 45, 700, 129, 0, 0, 0, -1.0, 0.5},
                                     {Trans::N, Trans::N, 200, 64, 1024, 0, 0, 0, 1.0, 0.0},
                                     {Trans::T, Trans::N, 400, 400, 1, 0, 0, 0, 1.0, 1.0}};
    for (const Case& c : cases) {
        const Problem<float> p(c, rng);
        hyda::test::for_each_arch([&](hyda::Arch) {
            INFO(c.describe());
            const std::vector<float> one = p.run();
            p.check(one);
            for (int threads : {2, 3}) {
                INFO("threads = " << threads);
                hyda::set_num_threads(threads);
                const std::uint64_t before = hyda::threaded_regions();
                CHECK(p.run() == one);
                CHECK(hyda::threaded_regions() > before);  // each shape is above its path's threshold
            }
            hyda::set_num_threads(1);
        });
    }
}

// Reference BLAS's argument rules: sizes >= 0, each leading dimension >= max(1, the row
// length of the matrix as stored), and no null pointer where it would be read.
TEMPLATE_TEST_CASE("gemm rejects bad arguments with messages that name them", "[gemm]", float, double) {
    using T = TestType;
    using hyda::test::invalid_argument_message;
    const int M = 3, N = 4, K = 5;
    std::vector<T> A(100, T(1)), B(100, T(1)), C(100, T(0));
    // The call under test: a valid NN product, one argument changed by `change`.
    struct Args {
        Trans ta = Trans::N, tb = Trans::N;
        int M = 3, N = 4, K = 5;
        T alpha = T(1);
        const T* A;
        int lda = 5;
        const T* B;
        int ldb = 4;
        T* C;
        int ldc = 4;
    };
    auto message = [&](auto change) {
        Args a{};
        a.A = A.data(), a.B = B.data(), a.C = C.data();
        change(a);
        return invalid_argument_message(
            [&] { hyda::gemm(a.ta, a.tb, a.M, a.N, a.K, a.alpha, a.A, a.lda, a.B, a.ldb, T(0), a.C, a.ldc); });
    };
    CHECK(message([](Args& a) { a.M = -1; }) == "gemm: M = -1 must be >= 0");
    CHECK(message([](Args& a) { a.N = -2; }) == "gemm: N = -2 must be >= 0");
    CHECK(message([](Args& a) { a.K = -3; }) == "gemm: K = -3 must be >= 0");

    CHECK(message([](Args& a) { a.lda = K - 1; }) == "gemm: lda = 4 must be >= K = 5 for op(A) = N");
    CHECK(message([](Args& a) { a.ta = Trans::T, a.lda = M - 1; }) == "gemm: lda = 2 must be >= M = 3 for op(A) = T");
    CHECK(message([](Args& a) { a.ldb = N - 1; }) == "gemm: ldb = 3 must be >= N = 4 for op(B) = N");
    CHECK(message([](Args& a) { a.tb = Trans::T, a.ldb = K - 1; }) == "gemm: ldb = 4 must be >= K = 5 for op(B) = T");
    CHECK(message([](Args& a) { a.ldc = N - 1; }) == "gemm: ldc = 3 must be >= N = 4");
    // An empty dimension still needs a leading dimension of at least 1, as in BLAS.
    CHECK(message([](Args& a) { a.K = 0, a.lda = 0; }) == "gemm: lda = 0 must be >= max(1, K) = 1 for op(A) = N");
    CHECK(message([](Args& a) { a.N = 0, a.ldc = 0; }) == "gemm: ldc = 0 must be >= max(1, N) = 1");

    CHECK(message([](Args& a) { a.A = nullptr; }) == "gemm: A is null but read (M = 3, N = 4, K = 5, alpha != 0)");
    CHECK(message([](Args& a) { a.B = nullptr; }) == "gemm: B is null but read (M = 3, N = 4, K = 5, alpha != 0)");
    CHECK(message([](Args& a) { a.C = nullptr; }) == "gemm: C is null but written (M = 3, N = 4)");

    // The boundaries themselves are fine: lda == K, ldb == N, ldc == N (the valid call
    // above), and nothing is read or written for empty shapes.
    CHECK_NOTHROW(hyda::gemm(Trans::N, Trans::N, M, N, K, T(1), A.data(), K, B.data(), N, T(0), C.data(), N));
    CHECK(C[0] == T(K));
    CHECK_NOTHROW(hyda::gemm(Trans::N, Trans::N, 0, 0, 0, T(1), static_cast<const T*>(nullptr), 1, static_cast<const T*>(nullptr), 1, T(0),
                             static_cast<T*>(nullptr), 1));
    CHECK_NOTHROW(hyda::gemm(Trans::T, Trans::T, 0, N, K, T(1), static_cast<const T*>(nullptr), 1, static_cast<const T*>(nullptr), K, T(0),
                             static_cast<T*>(nullptr), N));
    CHECK_NOTHROW(hyda::gemm(Trans::N, Trans::N, M, N, K, T(0), static_cast<const T*>(nullptr), K, static_cast<const T*>(nullptr), N, T(0),
                             C.data(), N));
}
