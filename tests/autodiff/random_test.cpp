// hyda::ad::Rng and its transforms: the reference SplitMix64 stream, and the
// distributions uniform(), below(), normal(), shuffle(), log_gamma_draw() and dirichlet()
// promise. The seeds are fixed,
// so each check is deterministic; its threshold is where a correct transform fails with
// probability 0.001 (chi-square 99.9% points; 5 standard errors for moments), and the
// flaws it targets (modulo bias, an off-by-one Fisher-Yates, a wrong normal transform)
// overshoot those thresholds many times over.
#include <catch2/catch.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <numeric>
#include <vector>

#include "hyda/autodiff/random.hpp"

using hyda::ad::Rng;

namespace {

// Pearson's chi-square statistic of observed counts against equal expected counts.
double chi_square(const std::vector<double>& counts) {
    const double expected = std::accumulate(counts.begin(), counts.end(), 0.0) / double(counts.size());
    double x2 = 0;
    for (double c : counts) x2 += (c - expected) * (c - expected) / expected;
    return x2;
}

}  // namespace

TEST_CASE("Rng is SplitMix64: the reference outputs for seed 0", "[random]") {
    // The first outputs of Vigna's splitmix64.c with x = 0.
    Rng rng(0);
    CHECK(rng() == 0xE220A8397B1DCDAFull);
    CHECK(rng() == 0x6E789E6AA1B965F4ull);
    CHECK(rng() == 0x06C45D188009454Full);
}

TEST_CASE("uniform() is uniform on [0, 1)", "[random]") {
    Rng rng(1);
    const int n = 100000, bins = 10;
    std::vector<double> counts(bins, 0.0);
    double sum = 0, squares = 0, low = 1, high = 0;
    for (int i = 0; i < n; ++i) {
        const double u = rng.uniform();
        REQUIRE(u >= 0);
        REQUIRE(u < 1);
        counts[std::size_t(u * bins)] += 1;
        sum += u;
        squares += u * u;
        low = std::min(low, u);
        high = std::max(high, u);
    }
    CHECK(chi_square(counts) < 27.877);  // 9 df
    CHECK(std::abs(sum / n - 0.5) < 5 * std::sqrt(1 / 12.0 / n));
    CHECK(squares / n - (sum / n) * (sum / n) == Approx(1 / 12.0).epsilon(0.01));
    CHECK(low < 1e-3);
    CHECK(high > 1 - 1e-3);
}

TEST_CASE("below(n) is uniform on {0, ..., n - 1}, without modulo bias", "[random]") {
    Rng rng(2);
    const int n = 60000;
    std::vector<double> counts(6, 0.0);
    for (int i = 0; i < n; ++i) {
        const std::uint64_t r = rng.below(6);
        REQUIRE(r < 6);
        counts[r] += 1;
    }
    CHECK(chi_square(counts) < 20.515);  // 5 df

    for (int i = 0; i < 100; ++i) CHECK(rng.below(1) == 0);

    // n = 3 * 2^62: plain r % n would map [0, 2^62) twice (from r and r + n) and give
    // values below 2^62 probability 1/2 instead of 1/3.
    const std::uint64_t big = 3ull << 62;
    double low = 0;
    for (int i = 0; i < n; ++i) low += rng.below(big) < (1ull << 62);
    CHECK(std::abs(low / n - 1 / 3.0) < 5 * std::sqrt(2 / 9.0 / n));
}

TEST_CASE("normal() has the moments of a standard normal", "[random]") {
    Rng rng(3);
    const int n = 200000;
    std::array<double, 4> m{};  // raw moments 1..4
    double within_one = 0;
    for (int i = 0; i < n; ++i) {
        const double z = rng.normal();
        REQUIRE(std::isfinite(z));
        m[0] += z, m[1] += z * z, m[2] += z * z * z, m[3] += z * z * z * z;
        within_one += std::abs(z) <= 1;
    }
    for (double& v : m) v /= n;
    // Standard errors of the sample moments of N(0, 1): sqrt(1/n), sqrt(2/n), sqrt(15/n), sqrt(96/n).
    CHECK(std::abs(m[0]) < 5 * std::sqrt(1.0 / n));
    CHECK(std::abs(m[1] - 1) < 5 * std::sqrt(2.0 / n));
    CHECK(std::abs(m[2]) < 5 * std::sqrt(15.0 / n));
    CHECK(std::abs(m[3] - 3) < 5 * std::sqrt(96.0 / n));
    CHECK(std::abs(within_one / n - 0.682689) < 5 * std::sqrt(0.682689 * 0.317311 / n));  // P(|Z| <= 1)
}

TEST_CASE("shuffle() makes every permutation equally likely", "[random]") {
    Rng rng(4);
    // All 24 orders of 4 items.
    const int n = 48000;
    std::map<std::array<int, 4>, double> seen;
    for (int i = 0; i < n; ++i) {
        std::array<int, 4> a{0, 1, 2, 3};
        hyda::ad::shuffle(a.begin(), a.end(), rng);
        seen[a] += 1;
    }
    REQUIRE(seen.size() == 24);
    std::vector<double> counts;
    for (const auto& [order, count] : seen) counts.push_back(count);
    CHECK(chi_square(counts) < 49.728);  // 23 df

    // Where each of 6 items lands: a 6 x 6 table whose rows and columns each sum to n.
    // A cell gains 1 with probability 1/6 per shuffle, so Pearson's statistic has mean
    // 36 (5/6) = 30, and by the table's symmetry it is 6/5 times a chi-square with
    // (6 - 1)^2 = 25 df.
    std::vector<double> position(36, 0.0);
    for (int i = 0; i < n; ++i) {
        std::array<int, 6> a{0, 1, 2, 3, 4, 5};
        hyda::ad::shuffle(a.begin(), a.end(), rng);
        for (std::size_t p = 0; p < a.size(); ++p) position[std::size_t(a[p]) * 6 + p] += 1;
    }
    CHECK(chi_square(position) < 1.2 * 52.620);
}

TEST_CASE("log_gamma_draw() has the moments and distribution function of Gamma(a, 1)", "[random]") {
    Rng rng(5);
    const int n = 40000;
    // Gamma(a, 1): mean a, variance a, fourth central moment 3 a^2 + 6 a, so the sample
    // variance has standard error sqrt((2 a^2 + 6 a) / n). P(X <= x): for a = 1, 1 - e^-x;
    // for a = 2, 1 - e^-x (1 + x); for a = 1/2 (a chi-square of 1 df, halved), erf(sqrt x).
    struct Case {
        double a, x, cdf;  // cdf < 0: no closed form used
    };
    for (const Case c : {Case{0.05, 0, -1}, Case{0.3, 0, -1}, Case{0.5, 0.5, std::erf(std::sqrt(0.5))}, Case{1, 1, 1 - std::exp(-1.0)},
                         Case{2, 1, 1 - 2 * std::exp(-1.0)}, Case{10, 0, -1}}) {
        INFO("shape " << c.a);
        double sum = 0, squares = 0, below = 0;
        for (int i = 0; i < n; ++i) {
            const double log_x = hyda::ad::log_gamma_draw(rng, c.a);
            REQUIRE(std::isfinite(log_x));
            const double x = std::exp(log_x);
            sum += x, squares += x * x, below += x <= c.x;
        }
        const double mean = sum / n, variance = squares / n - mean * mean;
        CHECK(std::abs(mean - c.a) < 5 * std::sqrt(c.a / n));
        CHECK(std::abs(variance - c.a) < 5 * std::sqrt((2 * c.a * c.a + 6 * c.a) / n));
        if (c.cdf >= 0) CHECK(std::abs(below / n - c.cdf) < 5 * std::sqrt(c.cdf * (1 - c.cdf) / n));
    }
    // A small shape's draws fall below the smallest double: their logs still come out.
    double lowest = 0;
    for (int i = 0; i < 4000; ++i) lowest = std::min(lowest, hyda::ad::log_gamma_draw(rng, 0.01));
    CHECK(std::isfinite(lowest));
    CHECK(lowest < std::log(std::numeric_limits<double>::denorm_min()));
}

TEST_CASE("dirichlet() draws shares on the simplex with the symmetric Dirichlet's moments", "[random]") {
    Rng rng(6);
    const int n = 20000;
    for (const double a : {0.3, 1.0, 4.0}) {
        INFO("a " << a);
        // Each share of a symmetric Dirichlet(a) over K: mean 1/K, variance (1/K)(1 - 1/K)/(K a + 1).
        const std::size_t K = 3;
        std::array<double, 3> shares{}, sum{}, squares{};
        for (int i = 0; i < n; ++i) {
            hyda::ad::dirichlet(shares, a, rng);
            CHECK(shares[0] + shares[1] + shares[2] == Approx(1).margin(1e-12));
            for (std::size_t k = 0; k < K; ++k) {
                REQUIRE(shares[k] >= 0);
                sum[k] += shares[k], squares[k] += shares[k] * shares[k];
            }
        }
        const double want_var = (1.0 / K) * (1 - 1.0 / K) / (double(K) * a + 1);
        for (std::size_t k = 0; k < K; ++k) {
            const double mean = sum[k] / n, variance = squares[k] / n - mean * mean;
            CHECK(std::abs(mean - 1.0 / K) < 5 * std::sqrt(want_var / n));
            CHECK(variance == Approx(want_var).epsilon(0.05));
        }
    }
    // Dirichlet(1) is Exp(1) draws normalised, one uniform each, in order.
    std::array<double, 4> shares{};
    Rng a(7), b(7);
    hyda::ad::dirichlet(shares, 1.0, a);
    std::array<double, 4> e{};
    for (double& x : e) x = -std::log(1 - b.uniform());
    const double total = e[0] + e[1] + e[2] + e[3];
    for (std::size_t k = 0; k < 4; ++k) CHECK(shares[k] == Approx(e[k] / total).margin(1e-15));
    // A tiny concentration: shares that are still numbers, nearly all on one component.
    int one_sided = 0;
    for (int i = 0; i < 1000; ++i) {
        hyda::ad::dirichlet(shares, 0.001, rng);
        CHECK(shares[0] + shares[1] + shares[2] + shares[3] == Approx(1).margin(1e-12));
        one_sided += *std::max_element(shares.begin(), shares.end()) > 0.99;
    }
    CHECK(one_sided > 980);
}
