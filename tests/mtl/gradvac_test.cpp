// GradVac (Wang et al., ICLR 2021) works in coefficient space, from G alone (one G per
// layer with granularity=layer). The tests build G from explicit gradient vectors, run
// the strategy over several steps of its state, rebuild the update direction from the
// vectors, and compare it with a hand computation or with the paper's Algorithm 1 run on
// the vectors themselves; then its defining property (a corrected pair reaches its target
// cosine exactly), its two granularities against each other, and training end to end.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include "hyda/autodiff/random.hpp"
#include "hyda/mtl/dataset.hpp"
#include "hyda/mtl/trainer.hpp"
#include "gradient_vectors.hpp"
#include "strategy_trace.hpp"

namespace {

using namespace hyda::mtl;
using hyda::test::combine;
using hyda::test::dot;
using hyda::test::gram_of;
using hyda::test::plus;
using hyda::test::random_gradients;
using hyda::test::Vec;
using hyda::test::Vectors;

double cosine(const Vec& a, const Vec& b) { return dot(a, b) / std::sqrt(dot(a, a) * dot(b, b)); }

// Entries [first, last) of every gradient: one layer's share.
Vectors slice(const Vectors& g, std::size_t first, std::size_t last) {
    Vectors out;
    for (const Vec& v : g) out.emplace_back(v.begin() + std::ptrdiff_t(first), v.begin() + std::ptrdiff_t(last));
    return out;
}

void check_near(const Vec& got, const Vec& want, double margin = 1e-12) {
    REQUIRE(got.size() == want.size());
    for (std::size_t i = 0; i < got.size(); ++i) CHECK(got[i] == Approx(want[i]).margin(margin));
}

// One step of a strategy on the whole trunk.
Vec step(Strategy& s, const Vectors& g, std::uint64_t seed = 0) {
    const Vec G = gram_of(g), losses(g.size(), 1.0);
    StepContext ctx;
    ctx.tasks = int(g.size());
    ctx.losses = losses;
    ctx.gram = G;
    ctx.seed = seed;
    Vec c(g.size());
    s.coefficients(ctx, c);
    return c;
}

// One step of a per-layer strategy, the gradients split into layers at `bounds`
// (0 = b_0 < b_1 < ... = dimension); returns the per-layer coefficients, layer-major, and
// the per-task ones in c.
Vec layer_step(Strategy& s, const Vectors& g, const std::vector<std::size_t>& bounds, std::uint64_t seed, Vec& c) {
    const std::size_t K = g.size(), L = bounds.size() - 1;
    Vec layer_grams;
    for (std::size_t l = 0; l < L; ++l) {
        const Vec G = gram_of(slice(g, bounds[l], bounds[l + 1]));
        layer_grams.insert(layer_grams.end(), G.begin(), G.end());
    }
    const Vec G = gram_of(g), losses(K, 1.0);
    StepContext ctx;
    ctx.tasks = int(K);
    ctx.losses = losses;
    ctx.gram = G;
    ctx.layers = int(L);
    ctx.layer_grams = layer_grams;
    ctx.seed = seed;
    Vec per_layer(L * K);
    c.assign(K, 0.0);
    s.layer_coefficients(ctx, c, per_layer);
    return per_layer;
}

// The paper's Algorithm 1 on the vectors themselves: targets phi[i][j] from 0, for each i
// the other tasks in the order the strategy draws from the step's seed (a fresh shuffle of
// j = 0, 1, ... without i, per i, with hyda's Rng: the orders are the strategy's random
// choice, the rule on them is what is checked).
struct ReferenceGradVac {
    double beta;
    Vectors phi;

    ReferenceGradVac(std::size_t K, double b) : beta(b), phi(K, Vec(K, 0.0)) {}

    static std::vector<std::vector<std::size_t>> orders(std::size_t K, std::uint64_t seed) {
        hyda::ad::Rng rng(seed);
        std::vector<std::vector<std::size_t>> out;
        for (std::size_t i = 0; i < K; ++i) {
            std::vector<std::size_t> others;
            for (std::size_t j = 0; j < K; ++j)
                if (j != i) others.push_back(j);
            hyda::ad::shuffle(others.begin(), others.end(), rng);
            out.push_back(others);
        }
        return out;
    }

    // The update direction sum_i g_i^PT, for the given orders.
    Vec step(const Vectors& g, const std::vector<std::vector<std::size_t>>& order) {
        Vec d(g[0].size(), 0.0);
        for (std::size_t i = 0; i < g.size(); ++i) {
            Vec p = g[i];
            for (std::size_t j : order[i]) {
                const double cos = cosine(p, g[j]), target = phi[i][j];
                if (cos < target) {
                    const double w = std::sqrt(dot(p, p)) * (target * std::sqrt(1 - cos * cos) - cos * std::sqrt(1 - target * target)) /
                                     (std::sqrt(dot(g[j], g[j])) * std::sqrt(1 - target * target));
                    p = plus(p, w, g[j]);
                }
                phi[i][j] = (1 - beta) * target + beta * cos;
            }
            d = plus(d, 1, p);
        }
        return d;
    }
};

}  // namespace

TEST_CASE("GradVac on two conflicting gradients over two steps, by hand", "[strategies][gradvac]") {
    auto s = make_strategy("gradvac", 2, 0, {"beta=0.5"});
    const Vectors g = {{1, 0}, {-1, 1}};
    // Step 1, targets 0: cos(g0, g1) = -1/sqrt(2) < 0, and a target of 0 is PCGrad's
    // projection: g0^PT = g0 + 0.5 g1, g1^PT = g1 + g0, coefficients (2, 1.5).
    // Both targets become 0.5 * 0 + 0.5 * (-1/sqrt(2)) = -1/(2 sqrt(2)) =: t.
    check_near(step(*s, g), {2, 1.5});
    // Step 2, the same gradients: cos = -1/sqrt(2) < t. With sqrt(1 - cos^2) = 1/sqrt(2)
    // and sqrt(1 - t^2) = sqrt(7/8), the paper's
    //   w = ||g_i|| (t sqrt(1 - cos^2) - cos sqrt(1 - t^2)) / (||g_j|| sqrt(1 - t^2))
    // is (1 - 1/sqrt(7)) ||g_i|| / (sqrt(2) ||g_j||): w_01 = (1 - 1/sqrt(7)) / 2 for g0
    // (||g0|| = 1, ||g1|| = sqrt(2)), w_10 = 1 - 1/sqrt(7) for g1. Coefficients
    // (1 + w_10, 1 + w_01).
    const double r7 = 1 / std::sqrt(7.0);
    const Vec c = step(*s, g);
    check_near(c, {2 - r7, 1.5 - r7 / 2});
    // Each corrected gradient now makes the target angle with the other's original one.
    CHECK(cosine(plus(g[0], c[1] - 1, g[1]), g[1]) == Approx(-1 / (2 * std::sqrt(2.0))).margin(1e-12));
    CHECK(cosine(plus(g[1], c[0] - 1, g[0]), g[0]) == Approx(-1 / (2 * std::sqrt(2.0))).margin(1e-12));
    // Step 3: targets (1 - 0.5) t + 0.5 cos = -3/(4 sqrt(2)); aligned gradients
    // (cos = 1 > target) are left alone.
    check_near(step(*s, {{1, 1}, {2, 2}}), {1, 1});
}

TEST_CASE("GradVac follows Algorithm 1 on the vectors over many steps", "[strategies][gradvac]") {
    std::mt19937_64 rng(11);
    for (int K : {2, 3, 5}) {
        INFO(K << " tasks");
        for (double beta : {0.01, 0.5, 1.0}) {
            auto s = make_strategy("gradvac", K, 0, {"beta=" + std::to_string(beta)});
            ReferenceGradVac reference(std::size_t(K), beta);
            for (std::uint64_t t = 0; t < 30; ++t) {
                // Shared drift plus noise, so the targets settle away from 0.
                Vectors g = random_gradients(K, 6, rng);
                for (Vec& v : g) v[0] += 1.5;
                const Vec want = reference.step(g, ReferenceGradVac::orders(std::size_t(K), t));
                check_near(combine(g, step(*s, g, t)), want, 1e-10);
            }
        }
    }
}

TEST_CASE("GradVac with every target 0 is PCGrad", "[strategies][gradvac]") {
    // The first step (targets 0) corrects exactly the pairs with a negative cosine, to
    // cosine 0: PCGrad's projection, with the same random orders.
    std::mt19937_64 rng(5);
    for (std::uint64_t trial = 0; trial < 20; ++trial) {
        const Vectors g = random_gradients(4, 5, rng);
        check_near(step(*make_strategy("gradvac", 4, 0), g, trial), step(*make_strategy("pcgrad", 4, 0), g, trial), 1e-12);
    }
}

TEST_CASE("GradVac for two tasks: a pair below its target reaches it exactly", "[strategies][gradvac]") {
    // With two tasks, c = (1 + w_10, 1 + w_01), g_0^PT = g_0 + (c_1 - 1) g_1 and
    // g_1^PT = g_1 + (c_0 - 1) g_0. Each pair's target is the EMA of cos(g_0, g_1) over the
    // earlier steps (each task's only partner is visited first, uncorrected), computed here
    // independently. Checked every step: a pair below its target ends at the target cosine;
    // a pair at or above it is left alone.
    std::mt19937_64 rng(17);
    const double beta = 0.2;
    auto s = make_strategy("gradvac", 2, 0, {"beta=0.2"});
    double target = 0;
    int corrected = 0;
    for (int t = 0; t < 200; ++t) {
        Vectors g = random_gradients(2, 3, rng);
        g[0][0] += 1, g[1][0] += 1;  // mostly aligned: targets become positive
        const Vec c = step(*s, g, std::uint64_t(t));
        const double cos = cosine(g[0], g[1]);
        if (cos < target) {
            ++corrected;
            CHECK(cosine(plus(g[0], c[1] - 1, g[1]), g[1]) == Approx(target).margin(1e-12));
            CHECK(cosine(plus(g[1], c[0] - 1, g[0]), g[0]) == Approx(target).margin(1e-12));
        } else {
            CHECK(c == Vec{1, 1});
        }
        target = (1 - beta) * target + beta * cos;
    }
    CHECK(target > 0.1);
    CHECK(corrected > 40);
}

TEST_CASE("GradVac per layer: one layer is the whole trunk, and each layer is its own problem", "[strategies][gradvac]") {
    std::mt19937_64 rng(23);
    const int K = 3;
    SECTION("one layer gives the whole-trunk coefficients, step after step") {
        auto whole = make_strategy("gradvac", K, 0, {"beta=0.5"});
        auto layer = make_strategy("gradvac", K, 0, {"beta=0.5", "granularity=layer"});
        CHECK(layer->needs().layer_grams);
        CHECK_FALSE(whole->needs().layer_grams);
        for (std::uint64_t t = 0; t < 20; ++t) {
            const Vectors g = random_gradients(K, 4, rng);
            Vec c;
            const Vec per_layer = layer_step(*layer, g, {0, 4}, t, c);
            const Vec want = step(*whole, g, t);
            CHECK(per_layer == want);  // bitwise: the same arithmetic
            CHECK(c == want);
        }
    }
    SECTION("three layers: Algorithm 1 on each layer's share, with the step's orders") {
        auto s = make_strategy("gradvac", K, 0, {"beta=0.5", "granularity=layer"});
        const std::vector<std::size_t> bounds = {0, 3, 5, 8};
        std::vector<ReferenceGradVac> reference(3, ReferenceGradVac(std::size_t(K), 0.5));
        for (std::uint64_t t = 0; t < 20; ++t) {
            Vectors g = random_gradients(K, 8, rng);
            for (Vec& v : g) v[1] += 1;  // the first layer agrees more than the others
            Vec c;
            const Vec per_layer = layer_step(*s, g, bounds, t, c);
            Vec mean(std::size_t(K), 0.0);
            for (std::size_t l = 0; l < 3; ++l) {
                const Vectors part = slice(g, bounds[l], bounds[l + 1]);
                const Vec coefs(per_layer.begin() + std::ptrdiff_t(l * K), per_layer.begin() + std::ptrdiff_t((l + 1) * K));
                check_near(combine(part, coefs), reference[l].step(part, ReferenceGradVac::orders(std::size_t(K), t)), 1e-10);
                for (std::size_t k = 0; k < std::size_t(K); ++k) mean[k] += coefs[k] / 3;
            }
            check_near(c, mean);  // what the heads and the trace see: the layers' mean
        }
    }
}

TEST_CASE("GradVac skips a zero gradient, and checks its options and inputs", "[strategies][gradvac]") {
    // A zero gradient has no cosine: nothing is corrected against it, and it is not
    // corrected itself. The pair (0, 2) is corrected as by PCGrad.
    auto s = make_strategy("gradvac", 3, 0, {"beta=1"});
    check_near(step(*s, {{1, 0}, {0, 0}, {-1, 1}}), {2, 1, 1.5});

    CHECK_THROWS_WITH(make_strategy("gradvac", 3, 0, {"beta=1.5"}), Catch::Contains("beta must be in [0, 1]"));
    CHECK_THROWS_WITH(make_strategy("gradvac", 3, 0, {"granularity=matrix"}), Catch::Contains("whole, layer"));
    CHECK_THROWS_WITH(make_strategy("gradvac", 3, 0, {"bogus=1"}), Catch::Contains("unknown option 'bogus'"));

    auto layer = make_strategy("gradvac", 2, 0, {"granularity=layer"});
    const Vectors g = {{1, 0}, {0, 1}};
    Vec c;
    // coefficients() is the whole-trunk entry point: a per-layer strategy says so.
    CHECK_THROWS_WITH(step(*layer, g), Catch::Contains("strategy 'gradvac' has per-layer coefficients: call layer_coefficients()"));
    CHECK_THROWS_WITH(layer_step(*make_strategy("pcgrad", 2, 0), g, {0, 2}, 0, c), Catch::Contains("pcgrad has no per-layer coefficients"));
    const Vec G = gram_of(g), losses(2, 1.0), layer_grams(6, 0.0);
    StepContext ctx;
    ctx.tasks = 2;
    ctx.losses = losses;
    ctx.gram = G;
    ctx.layers = 2;
    ctx.layer_grams = layer_grams;
    Vec per_layer(4);
    c.assign(2, 0.0);
    CHECK_THROWS_WITH(layer->layer_coefficients(ctx, c, per_layer), Catch::Contains("strategy 'gradvac': layer_grams has 6 values, expected 8 (layers x tasks x tasks)"));
    ctx.layers = 0;
    CHECK_THROWS_WITH(layer->layer_coefficients(ctx, c, per_layer), Catch::Contains("strategy 'gradvac': StepContext with 0 layers"));
    const Vec three_layers(12, 0.0);
    ctx.layers = 3;
    ctx.layer_grams = three_layers;
    CHECK_THROWS_WITH(layer->layer_coefficients(ctx, c, per_layer), Catch::Contains("the output per_layer has 4 values, expected 6 (layers x tasks)"));
    // The number of layers is fixed by the first step.
    layer_step(*layer, g, {0, 1, 2}, 0, c);
    CHECK_THROWS_WITH(layer_step(*layer, g, {0, 2}, 1, c), Catch::Contains("StepContext with 1 layers, earlier steps had 2"));
}

TEST_CASE("through the trainer, GradVac whole and per layer trains", "[strategies][gradvac]") {
    SyntheticSpec synth;
    synth.rows = 256;
    synth.features = 8;
    const Dataset<float> data = make_synthetic<float>(synth);
    for (const char* granularity : {"whole", "layer"}) {
        INFO(granularity);
        const hyda::test::TracedRun r = hyda::test::traced_synthetic_run(data, "gradvac", {std::string("granularity=") + granularity, "beta=0.1"}, 4);
        bool corrected = false;
        for (const auto& s : r.steps)
            for (double c : s.coefficients) {
                CHECK(std::isfinite(c));
                corrected = corrected || c != 1;
            }
        CHECK(corrected);
        const auto total = [](const EpochReport& e) { return std::accumulate(e.train_loss.begin(), e.train_loss.end(), 0.0); };
        CHECK(total(r.result.epochs.back()) < total(r.result.epochs.front()));
    }
}
