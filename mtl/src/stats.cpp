#include "hyda/mtl/stats.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

namespace hyda::mtl {

namespace {

// The continued fraction of I_x(a, b) (Abramowitz & Stegun 26.5.8), without its prefactor:
//     1 / (1 + d_1 / (1 + d_2 / (1 + ...))),
//     d_{2m+1} = -(a + m)(a + b + m) x / ((a + 2m)(a + 2m + 1)),
//     d_{2m}   = m (b - m) x / ((a + 2m - 1)(a + 2m)),
// by the modified Lentz method (Lentz 1976; Thompson & Barnett 1986): the ratios of
// successive convergents, with zeros nudged to `tiny` so no division fails. Converges
// quickly for x < (a + 1) / (a + b + 2).
double beta_fraction(double a, double b, double x) {
    constexpr double tiny = 1e-300, eps = 1e-15;
    constexpr int max_terms = 10000;
    double c = 1, d = 0, f = 1;  // f: the value of 1 + d_1 / (1 + ...) so far
    for (int j = 1; j <= max_terms; ++j) {
        const int m = j / 2;
        const double dj = j % 2 == 1 ? -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1))
                                     : m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m));
        d = 1 + dj * d;
        if (std::abs(d) < tiny) d = tiny;
        c = 1 + dj / c;
        if (std::abs(c) < tiny) c = tiny;
        d = 1 / d;
        f *= c * d;
        if (std::abs(c * d - 1) < eps) return 1 / f;
    }
    throw std::runtime_error("incomplete_beta: no convergence for a = " + std::to_string(a) + ", b = " + std::to_string(b));
}

void check_pairs(std::span<const double> a, std::span<const double> b, const char* what) {
    auto fail = [&](const std::string& msg) { throw std::invalid_argument(std::string(what) + ": " + msg); };
    if (a.size() != b.size()) fail(std::to_string(a.size()) + " values paired with " + std::to_string(b.size()));
    if (a.empty()) fail("no pairs");
    for (std::size_t i = 0; i < a.size(); ++i)
        if (std::isnan(a[i]) || std::isnan(b[i])) fail("pair " + std::to_string(i) + " holds a NaN");
}

}  // namespace

double incomplete_beta(double a, double b, double x) {
    if (!(a > 0 && b > 0 && x >= 0 && x <= 1))
        throw std::invalid_argument("incomplete_beta: needs a, b > 0 and x in [0, 1], got a = " + std::to_string(a) + ", b = " +
                                    std::to_string(b) + ", x = " + std::to_string(x));
    if (x == 0 || x == 1) return x;
    // x^a (1 - x)^b / (a B(a, b)), in logarithms so large a and b do not overflow.
    const double log_front = a * std::log(x) + b * std::log1p(-x) - (std::lgamma(a) + std::lgamma(b) - std::lgamma(a + b));
    if (x < (a + 1) / (a + b + 2)) return std::exp(log_front) / a * beta_fraction(a, b, x);
    return 1 - std::exp(log_front) / b * beta_fraction(b, a, 1 - x);  // I_x(a, b) = 1 - I_{1-x}(b, a)
}

double student_t_two_sided(double t, double df) {
    if (!(df > 0)) throw std::invalid_argument("student_t_two_sided: needs df > 0, got " + std::to_string(df));
    if (std::isnan(t)) return t;
    if (std::isinf(t)) return 0;
    return incomplete_beta(df / 2, 0.5, df / (df + t * t));
}

PairedTTest paired_t_test(std::span<const double> a, std::span<const double> b) {
    check_pairs(a, b, "paired_t_test");
    PairedTTest r;
    r.n = int(a.size());
    for (std::size_t i = 0; i < a.size(); ++i) r.mean += a[i] - b[i];
    r.mean /= r.n;
    r.df = r.n - 1;
    if (r.n == 1) {
        r.se = r.t = r.p = std::numeric_limits<double>::quiet_NaN();
        return r;
    }
    double squares = 0;  // two passes: no cancellation when the mean dwarfs the spread
    for (std::size_t i = 0; i < a.size(); ++i) squares += (a[i] - b[i] - r.mean) * (a[i] - b[i] - r.mean);
    r.se = std::sqrt(squares / r.df / r.n);
    if (r.se == 0) {
        r.t = r.mean == 0 ? 0 : std::copysign(std::numeric_limits<double>::infinity(), r.mean);
        r.p = r.mean == 0 ? 1 : 0;
        return r;
    }
    r.t = r.mean / r.se;
    r.p = student_t_two_sided(r.t, r.df);
    return r;
}

SignTest sign_test(std::span<const double> a, std::span<const double> b) {
    check_pairs(a, b, "sign_test");
    SignTest r;
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (a[i] > b[i]) ++r.positive;
        else if (a[i] < b[i]) ++r.negative;
        else ++r.ties;
    }
    const int n = r.positive + r.negative, k = std::min(r.positive, r.negative);
    // P(X <= k) for X ~ Binomial(n, 1/2) is I_{1/2}(n - k, k + 1); k <= n / 2 < n.
    if (n > 0) r.p = std::min(1.0, 2 * incomplete_beta(n - k, k + 1, 0.5));
    return r;
}

namespace {

// Two-sided p of W+ = half_w / 2 when the ranks, doubled to integers, are `doubled`:
// counts of every subset sum (each rank positive or not, 2^n equally likely outcomes).
// Counts up to 2^50 are exact in a double.
double wilcoxon_exact_p(const std::vector<int>& doubled, int observed) {
    int total = 0;
    for (const int r : doubled) total += r;
    std::vector<double> count(std::size_t(total) + 1, 0.0);
    count[0] = 1;
    int reach = 0;
    for (const int r : doubled) {
        for (int s = reach; s >= 0; --s) count[std::size_t(s + r)] += count[std::size_t(s)];
        reach += r;
    }
    double below = 0, above = 0;  // P(S <= observed), P(S >= observed), times 2^n
    for (int s = 0; s <= total; ++s) {
        if (s <= observed) below += count[std::size_t(s)];
        if (s >= observed) above += count[std::size_t(s)];
    }
    return std::min(1.0, 2 * std::min(below, above) / std::ldexp(1.0, int(doubled.size())));
}

}  // namespace

WilcoxonTest wilcoxon_signed_rank(std::span<const double> a, std::span<const double> b) {
    check_pairs(a, b, "wilcoxon_signed_rank");
    WilcoxonTest r;
    std::vector<double> d;
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (a[i] == b[i]) ++r.zeros;
        else d.push_back(a[i] - b[i]);
    }
    r.n = int(d.size());
    if (r.n == 0) return r;
    std::sort(d.begin(), d.end(), [](double x, double y) { return std::abs(x) < std::abs(y); });
    // Doubled average ranks: a group of tied magnitudes at positions i .. j - 1 (ranks
    // i + 1 .. j) takes rank (i + 1 + j) / 2 each, (i + 1 + j) when doubled.
    std::vector<int> doubled(d.size());
    int plus = 0;           // 2 W+
    double tie_terms = 0;   // sum of t^3 - t over the tie groups
    for (std::size_t i = 0; i < d.size();) {
        std::size_t j = i + 1;
        while (j < d.size() && std::abs(d[j]) == std::abs(d[i])) ++j;
        const double t = double(j - i);
        tie_terms += t * t * t - t;
        for (std::size_t k = i; k < j; ++k) {
            doubled[k] = int(i + 1 + j);
            if (d[k] > 0) plus += doubled[k];
        }
        i = j;
    }
    const double n = r.n;
    r.w_plus = plus / 2.0;
    r.w_minus = n * (n + 1) / 2 - r.w_plus;
    if (r.n <= 50) {
        r.p = wilcoxon_exact_p(doubled, plus);
        return r;
    }
    r.exact = false;
    const double variance = n * (n + 1) * (2 * n + 1) / 24 - tie_terms / 48;
    const double z = (r.w_plus - n * (n + 1) / 4) / std::sqrt(variance);
    r.p = std::erfc(std::abs(z) / std::sqrt(2.0));
    return r;
}

}  // namespace hyda::mtl
