#pragma once
// Statistics for paired comparisons of two methods run on the same seeds (the same
// splits, initial parameters and batch order per seed): is the difference in a metric
// larger than the seed-to-seed noise?
#include <span>

#pragma GCC visibility push(default)  // the public API: exported by the shared libraries (cmake/package.cmake)
namespace hyda::mtl {

// Regularized incomplete beta function I_x(a, b) for a, b > 0 and x in [0, 1]: the
// distribution function of a Beta(a, b) variable. By its continued fraction (evaluated
// with the modified Lentz method), on whichever of x or 1 - x makes it converge fast.
// Throws std::invalid_argument outside the domain.
double incomplete_beta(double a, double b, double x);

// Two-sided p-value of Student's t distribution with df > 0 degrees of freedom:
// P(|T| >= |t|) = I_{df / (df + t^2)}(df / 2, 1 / 2). p = 0 for an infinite t.
double student_t_two_sided(double t, double df);

// Paired t-test of the differences d_i = a_i - b_i (Student 1908): mean difference,
// its standard error s / sqrt(n) (s the sample standard deviation, n - 1 in the
// denominator), t = mean / se with n - 1 degrees of freedom, two-sided p.
// Edge cases: n = 1 leaves se, t and p NaN (no estimate of the spread). With every
// difference equal (s = 0): all zero gives t = 0 and p = 1 (nothing differs); otherwise
// t = +-infinity and p = 0.
struct PairedTTest {
    int n = 0;
    double mean = 0, se = 0, t = 0, df = 0, p = 1;
};
// Throws std::invalid_argument if a and b differ in length, are empty or hold a NaN.
PairedTTest paired_t_test(std::span<const double> a, std::span<const double> b);

// Exact two-sided sign test of the differences a_i - b_i: zero differences are dropped,
// and among the n others, with k the smaller of the counts of positive and negative
// ones, p = min(1, 2 P(X <= k)) for X ~ Binomial(n, 1/2). p = 1 when n = 0.
// Needs no assumption on the distribution of the differences beyond independence.
struct SignTest {
    int positive = 0, negative = 0, ties = 0;
    double p = 1;
};
// Throws std::invalid_argument as paired_t_test does.
SignTest sign_test(std::span<const double> a, std::span<const double> b);

// Wilcoxon signed-rank test of the differences d_i = a_i - b_i (Wilcoxon 1945), two-sided.
// Zero differences are dropped (Wilcoxon's own treatment); the n others are ranked by
// |d_i|, tied magnitudes taking their average rank, and W+ is the sum of the ranks of
// the positive differences (W- = n (n + 1) / 2 - W+). For n <= 50 the p-value is exact:
// under the null each rank carries either sign with probability 1/2, and the distribution
// of W+ for the actual (possibly averaged) ranks is counted by dynamic programming;
// p = min(1, 2 min(P(W+ <= w), P(W+ >= w))). For n > 50, the normal approximation
// z = (W+ - n (n + 1) / 4) / sd with the tie-corrected variance
// n (n + 1) (2n + 1) / 24 - sum_t (t^3 - t) / 48 (t: sizes of the groups of tied
// magnitudes), without continuity correction. p = 1 when n = 0.
struct WilcoxonTest {
    int n = 0;      // non-zero differences
    int zeros = 0;  // dropped
    double w_plus = 0, w_minus = 0;
    double p = 1;
    bool exact = true;  // false: the normal approximation
};
// Throws std::invalid_argument as paired_t_test does.
WilcoxonTest wilcoxon_signed_rank(std::span<const double> a, std::span<const double> b);

}  // namespace hyda::mtl
#pragma GCC visibility pop
