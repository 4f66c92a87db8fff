// The exact QP solver behind MGDA and CAGrad (mtl/src/strategies/simplex_qp.hpp): its
// answers on random Gram matrices G = J J^T of every rank, with identical, zero and badly
// scaled gradients, against the KKT conditions and, for up to 8 tasks, against a
// brute-force enumeration of every support in long double; hand cases; the nonnegative
// region; errors.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <random>
#include <vector>

#include "strategies/simplex_qp.hpp"
#include "throws.hpp"

namespace {

using hyda::mtl::detail::SimplexQP;
using Vec = std::vector<double>;
using Region = SimplexQP::Region;

// G = J J^T for a random K x dim J of the given rank, each row scaled by 10^e with e
// uniform in [-spread, spread], then `duplicates` rows replaced by copies of others and
// `zeros` rows by zeros; the whole times `scale`.
Vec random_gram(int K, int rank, double spread, int duplicates, int zeros, double scale, std::mt19937_64& rng) {
    std::normal_distribution<double> normal;
    std::uniform_real_distribution<double> uniform(-spread, spread);
    const int dim = std::max(rank, 1) + 3;
    std::vector<Vec> basis(static_cast<std::size_t>(rank), Vec(static_cast<std::size_t>(dim)));
    for (Vec& v : basis)
        for (double& x : v) x = normal(rng);
    std::vector<Vec> J(static_cast<std::size_t>(K), Vec(static_cast<std::size_t>(dim), 0.0));
    for (Vec& row : J) {
        for (const Vec& v : basis) {
            const double c = normal(rng);
            for (int d = 0; d < dim; ++d) row[std::size_t(d)] += c * v[std::size_t(d)];
        }
        const double s = std::pow(10.0, uniform(rng));
        for (double& x : row) x *= s;
    }
    std::uniform_int_distribution<int> pick(0, K - 1);
    for (int i = 0; i < duplicates; ++i) J[std::size_t(pick(rng))] = J[std::size_t(pick(rng))];
    for (int i = 0; i < zeros; ++i) {
        Vec& row = J[std::size_t(pick(rng))];
        std::fill(row.begin(), row.end(), 0.0);
    }
    Vec G(std::size_t(K * K));
    for (int i = 0; i < K; ++i)
        for (int j = 0; j < K; ++j) G[std::size_t(i * K + j)] = scale * std::inner_product(J[std::size_t(i)].begin(), J[std::size_t(i)].end(), J[std::size_t(j)].begin(), 0.0);
    return G;
}

// A linear term of relative size `magnitude`, from comparable to G down to much smaller
// (CAGrad's dual near its min-norm end): b = magnitude G z, in G's range like UPGrad's
// b = G u and CAGrad's b = G 1 / K, so that f is flat along G's null space up to
// rounding; or, for `in_range` false, b = magnitude max_k G_kk z. z standard normal.
Vec linear_term(const Vec& G, double magnitude, bool in_range, std::mt19937_64& rng) {
    const std::size_t K = std::size_t(std::sqrt(double(G.size())));
    double largest = 0;
    for (std::size_t k = 0; k < K; ++k) largest = std::max(largest, G[k * K + k]);
    std::normal_distribution<double> normal;
    Vec z(K), b(K, 0.0);
    for (double& x : z) x = normal(rng);
    for (std::size_t i = 0; i < K; ++i)
        for (std::size_t j = 0; j < K; ++j) b[i] += in_range ? magnitude * G[i * K + j] * z[j] : 0.0;
    if (!in_range)
        for (std::size_t i = 0; i < K; ++i) b[i] = magnitude * largest * z[i];
    return b;
}

long double objective(const Vec& Q, const Vec& b, const std::vector<long double>& a) {
    const std::size_t K = a.size();
    long double f = 0;
    for (std::size_t i = 0; i < K; ++i) {
        for (std::size_t j = 0; j < K; ++j) f += 0.5L * a[i] * (long double)Q[i * K + j] * a[j];
        if (!b.empty()) f += (long double)b[i] * a[i];
    }
    return f;
}

// min f over the simplex by brute force: for every support S, the stationary point of f
// on S's affine hull (Q_SS a_S + b_S = lambda 1, sum a_S = 1), solved in long double by
// Gaussian elimination; the least f among those that are feasible. A singular face's
// minimum is also reached on a smaller face, so skipping singular systems loses nothing,
// and every candidate is feasible, so none can undercut the true minimum.
long double brute_force_minimum(const Vec& Q, const Vec& b) {
    const std::size_t K = b.empty() ? std::size_t(std::sqrt(double(Q.size()))) : b.size();
    long double best = std::numeric_limits<long double>::infinity();
    for (unsigned mask = 1; mask < (1u << K); ++mask) {
        std::vector<std::size_t> S;
        for (std::size_t k = 0; k < K; ++k)
            if (mask & (1u << k)) S.push_back(k);
        const std::size_t m = S.size(), cols = m + 2;  // unknowns a_S, lambda; then the right side
        std::vector<long double> M((m + 1) * cols, 0.0L);
        for (std::size_t i = 0; i < m; ++i) {
            for (std::size_t j = 0; j < m; ++j) M[i * cols + j] = Q[S[i] * K + S[j]];
            M[i * cols + m] = -1;
            M[i * cols + m + 1] = b.empty() ? 0.0L : -(long double)b[S[i]];
            M[m * cols + i] = 1;
        }
        M[m * cols + m + 1] = 1;
        bool singular = false;
        for (std::size_t c = 0; c <= m && !singular; ++c) {
            std::size_t p = c;
            for (std::size_t r = c + 1; r <= m; ++r)
                if (std::fabs(M[r * cols + c]) > std::fabs(M[p * cols + c])) p = r;
            if (M[p * cols + c] == 0) singular = true;
            for (std::size_t j = 0; j < cols && !singular; ++j) std::swap(M[c * cols + j], M[p * cols + j]);
            for (std::size_t r = 0; r <= m && !singular; ++r) {
                if (r == c) continue;
                const long double f = M[r * cols + c] / M[c * cols + c];
                for (std::size_t j = c; j < cols; ++j) M[r * cols + j] -= f * M[c * cols + j];
            }
        }
        if (singular) continue;
        std::vector<long double> a(K, 0.0L);
        bool feasible = true;
        for (std::size_t i = 0; i < m; ++i) {
            a[S[i]] = M[i * cols + m + 1] / M[i * cols + i];
            feasible = feasible && a[S[i]] >= 0;
        }
        if (feasible) best = std::min(best, objective(Q, b, a));
    }
    return best;
}

// The largest violation of the KKT conditions of the simplex problem at a, relative to
// max_k Q_kk + max_k |b_k| (the scale of g = Q a + b), and of feasibility.
struct Kkt {
    double stationarity = 0, feasibility = 0;
};
Kkt kkt_violation(const Vec& Q, const Vec& b, const Vec& a, double lambda, Region region) {
    const std::size_t K = a.size();
    double scale = 0;
    for (std::size_t k = 0; k < K; ++k) scale = std::max(scale, Q[k * K + k] + (b.empty() ? 0.0 : std::abs(b[k])));
    Kkt v;
    double sum = 0;
    for (std::size_t i = 0; i < K; ++i) {
        long double g = b.empty() ? 0.0L : (long double)b[i];
        for (std::size_t j = 0; j < K; ++j) g += (long double)Q[i * K + j] * a[j];
        const double mu = double(g - lambda);
        // a_i > 0: g_i = lambda; a_i = 0: g_i >= lambda.
        v.stationarity = std::max(v.stationarity, (a[i] > 0 ? std::abs(mu) : std::max(-mu, 0.0)) / (scale > 0 ? scale : 1));
        v.feasibility = std::max(v.feasibility, std::max(-a[i], 0.0));
        sum += a[i];
    }
    if (region == Region::simplex) v.feasibility = std::max(v.feasibility, std::abs(sum - 1));
    return v;
}

}  // namespace

TEST_CASE("simplex QP: KKT conditions on random Gram matrices of every rank, K = 2..16", "[qp]") {
    // 4500 problems: ranks 1..K, rows scaled over up to 8 decades, half the rows duplicated
    // in some, a zero row in others, the whole scaled by 1e-30 .. 1e30, a third with a
    // linear term. Measured: largest violation 5e-16 of the scale, infeasibility 4e-16.
    std::mt19937_64 rng(2024);
    for (int K = 2; K <= 16; ++K) {
        SimplexQP qp(static_cast<std::size_t>(K));
        for (int trial = 0; trial < 300; ++trial) {
            const int rank = 1 + trial % K;
            const double spread = trial % 3 == 0 ? 0.0 : trial % 3 == 1 ? 1.0 : 4.0;
            const double scale = std::pow(10.0, double(trial % 7) * 10 - 30);  // 1e-30 .. 1e30
            const Vec G = random_gram(K, rank, spread, trial % 5 == 0 ? K / 2 : 0, trial % 11 == 0 ? 1 : 0, scale, rng);
            // A third of the problems with a linear term, of relative size 1, 1e-3 or 1e-6.
            const Vec b = trial % 3 == 0 ? linear_term(G, std::pow(10.0, -3.0 * (trial / 3 % 3)), trial % 2 == 0, rng) : Vec{};
            Vec a(static_cast<std::size_t>(K));
            const double lambda = qp.solve(G, b, Region::simplex, a);
            const Kkt v = kkt_violation(G, b, a, lambda, Region::simplex);
            INFO("K " << K << ", trial " << trial << ", rank " << rank << ", spread " << spread << ", scale " << scale << ", linear term " << !b.empty());
            CHECK(v.stationarity <= 1e-9);
            CHECK(v.feasibility <= 1e-15);
        }
    }
}

TEST_CASE("simplex QP: the minimum equals a brute-force enumeration of every support, K = 2..8", "[qp]") {
    // Measured: largest difference 5e-17 of the scale.
    std::mt19937_64 rng(7);
    for (int K = 2; K <= 8; ++K) {
        SimplexQP qp(static_cast<std::size_t>(K));
        for (int trial = 0; trial < 150; ++trial) {
            const int rank = 1 + trial % K;
            const double spread = trial % 2 == 0 ? 0.0 : 2.0;
            const Vec G = random_gram(K, rank, spread, trial % 4 == 0 ? 1 : 0, trial % 9 == 0 ? 1 : 0, 1.0, rng);
            // Half of the problems with a linear term, of relative size 1 down to 1e-6.
            const Vec b = trial % 2 == 1 ? linear_term(G, std::pow(10.0, -2.0 * (trial / 2 % 4)), trial % 4 == 1, rng) : Vec{};
            Vec a(static_cast<std::size_t>(K));
            qp.solve(G, b, Region::simplex, a);
            const long double got = objective(G, b, std::vector<long double>(a.begin(), a.end())), want = brute_force_minimum(G, b);
            double scale = 0;
            for (int k = 0; k < K; ++k) scale = std::max(scale, G[std::size_t(k * K + k)] + (b.empty() ? 0.0 : std::abs(b[std::size_t(k)])));
            INFO("K " << K << ", trial " << trial << ", rank " << rank << ": solver " << double(got) << ", brute force " << double(want));
            CHECK(double(std::fabs(got - want)) <= 1e-12 * scale);
        }
    }
}

TEST_CASE("simplex QP: hand cases", "[qp]") {
    SimplexQP qp2(2), qp3(3);
    Vec a2(2), a3(3);
    // g1 = (1, 0), g2 = (0, 2): the min-norm point 0.8 g1 + 0.2 g2 = (0.8, 0.4), whose inner
    // product with both gradients is its squared norm 0.8 = lambda.
    CHECK(qp2.solve(Vec{1, 0, 0, 4}, {}, Region::simplex, a2) == Approx(0.8));
    CHECK(a2[0] == Approx(0.8));
    CHECK(a2[1] == Approx(0.2));
    // Parallel gradients g1 = (1, 0), g2 = (2, 0): the shorter one alone.
    qp2.solve(Vec{1, 2, 2, 4}, {}, Region::simplex, a2);
    CHECK(a2 == Vec{1, 0});
    // Opposite gradients (1, 2), (-2, -4): 0 lies on the segment, at 2/3 g1 + 1/3 g2.
    CHECK(qp2.solve(Vec{5, -10, -10, 20}, {}, Region::simplex, a2) == Approx(0).margin(1e-15));
    CHECK(a2[0] == Approx(2.0 / 3));
    // Three identical gradients: every point of the simplex is a minimiser (value 1).
    const double lambda = qp3.solve(Vec(9, 1.0), {}, Region::simplex, a3);
    CHECK(lambda == Approx(1));
    CHECK(std::accumulate(a3.begin(), a3.end(), 0.0) == Approx(1));
    // A zero gradient among others: it is the min-norm point.
    qp3.solve(Vec{1, 0, 0.5, 0, 0, 0, 0.5, 0, 2}, {}, Region::simplex, a3);
    CHECK(a3 == Vec{0, 1, 0});
    // Q = 0: a linear program, solved at the vertex of the least b_k.
    CHECK(qp3.solve(Vec(9, 0.0), Vec{3, 1, 2}, Region::simplex, a3) == 1);
    CHECK(a3 == Vec{0, 1, 0});
    // Nonnegative region: min (a0 - 1)^2 + (a1 + 0.5)^2 - 1.25 = a0^2 + a1^2 - 2 a0 + a1 over
    // a >= 0 is at (1, 0), where g = (0, 1).
    CHECK(qp2.solve(Vec{2, 0, 0, 2}, Vec{-2, 1}, Region::nonnegative, a2) == 0);
    CHECK(a2[0] == Approx(1));
    CHECK(a2[1] == 0);
}

TEST_CASE("simplex QP: a multiplier barely beyond rounding, along a flat direction", "[qp]") {
    // Rank-1 G (gradients c_k v) and a small b in its range: freeing task 0, whose
    // multiplier is -1e-13 (2e-12 of the terms summed), makes the face singular with a
    // slope along the null direction equal to that multiplier. Judging that slope "flat"
    // against the larger terms the slope sums undid the release: the solver freed task 0
    // and dropped it again until its step limit.
    const Vec G = {0.52844368965659194,   -0.85288994800783158, -1.1981973845267206, 1.54754962895574,    -0.024908339124951433,
                   -0.85288994800783158,  1.3765350550131745,   1.9338493864052269,  -2.4976918987098276, 0.040201203036498906,
                   -1.1981973845267206,   1.9338493864052269,   2.7168021879864743,  -3.508926218884473,  0.056477364337184505,
                   1.54754962895574,      -2.4976918987098276,  -3.508926218884473,  4.5320057765045423,  -0.072944178774794241,
                   -0.024908339124951433, 0.040201203036498906, 0.056477364337184505, -0.072944178774794241, 0.0011740614375900082};
    const Vec b = {0.0015120818991564734, -0.0024404482022346778, -0.0034285064091597647, 0.0044281383768117874, -7.1272397563063651e-05};
    SimplexQP qp(5);
    Vec a(5);
    const double lambda = qp.solve(G, b, Region::simplex, a);
    const Kkt v = kkt_violation(G, b, a, lambda, Region::simplex);
    CHECK(v.stationarity <= 1e-12);
    CHECK(v.feasibility <= 1e-15);
    CHECK(double(objective(G, b, std::vector<long double>(a.begin(), a.end()))) == Approx(double(brute_force_minimum(G, b))).margin(1e-15));
}

TEST_CASE("simplex QP: nonnegative region on random problems (projections onto a dual cone)", "[qp]") {
    // min_{w >= u} 0.5 w^T G w is the nonnegative problem in a = w - u with b = G u; it is
    // bounded for any u since b lies in G's range. KKT: g = G a + b is 0 where a > 0, >= 0
    // where a = 0. Measured: largest violation 2e-12 of the scale (a is not bounded by 1
    // here, so g sums larger terms).
    std::mt19937_64 rng(31);
    std::normal_distribution<double> normal;
    for (int K = 1; K <= 16; ++K) {
        SimplexQP qp(static_cast<std::size_t>(K));
        for (int trial = 0; trial < 100; ++trial) {
            const Vec G = random_gram(K, 1 + trial % K, trial % 2 == 0 ? 0.0 : 2.0, trial % 4 == 0 ? 1 : 0, 0, 1.0, rng);
            Vec u(static_cast<std::size_t>(K)), b(static_cast<std::size_t>(K), 0.0);
            for (double& x : u) x = normal(rng);
            for (int i = 0; i < K; ++i)
                for (int j = 0; j < K; ++j) b[std::size_t(i)] += G[std::size_t(i * K + j)] * u[std::size_t(j)];
            Vec a(static_cast<std::size_t>(K));
            CHECK(qp.solve(G, b, Region::nonnegative, a) == 0);
            const Kkt v = kkt_violation(G, b, a, 0, Region::nonnegative);
            INFO("K " << K << ", trial " << trial);
            CHECK(v.stationarity <= 1e-9);
            CHECK(v.feasibility == 0);
        }
    }
}

TEST_CASE("simplex QP rejects bad input and unbounded problems", "[qp]") {
    using hyda::test::invalid_argument_message;
    SimplexQP qp(2);
    Vec a(2);
    CHECK_THAT(invalid_argument_message([&] { qp.solve(Vec(3, 1.0), {}, Region::simplex, a); }), Catch::Contains("simplex_qp: sizes Q 3, b 0, a 2 for 2 variables"));
    CHECK_THAT(invalid_argument_message([&] { qp.solve(Vec(4, 1.0), Vec(3, 1.0), Region::simplex, a); }), Catch::Contains("b 3"));
    CHECK_THAT(invalid_argument_message([&] { qp.solve(Vec{1, 0, 0, NAN}, {}, Region::simplex, a); }), Catch::Contains("non-finite"));
    // a0 - a1 ... with no curvature along (1, 1): unbounded below on a >= 0.
    CHECK_THAT(invalid_argument_message([&] { qp.solve(Vec{1, -1, -1, 1}, Vec{-1, -1}, Region::nonnegative, a); }), Catch::Contains("unbounded below"));
}
