// The paired t-test and the sign test against references computed independently of
// stats.cpp: closed forms of the incomplete beta and t distributions, values from
// published t tables, t statistics by hand and binomial tails by exact summation.
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <numbers>
#include <stdexcept>
#include <vector>

#include "hyda/mtl/stats.hpp"

using namespace hyda::mtl;
using Vec = std::vector<double>;

namespace {

// 2 P(X <= k) for X ~ Binomial(n, 1/2), capped at 1, by summing exact integer binomial
// coefficients (n <= 60 keeps them below 2^63).
double two_sided_binomial(int n, int k) {
    double tail = 0;
    std::uint64_t choose = 1;  // C(n, i)
    for (int i = 0; i <= k; ++i) {
        tail += double(choose);
        choose = choose * std::uint64_t(n - i) / std::uint64_t(i + 1);
    }
    return std::min(1.0, 2 * tail / std::ldexp(1.0, n));
}

}  // namespace

TEST_CASE("incomplete beta: closed forms and symmetry", "[stats]") {
    for (double x : {0.0, 1e-6, 0.1, 0.37, 0.5, 0.8, 0.999, 1.0}) {
        INFO("x = " << x);
        for (double a : {0.5, 1.0, 2.5, 7.0}) {
            CHECK(incomplete_beta(a, 1, x) == Approx(std::pow(x, a)).margin(1e-14));          // I_x(a, 1) = x^a
            CHECK(incomplete_beta(1, a, x) == Approx(1 - std::pow(1 - x, a)).margin(1e-14));  // I_x(1, b) = 1 - (1 - x)^b
            for (double b : {0.5, 3.0, 40.0}) CHECK(incomplete_beta(a, b, x) + incomplete_beta(b, a, 1 - x) == Approx(1).margin(1e-13));
        }
        // I_x(1/2, 1/2) = (2 / pi) asin(sqrt(x)): the arcsine distribution.
        CHECK(incomplete_beta(0.5, 0.5, x) == Approx(2 / std::numbers::pi * std::asin(std::sqrt(x))).margin(1e-13));
    }
    CHECK_THROWS_AS(incomplete_beta(0, 1, 0.5), std::invalid_argument);
    CHECK_THROWS_AS(incomplete_beta(1, 1, 1.5), std::invalid_argument);
    CHECK_THROWS_AS(incomplete_beta(1, 1, std::nan("")), std::invalid_argument);
}

TEST_CASE("Student's t two-sided p: closed forms for 1 and 2 degrees of freedom, t tables for 19", "[stats]") {
    for (double t : {0.0, 0.3, 1.0, 2.5, 12.0, 1e4}) {
        INFO("t = " << t);
        // df = 1 is the Cauchy distribution: P(|T| >= t) = 1 - (2 / pi) atan(t).
        CHECK(student_t_two_sided(t, 1) == Approx(1 - 2 / std::numbers::pi * std::atan(t)).margin(1e-13));
        CHECK(student_t_two_sided(-t, 1) == student_t_two_sided(t, 1));
        // df = 2: P(|T| >= t) = 1 - t / sqrt(2 + t^2).
        CHECK(student_t_two_sided(t, 2) == Approx(1 - t / std::sqrt(2 + t * t)).margin(1e-13));
    }
    // Critical values of the t table (e.g. Fisher & Yates), 19 df, to its 3 decimals.
    CHECK(student_t_two_sided(1.729, 19) == Approx(0.10).margin(2e-4));
    CHECK(student_t_two_sided(2.093, 19) == Approx(0.05).margin(1e-4));
    CHECK(student_t_two_sided(2.861, 19) == Approx(0.01).margin(2e-5));
    CHECK(student_t_two_sided(3.883, 19) == Approx(0.001).margin(3e-6));
    CHECK(student_t_two_sided(2.228, 10) == Approx(0.05).margin(1e-4));
    CHECK(student_t_two_sided(std::numeric_limits<double>::infinity(), 5) == 0);
    CHECK(std::isnan(student_t_two_sided(std::nan(""), 5)));
    CHECK_THROWS_AS(student_t_two_sided(1, 0), std::invalid_argument);
}

TEST_CASE("paired t-test: hand-computed statistics", "[stats]") {
    // Differences 1, 2, 3, 4, 5: mean 3, s^2 = 10 / 4 = 2.5, se = sqrt(2.5 / 5) = sqrt(0.5),
    // t = 3 / sqrt(0.5) = 4.2426, 4 df.
    const Vec a{11, 12, 13, 14, 15}, b{10, 10, 10, 10, 10};
    const PairedTTest r = paired_t_test(a, b);
    CHECK(r.n == 5);
    CHECK(r.df == 4);
    CHECK(r.mean == Approx(3));
    CHECK(r.se == Approx(std::sqrt(0.5)));
    CHECK(r.t == Approx(3 / std::sqrt(0.5)));
    // t table, 4 df: 4.032 (p = 0.02) < 4.2426 < 4.604 (p = 0.01).
    CHECK(r.p < 0.02);
    CHECK(r.p > 0.01);
    CHECK(r.p == Approx(student_t_two_sided(r.t, 4)));

    // Swapping the samples flips the sign of mean and t, not p.
    const PairedTTest s = paired_t_test(b, a);
    CHECK(s.mean == Approx(-3));
    CHECK(s.t == Approx(-r.t));
    CHECK(s.p == Approx(r.p));

    // 20 pairs whose differences give t = 2.093 exactly (19 df): p = 0.05 by the table.
    // Differences +-1 (10 each) have mean 0 and s = sqrt(20 / 19); shifting them by
    // m = 2.093 s / sqrt(20) gives t = 2.093.
    Vec x(20), y(20, 0.0);
    const double m = 2.093 * std::sqrt(20.0 / 19) / std::sqrt(20.0);
    for (int i = 0; i < 20; ++i) x[std::size_t(i)] = m + (i % 2 ? 1 : -1);
    const PairedTTest u = paired_t_test(x, y);
    CHECK(u.t == Approx(2.093).epsilon(1e-12));
    CHECK(u.p == Approx(0.05).margin(1e-4));
}

TEST_CASE("paired t-test: zero variance, one pair, bad input", "[stats]") {
    const PairedTTest same = paired_t_test(Vec{0.7, 0.8, 0.9}, Vec{0.7, 0.8, 0.9});
    CHECK(same.mean == 0);
    CHECK(same.se == 0);
    CHECK(same.t == 0);
    CHECK(same.p == 1);

    const PairedTTest shifted = paired_t_test(Vec{1.5, 2.5, 3.5}, Vec{1, 2, 3});
    CHECK(shifted.mean == 0.5);
    CHECK(shifted.se == 0);
    CHECK(shifted.t == std::numeric_limits<double>::infinity());
    CHECK(shifted.p == 0);
    CHECK(paired_t_test(Vec{1, 2, 3}, Vec{1.5, 2.5, 3.5}).t == -std::numeric_limits<double>::infinity());

    const PairedTTest one = paired_t_test(Vec{0.9}, Vec{0.8});
    CHECK(one.n == 1);
    CHECK(one.mean == Approx(0.1));
    CHECK(one.df == 0);
    CHECK(std::isnan(one.se));
    CHECK(std::isnan(one.t));
    CHECK(std::isnan(one.p));

    CHECK_THROWS_AS(paired_t_test(Vec{}, Vec{}), std::invalid_argument);
    CHECK_THROWS_AS(paired_t_test(Vec{1, 2}, Vec{1}), std::invalid_argument);
    CHECK_THROWS_AS(paired_t_test(Vec{1, std::nan("")}, Vec{1, 2}), std::invalid_argument);
}

TEST_CASE("sign test: exact binomial tails", "[stats]") {
    // Every split of n nonzero differences into positives and negatives, n up to 60.
    for (int n = 1; n <= 60; ++n) {
        for (int positive = 0; positive <= n; ++positive) {
            Vec a(std::size_t(n), 0.0), b(std::size_t(n), 0.0);
            for (int i = 0; i < positive; ++i) a[std::size_t(i)] = 1;
            for (int i = positive; i < n; ++i) b[std::size_t(i)] = 1;
            const SignTest r = sign_test(a, b);
            INFO("n = " << n << ", positive = " << positive);
            CHECK(r.positive == positive);
            CHECK(r.negative == n - positive);
            CHECK(r.ties == 0);
            const double expected = two_sided_binomial(n, std::min(positive, n - positive));
            CHECK(r.p == Approx(expected).epsilon(1e-10).margin(1e-300));
        }
    }
    // By hand: 20 pairs, 15 up and 5 down: 2 (1 + 20 + 190 + 1140 + 4845 + 15504) / 2^20.
    Vec a(20, 1.0), b(20, 0.0);
    for (int i = 0; i < 5; ++i) a[std::size_t(i)] = -1;
    CHECK(sign_test(a, b).p == Approx(2 * 21700.0 / 1048576.0).epsilon(1e-12));
    // 20 of 20 one way: 2 / 2^20.
    CHECK(sign_test(Vec(20, 1.0), Vec(20, 0.0)).p == Approx(2 / 1048576.0).epsilon(1e-12));
}

TEST_CASE("sign test: ties are dropped; no untied pair gives p = 1", "[stats]") {
    const SignTest r = sign_test(Vec{1, 2, 3, 4, 5}, Vec{1, 2, 0, 0, 0});
    CHECK(r.ties == 2);
    CHECK(r.positive == 3);
    CHECK(r.negative == 0);
    CHECK(r.p == Approx(2 / 8.0));  // 3 of 3: 2 * (1/2)^3

    const SignTest all_ties = sign_test(Vec{1, 2}, Vec{1, 2});
    CHECK(all_ties.ties == 2);
    CHECK(all_ties.p == 1);
    CHECK(sign_test(Vec{1}, Vec{0}).p == 1);  // one pair: 2 * 1/2

    CHECK_THROWS_AS(sign_test(Vec{}, Vec{}), std::invalid_argument);
    CHECK_THROWS_AS(sign_test(Vec{1}, Vec{1, 2}), std::invalid_argument);
}

TEST_CASE("Wilcoxon signed-rank: exact p by hand", "[stats]") {
    // All five differences positive: W+ = 1 + ... + 5 = 15 is reached by 1 of the 2^5 sign
    // patterns, so p = 2 / 32.
    const Vec zero(5, 0.0);
    WilcoxonTest w = wilcoxon_signed_rank(Vec{1, 2, 3, 4, 5}, zero);
    CHECK(w.n == 5);
    CHECK(w.w_plus == 15);
    CHECK(w.w_minus == 0);
    CHECK(w.exact);
    CHECK(w.p == 2.0 / 32);
    // Swapping the samples flips the signs: the same p.
    CHECK(wilcoxon_signed_rank(zero, Vec{1, 2, 3, 4, 5}).p == 2.0 / 32);

    // d = {1, -1, 2, 3}: |1| and |-1| tie at ranks 1 and 2 and take 1.5 each; W+ = 1.5 + 3
    // + 4 = 8.5. Of the 16 sign patterns of the ranks {1.5, 1.5, 3, 4}, those with W+ >= 8.5
    // are {1.5, 3, 4} twice and all four: 3, so p = 2 * 3 / 16.
    w = wilcoxon_signed_rank(Vec{1, -1, 2, 3}, Vec{0, 0, 0, 0});
    CHECK(w.w_plus == 8.5);
    CHECK(w.w_minus == 1.5);
    CHECK(w.p == 2.0 * 3 / 16);

    // d = {1, -2}: W+ = 1; P(W+ <= 1) = 2/4 and P(W+ >= 1) = 3/4: p = min(1, 2 * 1/2).
    CHECK(wilcoxon_signed_rank(Vec{1, -2}, Vec{0, 0}).p == 1);
}

TEST_CASE("Wilcoxon signed-rank: zero differences are dropped; none left gives p = 1", "[stats]") {
    const WilcoxonTest w = wilcoxon_signed_rank(Vec{3, 1, 2, 3, 4, 5}, Vec{3, 0, 0, 0, 0, 0});
    CHECK(w.zeros == 1);
    CHECK(w.n == 5);
    CHECK(w.p == 2.0 / 32);
    const WilcoxonTest none = wilcoxon_signed_rank(Vec{1, 2}, Vec{1, 2});
    CHECK(none.n == 0);
    CHECK(none.zeros == 2);
    CHECK(none.p == 1);
    CHECK_THROWS_AS(wilcoxon_signed_rank(Vec{1}, Vec{1, 2}), std::invalid_argument);
    CHECK_THROWS_AS(wilcoxon_signed_rank(Vec{}, Vec{}), std::invalid_argument);
}

TEST_CASE("Wilcoxon signed-rank: exact p against enumeration of every sign pattern", "[stats]") {
    // 12 differences with ties among their magnitudes; the reference flips every sign
    // pattern (2^12) and counts those with W+ at least as extreme.
    const Vec d = {0.5, -1, 1, 2, -2, 2, 3, -4, 5, 6, -6, 7};
    const Vec ranks = {1, 2.5, 2.5, 5, 5, 5, 7, 8, 9, 10.5, 10.5, 12};  // by hand, average ranks
    double observed = 0;
    for (std::size_t i = 0; i < d.size(); ++i)
        if (d[i] > 0) observed += ranks[i];
    int below = 0, above = 0;
    for (unsigned pattern = 0; pattern < (1u << d.size()); ++pattern) {
        double w = 0;
        for (std::size_t i = 0; i < d.size(); ++i)
            if (pattern >> i & 1) w += ranks[i];
        below += w <= observed;
        above += w >= observed;
    }
    const WilcoxonTest w = wilcoxon_signed_rank(d, Vec(d.size(), 0.0));
    CHECK(w.w_plus == observed);
    CHECK(w.p == Approx(std::min(1.0, 2.0 * std::min(below, above) / 4096)).epsilon(1e-15));
}

TEST_CASE("Wilcoxon signed-rank: normal approximation above 50 pairs, with the tie correction", "[stats]") {
    // d = -1 .. -20, 21 .. 60: W- = 1 + ... + 20 = 210, W+ = 1830 - 210 = 1620; mean
    // 60 * 61 / 4 = 915, variance 60 * 61 * 121 / 24 = 18452.5.
    Vec d;
    for (int i = 1; i <= 60; ++i) d.push_back(i <= 20 ? -i : i);
    WilcoxonTest w = wilcoxon_signed_rank(d, Vec(60, 0.0));
    CHECK_FALSE(w.exact);
    CHECK(w.w_plus == 1620);
    CHECK(w.p == Approx(std::erfc((1620 - 915) / std::sqrt(18452.5) / std::sqrt(2.0))).epsilon(1e-12));

    // Sixty equal differences: one tie group of 60, rank 30.5 each, W+ = 1830; variance
    // 18452.5 - (60^3 - 60) / 48 = 13953.75.
    w = wilcoxon_signed_rank(Vec(60, 2.0), Vec(60, 1.0));
    CHECK(w.w_plus == 1830);
    CHECK(w.p == Approx(std::erfc((1830 - 915) / std::sqrt(13953.75) / std::sqrt(2.0))).epsilon(1e-12));
}
