// PCGrad, MGDA and CAGrad work in coefficient space, from the Gram matrix alone. Each
// test here builds G from explicit gradient vectors, asks the strategy for coefficients,
// rebuilds the update direction d = sum_k c_k g_k from the vectors, and compares it with
// a hand computation (worked out in the comments), with the paper's algorithm run on the
// vectors themselves, or with a brute-force search for the optimum the method defines.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "hyda/mtl/dataset.hpp"
#include "hyda/mtl/trainer.hpp"
#include "gradient_vectors.hpp"
#include "strategy_trace.hpp"

namespace {

using namespace hyda::mtl;
using hyda::test::combine;
using hyda::test::dot;
using hyda::test::plus;
using hyda::test::random_gradients;
using hyda::test::Vec;
using hyda::test::Vectors;


// The coefficients a strategy returns for gradients g (losses 1 unless given).
Vec coefficients(const std::string& name, const Vectors& g, const std::vector<std::string>& options = {}, std::uint64_t seed = 0, Vec losses = {}) {
    const int K = int(g.size());
    if (losses.empty()) losses.assign(g.size(), 1.0);
    Vec gram;
    for (const Vec& gi : g)
        for (const Vec& gj : g) gram.push_back(dot(gi, gj));
    auto s = make_strategy(name, K, 0, options);
    StepContext ctx;
    ctx.tasks = K;
    ctx.losses = losses;
    ctx.gram = gram;
    ctx.seed = seed;
    Vec c(g.size());
    s->coefficients(ctx, c);
    return c;
}

Vec direction(const std::string& name, const Vectors& g, const std::vector<std::string>& options = {}, std::uint64_t seed = 0, Vec losses = {}) {
    return combine(g, coefficients(name, g, options, seed, std::move(losses)));
}

void check_near(const Vec& got, const Vec& want, double margin = 1e-12) {
    REQUIRE(got.size() == want.size());
    for (std::size_t i = 0; i < got.size(); ++i) CHECK(got[i] == Approx(want[i]).margin(margin));
}

bool near(const Vec& a, const Vec& b, double margin) {
    for (std::size_t i = 0; i < a.size(); ++i)
        if (std::abs(a[i] - b[i]) > margin) return false;
    return true;
}

// A uniformly random point of the simplex (normalised exponential draws).
Vec random_simplex_point(int tasks, std::mt19937_64& rng) {
    std::exponential_distribution<double> exponential;
    Vec w(static_cast<std::size_t>(tasks));
    for (double& x : w) x = exponential(rng);
    const double sum = std::accumulate(w.begin(), w.end(), 0.0);
    for (double& x : w) x /= sum;
    return w;
}

// Every point (a, b, 1 - a - b) of a grid over the 3-task simplex, then `samples` random
// points for any number of tasks.
template <class F>
void for_simplex_points(int tasks, int samples, std::mt19937_64& rng, F visit) {
    if (tasks == 3) {
        const int n = 300;
        for (int a = 0; a <= n; ++a)
            for (int b = 0; a + b <= n; ++b) visit(Vec{double(a) / n, double(b) / n, double(n - a - b) / n});
    }
    for (int s = 0; s < samples; ++s) visit(random_simplex_point(tasks, rng));
}

double largest_norm2(const Vectors& g) {
    double m = 0;
    for (const Vec& v : g) m = std::max(m, dot(v, v));
    return m;
}

// ---------------------------------------------------------------------------------------
// PCGrad

// g_i^PC on the vectors themselves, for one order of the other tasks (the inner loop of
// the paper's Algorithm 1): projections on the original g_j.
Vec pcgrad_projected(const Vectors& g, std::size_t i, const std::vector<std::size_t>& order) {
    Vec p = g[i];
    for (std::size_t j : order) {
        const double inner = dot(p, g[j]);
        if (inner < 0) p = plus(p, -inner / dot(g[j], g[j]), g[j]);
    }
    return p;
}

// Every direction sum_i g_i^PC that PCGrad can return: one entry per choice of an order
// of the other tasks for each task i.
Vectors pcgrad_candidates(const Vectors& g) {
    Vectors sums = {Vec(g[0].size(), 0.0)};
    for (std::size_t i = 0; i < g.size(); ++i) {
        std::vector<std::size_t> order;
        for (std::size_t j = 0; j < g.size(); ++j)
            if (j != i) order.push_back(j);
        Vectors projected;
        do projected.push_back(pcgrad_projected(g, i, order));
        while (std::next_permutation(order.begin(), order.end()));
        Vectors next;
        for (const Vec& s : sums)
            for (const Vec& p : projected) next.push_back(plus(s, 1, p));
        sums = next;
    }
    return sums;
}

}  // namespace

TEST_CASE("PCGrad on two conflicting gradients, by hand", "[strategies]") {
    // g1 = (1, 0), g2 = (-1, 1): <g1, g2> = -1 < 0, so each loses its component along the
    // other's original gradient:
    //   g1^PC = g1 - (-1 / ||g2||^2) g2 = (1, 0) + 0.5 (-1, 1) = (0.5, 0.5)   [= g1 + 0.5 g2]
    //   g2^PC = g2 - (-1 / ||g1||^2) g1 = (-1, 1) + (1, 0)      = (0, 1)       [= g2 + g1]
    //   d = (0.5, 1.5), coefficients (2, 1.5).
    // Projecting g2 on the already projected g1^PC instead (the known pitfall) would find
    // <g2, g1^PC> = 0, keep g2 and give d = (-0.5, 1.5).
    const Vectors g = {{1, 0}, {-1, 1}};
    check_near(coefficients("pcgrad", g), {2, 1.5});
    check_near(direction("pcgrad", g), {0.5, 1.5});
    check_near(direction("pcgrad", g, {"reduction=mean"}), {0.25, 0.75});
}

TEST_CASE("PCGrad is the plain sum when no pair conflicts, and skips zero gradients", "[strategies]") {
    const Vectors g = {{1, 0, 2}, {0.5, 1, 0}, {0, 3, 1}, {0, 0, 0}};
    check_near(coefficients("pcgrad", g, {}, 7), {1, 1, 1, 1});
    check_near(coefficients("pcgrad", g, {"reduction=mean"}, 7), {0.25, 0.25, 0.25, 0.25});
    // A zero gradient conflicts with nothing and has no normal plane to project on.
    check_near(coefficients("pcgrad", {{1, 0}, {0, 0}, {-1, 1}}), {2, 1, 1.5});
}

TEST_CASE("PCGrad removes the conflicting component: two tasks, random gradients", "[strategies]") {
    // With two tasks d = g1^PC + g2^PC and g_i^PC = g_i - s_i g_j, so the coefficients are
    // c_i = 1 - s_j and g_i^PC = g_i + (c_j - 1) g_j. Checked: when <g1, g2> < 0, each
    // g_i^PC is orthogonal to the other task's ORIGINAL gradient (its conflicting component
    // is gone, nothing else is); otherwise both coefficients are 1.
    std::mt19937_64 rng(3);
    int conflicts = 0;
    for (int trial = 0; trial < 200; ++trial) {
        const Vectors g = random_gradients(2, 2 + trial % 4, rng);
        const Vec c = coefficients("pcgrad", g, {}, std::uint64_t(trial));
        if (dot(g[0], g[1]) >= 0) {
            check_near(c, {1, 1});
            continue;
        }
        ++conflicts;
        const Vec g1_pc = plus(g[0], c[1] - 1, g[1]), g2_pc = plus(g[1], c[0] - 1, g[0]);
        CHECK(dot(g1_pc, g[1]) == Approx(0).margin(1e-12 * largest_norm2(g)));
        CHECK(dot(g2_pc, g[0]) == Approx(0).margin(1e-12 * largest_norm2(g)));
    }
    CHECK(conflicts > 50);
}

TEST_CASE("PCGrad follows Algorithm 1 on the vectors, with a fresh random order per task", "[strategies]") {
    // Three pairwise conflicting gradients: every g_i^PC depends on the order of the two
    // others, and the 2 x 2 x 2 possible sums differ. A fresh order for each task reaches
    // all 8 over enough steps; a single order shared by all tasks could not reach the two
    // "cyclic" choices (1 before 2, 2 before 0, 0 before 1), and the authors' code, whose
    // shuffle has no effect, reaches one choice only.
    const Vectors g = {{1, 0, 0.3}, {-0.5, 0.9, 0.1}, {-0.4, -0.8, 0.5}};
    const Vectors candidates = pcgrad_candidates(g);
    REQUIRE(candidates.size() == 8);
    for (std::size_t a = 0; a < 8; ++a)
        for (std::size_t b = 0; b < a; ++b) REQUIRE_FALSE(near(candidates[a], candidates[b], 1e-6));
    std::set<std::size_t> reached;
    for (std::uint64_t seed = 0; seed < 200; ++seed) {
        const Vec d = direction("pcgrad", g, {}, seed);
        std::size_t match = 0;
        while (match < 8 && !near(d, candidates[match], 1e-12)) ++match;
        REQUIRE(match < 8);  // d is one of Algorithm 1's possible results
        reached.insert(match);
        CHECK(coefficients("pcgrad", g, {}, seed) == coefficients("pcgrad", g, {}, seed));  // seeded
    }
    CHECK(reached.size() == 8);

    // Four tasks in five dimensions: still one of Algorithm 1's (6^4) possible results.
    std::mt19937_64 rng(5);
    for (int trial = 0; trial < 10; ++trial) {
        const Vectors g4 = random_gradients(4, 5, rng);
        const Vectors all = pcgrad_candidates(g4);
        const Vec d = direction("pcgrad", g4, {}, std::uint64_t(trial));
        bool found = false;
        for (const Vec& candidate : all) found = found || near(d, candidate, 1e-10);
        CHECK(found);
    }
}

// ---------------------------------------------------------------------------------------
// MGDA

TEST_CASE("MGDA for two tasks: the closed form of Algorithm 1", "[strategies]") {
    // g1 = (1, 0), g2 = (0, 2): the min-norm point of the segment, gamma g1 + (1 - gamma) g2
    // with gamma = <g2 - g1, g2> / ||g1 - g2||^2 = 4 / 5: d = (0.8, 0.4), which has the
    // same inner product (0.8 = ||d||^2) with both gradients.
    check_near(coefficients("mgda", {{1, 0}, {0, 2}}), {0.8, 0.2});
    check_near(direction("mgda", {{1, 0}, {0, 2}}), {0.8, 0.4});
    // Ends of the segment: when <g1, g2> >= ||g1||^2 the shorter g1 itself (gamma = 1);
    // when <g1, g2> >= ||g2||^2, g2 (gamma = 0).
    check_near(coefficients("mgda", {{1, 0}, {2, 0}}), {1, 0});
    check_near(coefficients("mgda", {{3, 0}, {1, 0}}), {0, 1});
    // Opposite gradients: the hull holds 0, a Pareto-stationary point.
    check_near(direction("mgda", {{1, 2}, {-2, -4}}), {0, 0});
}

TEST_CASE("MGDA's direction is the min-norm point of the convex hull (KKT), up to 8 tasks", "[strategies]") {
    // d = sum_k a_k g_k is the min-norm point of the hull exactly when a is in the simplex
    // and <d, g_k> >= ||d||^2 for every k, with equality where a_k > 0 (the KKT conditions
    // of min a^T G a; <d, g_k> = (G a)_k). Checked on the vectors to 1e-12 of the largest
    // ||g_k||^2, with fewer dimensions than tasks in some trials (then the hull often holds
    // 0); and no random point of the simplex is shorter. (Frank-Wolfe, the paper's
    // Algorithm 2, with the authors' 250 steps, failed this on 85 of the 120 problems.)
    std::mt19937_64 rng(11);
    for (int trial = 0; trial < 120; ++trial) {
        const int K = 2 + trial % 7, dim = 1 + trial % 6;
        const Vectors g = random_gradients(K, dim, rng);
        const double scale = largest_norm2(g);
        const Vec a = coefficients("mgda", g);
        INFO("trial " << trial << ": " << K << " tasks in " << dim << " dimensions");
        CHECK(std::accumulate(a.begin(), a.end(), 0.0) == Approx(1).epsilon(1e-15));
        const Vec d = combine(g, a);
        const double d2 = dot(d, d);
        for (int k = 0; k < K; ++k) {
            CHECK(a[std::size_t(k)] >= 0);
            const double slack = dot(d, g[std::size_t(k)]) - d2;
            CHECK(slack >= -1e-12 * scale);
            if (a[std::size_t(k)] > 0) CHECK(slack <= 1e-12 * scale);
        }
        for (int s = 0; s < 2000; ++s) {
            const Vec v = combine(g, random_simplex_point(K, rng));
            CHECK(dot(v, v) >= d2 - 1e-12 * scale);
        }
    }
}

TEST_CASE("MGDA's normalizations: the min-norm point of the normalized gradients", "[strategies]") {
    // l2: g1 = (2, 0), g2 = (0, 1) become e1 and e2, whose min-norm point is (0.5, 0.5) =
    // 0.25 g1 + 0.5 g2.
    const Vectors g = {{2, 0}, {0, 1}};
    check_near(coefficients("mgda", g, {"normalize=l2"}), {0.25, 0.5});
    // loss, with losses 2 and 0.5: g1 / 2 = (1, 0), g2 / 0.5 = (0, 2), min-norm point
    // 0.8 (1, 0) + 0.2 (0, 2) = (0.8, 0.4) = 0.4 g1 + 0.4 g2.
    check_near(coefficients("mgda", g, {"normalize=loss"}, 0, {2, 0.5}), {0.4, 0.4});
    // loss+: divided by loss x norm, 4 and 0.5: (0.5, 0) and (0, 2); gamma = 4 / 4.25 =
    // 16/17, d = (8/17, 2/17) = 4/17 g1 + 2/17 g2.
    check_near(coefficients("mgda", g, {"normalize=loss+"}, 0, {2, 0.5}), {4.0 / 17, 2.0 / 17});

    // Three and four tasks, l2: d is the min-norm point of the unit gradients' hull, where
    // <d, u_k> >= ||d||^2 for every unit gradient u_k.
    std::mt19937_64 rng(13);
    for (int trial = 0; trial < 20; ++trial) {
        const Vectors g3 = random_gradients(3 + trial % 2, 2 + trial % 3, rng);
        Vectors unit = g3;
        for (Vec& u : unit) u = plus(Vec(u.size(), 0.0), 1 / std::sqrt(dot(u, u)), u);
        const Vec d = direction("mgda", g3, {"normalize=l2"});
        for (const Vec& u : unit) CHECK(dot(d, u) >= dot(d, d) - 1e-12);
    }
}

TEST_CASE("MGDA with a zero gradient stops at zero", "[strategies]") {
    // The zero gradient alone is the min-norm point: d = 0 exactly, whatever the scaling.
    for (const char* norm : {"normalize=none", "normalize=l2", "normalize=loss+"}) {
        const Vec c = coefficients("mgda", {{1, 0}, {0, 0}, {0.5, 1}}, {norm});
        check_near(c, {0, 1, 0}, 0);
    }
}

// ---------------------------------------------------------------------------------------
// CAGrad

namespace {

// The dual objective F(w) = <g_w, g_0> + c ||g_0|| ||g_w||.
double cagrad_objective(const Vectors& g, const Vec& w, double c) {
    const Vec g0 = combine(g, Vec(g.size(), 1.0 / double(g.size())));
    const Vec gw = combine(g, w);
    return dot(gw, g0) + c * std::sqrt(dot(g0, g0)) * std::sqrt(dot(gw, gw));
}

}  // namespace

TEST_CASE("CAGrad with c = 0 is the mean gradient", "[strategies]") {
    std::mt19937_64 rng(17);
    for (int K = 1; K <= 4; ++K) {
        const Vectors g = random_gradients(K, 3, rng);
        for (const char* rescale : {"rescale=1+c^2", "rescale=1+c", "rescale=none"}) check_near(coefficients("cagrad", g, {"c=0", rescale}), Vec(std::size_t(K), 1.0 / K));
    }
}

TEST_CASE("CAGrad by hand", "[strategies]") {
    // g1 = (1, 0), g2 = (0, 1), c = 0.5: g_0 = (0.5, 0.5), ||g_0|| = 1/sqrt(2). F(w) =
    // 0.5 + 0.5/sqrt(2) ||g_w|| is least where ||g_w|| is, at w = (0.5, 0.5): g_w = g_0, and
    // d = g_0 + (0.5 ||g_0|| / ||g_0||) g_0 = 1.5 g_0 = (0.75, 0.75).
    const Vectors orthogonal = {{1, 0}, {0, 1}};
    check_near(coefficients("cagrad", orthogonal, {"c=0.5", "rescale=none"}), {0.75, 0.75}, 1e-9);
    check_near(coefficients("cagrad", orthogonal, {"c=0.5"}), {0.6, 0.6}, 1e-9);  // / (1 + 0.25)
    check_near(coefficients("cagrad", orthogonal, {"c=0.5", "rescale=1+c"}), {0.5, 0.5}, 1e-9);
    // Conflicting, g1 = (1, 0), g2 = (-0.5, 0), c = 0.5: g_0 = (0.25, 0), ||g_0|| = 0.25;
    // g_w = ((3 w1 - 1) / 2, 0) and F(w) = (3 w1 - 1) / 8 + |3 w1 - 1| / 16 is least at
    // w1 = 0: w = (0, 1), g_w = g2, and d = g_0 + (0.125 / 0.5) g2 = (0.125, 0): the
    // coefficients 0.5, 0.5 + 0.25 favour the task that plain averaging would hurt.
    const Vectors opposed = {{1, 0}, {-0.5, 0}};
    check_near(coefficients("cagrad", opposed, {"c=0.5", "rescale=none"}), {0.5, 0.75}, 1e-9);
    check_near(direction("cagrad", opposed, {"c=0.5", "rescale=none"}), {0.125, 0}, 1e-9);
}

TEST_CASE("CAGrad's w minimises its objective and d solves the paper's problem", "[strategies]") {
    // rescale=none: c_k = 1/K + lambda w_k with sum_k w_k = 1, so lambda = sum_k c_k - 1
    // and w = (c - 1/K) / lambda. Checked: F(w) is no larger than on a fine grid of the
    // simplex; d lies on the ball's boundary ||d - g_0|| = c ||g_0||; min_i <g_i, d> equals
    // F(w) (strong duality) and no random point of the ball does better.
    std::mt19937_64 rng(19);
    for (int trial = 0; trial < 30; ++trial) {
        const int dim = 2 + trial % 4;
        const double c = std::vector<double>{0.2, 0.5, 0.9}[std::size_t(trial % 3)];
        const Vectors g = random_gradients(3, dim, rng);
        const Vec coef = coefficients("cagrad", g, {"c=" + std::to_string(c), "rescale=none"});
        const double lambda = std::accumulate(coef.begin(), coef.end(), 0.0) - 1;
        REQUIRE(lambda > 0);
        Vec w = coef;
        for (double& x : w) x = (x - 1.0 / 3) / lambda;
        const double scale = largest_norm2(g), f = cagrad_objective(g, w, c);
        double best = std::numeric_limits<double>::infinity();
        for_simplex_points(3, 20000, rng, [&](const Vec& v) { best = std::min(best, cagrad_objective(g, v, c)); });
        CHECK(f <= best + 1e-9 * scale);

        const Vec g0 = combine(g, Vec(3, 1.0 / 3)), d = combine(g, coef);
        const double radius = c * std::sqrt(dot(g0, g0));
        const Vec offset = plus(d, -1, g0);
        CHECK(std::sqrt(dot(offset, offset)) == Approx(radius).epsilon(1e-9));
        auto worst = [&](const Vec& x) { return std::min({dot(g[0], x), dot(g[1], x), dot(g[2], x)}); };
        CHECK(worst(d) == Approx(f).margin(1e-6 * scale));
        std::normal_distribution<double> normal;
        for (int s = 0; s < 2000; ++s) {
            Vec u(static_cast<std::size_t>(dim));
            for (double& x : u) x = normal(rng);
            const double r = radius * std::pow(std::uniform_real_distribution<double>()(rng), 1.0 / dim) / std::sqrt(dot(u, u));
            CHECK(worst(plus(g0, r, u)) <= worst(d) + 1e-9 * scale);
        }
    }
}

TEST_CASE("CAGrad's w satisfies its dual's KKT conditions, up to 16 tasks", "[strategies]") {
    // F(w) = <g_w, g_0> + c ||g_0|| ||g_w|| is convex and differentiable where g_w != 0, so
    // w minimises it over the simplex exactly when dF/dw_k = <g_k, g_0> + c ||g_0||
    // <g_k, g_w> / ||g_w|| is the same for every k with w_k > 0 and no smaller elsewhere.
    // Checked on the vectors to 1e-8 of max_k ||g_k|| ||g_0||, for random gradients of
    // every rank, half of them with 99% of their mean removed (nearly cancelling, so G is
    // ill-conditioned on the scale of g_0). (The accelerated projected gradient method
    // CAGrad used before failed this on 44 of the 300 problems.)
    std::mt19937_64 rng(29);
    for (int trial = 0; trial < 300; ++trial) {
        const int K = 2 + trial % 15, dim = 1 + trial % (K + 2);
        Vectors g = random_gradients(K, dim, rng);
        if (trial % 2 == 1) {
            const Vec mean = combine(g, Vec(std::size_t(K), 1.0 / K));
            for (Vec& v : g) v = plus(v, -0.99, mean);
        }
        const double c = 0.5;
        const Vec coef = coefficients("cagrad", g, {"c=0.5", "rescale=none"});
        const double lambda = std::accumulate(coef.begin(), coef.end(), 0.0) - 1;  // c_k = 1/K + lambda w_k
        INFO("trial " << trial << ": " << K << " tasks in " << dim << " dimensions");
        REQUIRE(lambda > 0);
        Vec w = coef;
        for (double& x : w) x = (x - 1.0 / K) / lambda;
        const Vec g0 = combine(g, Vec(std::size_t(K), 1.0 / K)), gw = combine(g, w);
        const double g0_norm = std::sqrt(dot(g0, g0)), gw_norm = std::sqrt(dot(gw, gw)), scale = std::sqrt(largest_norm2(g)) * g0_norm;
        Vec slope(static_cast<std::size_t>(K));
        for (int k = 0; k < K; ++k) slope[std::size_t(k)] = dot(g[std::size_t(k)], g0) + c * g0_norm * dot(g[std::size_t(k)], gw) / gw_norm;
        const double least = *std::min_element(slope.begin(), slope.end());
        for (int k = 0; k < K; ++k) {
            CHECK(w[std::size_t(k)] >= -1e-15);
            if (w[std::size_t(k)] > 0) CHECK(slope[std::size_t(k)] - least <= 1e-8 * scale);
        }
    }
}

TEST_CASE("Gradient surgery strategies reject bad options", "[strategies]") {
    CHECK_THROWS_WITH(make_strategy("pcgrad", 3, 0, {"reduction=max"}), Catch::Contains("sum, mean"));
    CHECK_THROWS_WITH(make_strategy("mgda", 3, 0, {"normalize=l1"}), Catch::Contains("none, l2, loss, loss+"));
    // Frank-Wolfe's step budget and tolerance went with it: the QP is solved exactly.
    CHECK_THROWS_WITH(make_strategy("mgda", 3, 0, {"max_iter=250"}), Catch::Contains("unknown option 'max_iter'"));
    CHECK_THROWS_WITH(make_strategy("mgda", 3, 0, {"tol=1e-5"}), Catch::Contains("unknown option 'tol'"));
    CHECK_THROWS_WITH(make_strategy("cagrad", 3, 0, {"c=-0.5"}), Catch::Contains(">= 0"));
    CHECK_THROWS_WITH(make_strategy("cagrad", 3, 0, {"rescale=2"}), Catch::Contains("1+c^2, 1+c, none"));
    CHECK_THROWS_WITH(make_strategy("cagrad", 3, 0, {"alpha=0.5"}), Catch::Contains("unknown option 'alpha'"));
}

TEST_CASE("through the trainer, every step of PCGrad, MGDA and CAGrad solves its problem", "[strategies]") {
    // A real run (synthetic data, 3 tasks, 2 epochs of 8 batches) with the trainer's trace;
    // each step's coefficients checked on the G that step's strategy saw.
    SyntheticSpec synth;
    synth.rows = 256;
    synth.features = 8;
    const Dataset<float> data = make_synthetic<float>(synth);
    auto run = [&](const std::string& name, const std::vector<std::string>& options) {
        return hyda::test::traced_synthetic_run(data, name, options, 2).steps;
    };
    const std::size_t K = 3;
    auto largest = [](const Vec& G) { return std::max({G[0], G[4], G[8]}); };

    SECTION("pcgrad: one of Algorithm 1's results, run in coefficient space on G") {
        // Every order of the two other tasks for each task: 2 x 2 x 2 candidate sums.
        int conflicts = 0;
        for (const auto& step : run("pcgrad", {})) {
            const Vec& G = step.gram;
            Vectors sums = {Vec(K, 0.0)};
            for (std::size_t i = 0; i < K; ++i) {
                std::vector<std::size_t> order;
                for (std::size_t j = 0; j < K; ++j)
                    if (j != i) order.push_back(j);
                Vectors next;
                do {
                    Vec p(K, 0.0);  // g_i^PC's coefficients
                    p[i] = 1;
                    for (std::size_t j : order) {
                        const double inner = p[0] * G[j] + p[1] * G[K + j] + p[2] * G[2 * K + j];
                        if (inner < 0) p[j] -= inner / G[j * K + j];
                    }
                    for (const Vec& sum : sums) next.push_back(plus(sum, 1, p));
                } while (std::next_permutation(order.begin(), order.end()));
                sums = next;
            }
            bool found = false;
            for (const Vec& candidate : sums) found = found || near(step.coefficients, candidate, 1e-12);
            CHECK(found);
            conflicts += G[1] < 0 || G[2] < 0 || G[5] < 0;
        }
        CHECK(conflicts > 0);
    }
    SECTION("mgda: the min-norm point of the hull (KKT on G), plain and with normalize=loss+") {
        for (const bool normalized : {false, true}) {
            for (const auto& step : run("mgda", normalized ? std::vector<std::string>{"normalize=loss+"} : std::vector<std::string>{})) {
                // loss+: a_k = c_k n_k are the weights of the g_k / n_k, n_k = L_k ||g_k||.
                Vec n(K, 1.0), a = step.coefficients, G = step.gram;
                if (normalized)
                    for (std::size_t k = 0; k < K; ++k) n[k] = step.losses[k] * std::sqrt(step.gram[k * K + k]);
                for (std::size_t i = 0; i < K; ++i) {
                    a[i] *= n[i];
                    for (std::size_t j = 0; j < K; ++j) G[i * K + j] /= n[i] * n[j];
                }
                CHECK(std::accumulate(a.begin(), a.end(), 0.0) == Approx(1).epsilon(1e-14));
                Vec Ga(K, 0.0);
                for (std::size_t i = 0; i < K; ++i)
                    for (std::size_t j = 0; j < K; ++j) Ga[i] += G[i * K + j] * a[j];
                const double norm2 = dot(a, Ga);
                for (std::size_t k = 0; k < K; ++k) {
                    CHECK(a[k] >= 0);
                    CHECK(Ga[k] >= norm2 - 1e-12 * largest(G));
                    if (a[k] > 0) CHECK(Ga[k] <= norm2 + 1e-12 * largest(G));
                }
            }
        }
    }
    SECTION("cagrad: w minimises the dual objective F and d lies on the ball's boundary") {
        // rescale=none: c_k = 1/K + lambda w_k with sum w = 1, so lambda = sum c - 1 and
        // w = (c - 1/K) / lambda; F(w) = w^T G 1/K + c ||g_0|| sqrt(w^T G w), and
        // ||d - g_0|| = c ||g_0||, with d - g_0 = sum_k (c_k - 1/K) g_k.
        std::mt19937_64 rng(23);
        for (const double c : {0.5, 0.9}) {
            for (const auto& step : run("cagrad", {"c=" + std::to_string(c), "rescale=none"})) {
                const Vec& G = step.gram;
                auto quad = [&](const Vec& x, const Vec& y) {
                    double q = 0;
                    for (std::size_t i = 0; i < K; ++i)
                        for (std::size_t j = 0; j < K; ++j) q += x[i] * G[i * K + j] * y[j];
                    return q;
                };
                const Vec mean(K, 1.0 / K);
                const double g0 = std::sqrt(quad(mean, mean));
                auto F = [&](const Vec& w) { return quad(w, mean) + c * g0 * std::sqrt(std::max(quad(w, w), 0.0)); };
                const double lambda = std::accumulate(step.coefficients.begin(), step.coefficients.end(), 0.0) - 1;
                REQUIRE(lambda > 0);
                Vec w(K), offset(K);
                for (std::size_t k = 0; k < K; ++k) offset[k] = step.coefficients[k] - 1.0 / K, w[k] = offset[k] / lambda;
                CHECK(std::sqrt(quad(offset, offset)) == Approx(c * g0).epsilon(1e-9));
                for (int s = 0; s < 2000; ++s) CHECK(F(w) <= F(random_simplex_point(int(K), rng)) + 1e-9 * largest(G));
            }
        }
    }
}
