// The alpha-fair solver behind Nash-MTL and FairGrad (mtl/src/strategies/alpha_fair.hpp):
// closed forms for one task, diagonal and symmetric Gram matrices; the defining system
// (G + rho I) w = w^(-1/alpha) on random Gram matrices for several alpha; how w scales
// with G; singular G (a zero gradient, identical and opposite gradients); errors.
#include <catch2/catch.hpp>

#include <cmath>
#include <vector>

#include "random_gradients.hpp"
#include "strategies/alpha_fair.hpp"
#include "throws.hpp"

namespace {

using hyda::mtl::detail::AlphaFairSolver;
using Vec = std::vector<double>;
constexpr double rho = AlphaFairSolver::ridge;

// The system the solver defines, with its ridge rho diag(G), relative to the size of its terms.
double residual(const Vec& G, double alpha, const Vec& w) { return hyda::test::fair_residual(G, rho, alpha, w); }

Vec solve(const Vec& G, double alpha) {
    Vec w(std::size_t(std::lround(std::sqrt(double(G.size())))), NAN);
    AlphaFairSolver solver(w.size());
    REQUIRE(solver.solve(G, alpha, w));
    return w;
}

}  // namespace

TEST_CASE("alpha-fair: one task, a diagonal and a symmetric G, by hand", "[alpha_fair]") {
    for (double alpha : {0.5, 1.0, 2.0, 5.0}) {
        INFO("alpha " << alpha);
        const double p = -alpha / (alpha + 1);  // (g w = w^(-1/alpha)) => w = g^p
        // One task, G = (4): (4 + 4 rho) w = w^(-1/alpha).
        CHECK(solve({4}, alpha)[0] == Approx(std::pow(4 * (1 + rho), p)).epsilon(1e-13));
        // Orthogonal gradients, G = diag(9, 16): each task alone.
        const Vec d = solve({9, 0, 0, 16}, alpha);
        CHECK(d[0] == Approx(std::pow(9 * (1 + rho), p)).epsilon(1e-13));
        CHECK(d[1] == Approx(std::pow(16 * (1 + rho), p)).epsilon(1e-13));
        // G = [[2, 1], [1, 2]]: by symmetry w_1 = w_2 = w, (3 + 2 rho) w = w^(-1/alpha).
        const Vec s = solve({2, 1, 1, 2}, alpha);
        CHECK(s[0] == Approx(std::pow(3 + 2 * rho, p)).epsilon(1e-13));
        CHECK(s[1] == Approx(s[0]).epsilon(1e-13));
    }
}

TEST_CASE("alpha-fair: w solves its system on random Gram matrices, and scales as G^(-alpha / (alpha + 1))", "[alpha_fair]") {
    hyda::ad::Rng rng(17);
    for (int K : {2, 3, 5, 8, 16}) {
        for (double alpha : {0.25, 1.0, 2.0, 8.0}) {
            for (double spread : {0.0, 2.0}) {
                for (int trial = 0; trial < 5; ++trial) {
                    INFO("K " << K << ", alpha " << alpha << ", spread " << spread << ", trial " << trial);
                    const Vec G = hyda::test::gram_of(hyda::test::random_gradients(K, K + 3, K, spread, rng));
                    const Vec w = solve(G, alpha);
                    for (double x : w) CHECK(x > 0);
                    CHECK(residual(G, alpha, w) <= 1e-10);
                    // G times 1e6: w times 1e6^(-alpha / (alpha + 1)).
                    Vec big = G;
                    for (double& x : big) x *= 1e6;
                    const Vec wb = solve(big, alpha);
                    for (std::size_t k = 0; k < w.size(); ++k) CHECK(wb[k] == Approx(w[k] * std::pow(1e6, -alpha / (alpha + 1))).epsilon(1e-9));
                }
            }
        }
    }
}

TEST_CASE("alpha-fair: singular Gram matrices give finite w, bounded by the ridge", "[alpha_fair]") {
    for (double alpha : {0.5, 1.0, 2.0}) {
        INFO("alpha " << alpha);
        const double p = -alpha / (alpha + 1);
        // A zero gradient: task 1 is left out and keeps its w; task 0 is alone.
        AlphaFairSolver solver(2);
        Vec zero{7, 7};
        REQUIRE(solver.solve(Vec{4, 0, 0, 0}, alpha, zero));
        CHECK(zero[0] == Approx(std::pow(4 * (1 + rho), p)).epsilon(1e-12));
        CHECK(zero[1] == 7);
        // Identical gradients: a solution exists (G's null direction (1, -1) is not >= 0),
        // shared equally: (2 + rho) w = w^(-1/alpha).
        const Vec same = solve({1, 1, 1, 1}, alpha);
        CHECK(same[0] == Approx(std::pow(2 + rho, p)).epsilon(1e-9));
        CHECK(same[1] == Approx(same[0]).epsilon(1e-9));
        // Opposite gradients: g_1 + g_2 = 0, a Pareto-stationary point, where only the ridge
        // gives a solution: rho w = w^(-1/alpha), w = rho^p (ill-conditioned: (G w)_k is a
        // difference of terms 1 / rho times larger, so w is known to about 1e-12 / rho).
        const Vec opposite = solve({1, -1, -1, 1}, alpha);
        for (double x : opposite) CHECK(x == Approx(std::pow(rho, p)).epsilon(1e-4));
        CHECK(residual({1, -1, -1, 1}, alpha, opposite) <= 1e-10);
        // Random rank-deficient G: finite, and the regularised system holds.
        hyda::ad::Rng rng(3);
        for (int trial = 0; trial < 20; ++trial) {
            const Vec G = hyda::test::gram_of(hyda::test::random_gradients(6, 8, 1 + int(rng.below(5)), 1.0, rng));
            const Vec w = solve(G, alpha);
            CHECK(residual(G, alpha, w) <= 1e-10);
        }
    }
}

TEST_CASE("alpha-fair: a zero G has no solution; bad arguments throw", "[alpha_fair]") {
    AlphaFairSolver solver(2);
    Vec w{7, 7};
    CHECK_FALSE(solver.solve(Vec(4, 0.0), 1.0, w));
    CHECK(w == Vec{7, 7});
    using hyda::test::invalid_argument_message;
    CHECK_THAT(invalid_argument_message([&] { solver.solve(Vec(3, 1.0), 1.0, w); }), Catch::Contains("alpha_fair: sizes G 3, w 2 for 2 tasks"));
    CHECK_THAT(invalid_argument_message([&] { solver.solve(Vec{1, 0, 0, INFINITY}, 1.0, w); }), Catch::Contains("non-finite"));
    CHECK_THAT(invalid_argument_message([&] { solver.solve(Vec{1, 0, 0, 1}, 0.0, w); }), Catch::Contains("alpha must be finite and > 0"));
}
