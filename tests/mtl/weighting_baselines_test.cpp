// The baseline weighting strategies (uncertainty, DWA, GradNorm, GCosSim, OL-AUX), each
// against a hand computation of its paper's rule on tiny gradients, over several steps
// of its state, and against its defining property; then, with the fixed weights, each
// through the registry in a real training run, every step checked against its rule
// replayed from the trainer's trace.
#include <catch2/catch.hpp>

#include <cmath>
#include <numeric>
#include <string>
#include <vector>

#include "hyda/mtl/dataset.hpp"
#include "hyda/mtl/trainer.hpp"
#include "strategy_trace.hpp"

using namespace hyda::mtl;

namespace {

using Vec = std::vector<double>;

// G_ij = <g_i, g_j> of explicit per-task gradients.
Vec gram_of(const std::vector<Vec>& g) {
    Vec G;
    for (const Vec& a : g)
        for (const Vec& b : g) G.push_back(std::inner_product(a.begin(), a.end(), b.begin(), 0.0));
    return G;
}

// One batch as a strategy sees it: losses, and per-task gradients of the shared
// parameters (also used as the last shared layer's, for GradNorm).
struct Batch {
    Vec losses;
    std::vector<Vec> grads;
};

// Coefficients of one step.
Vec step(Strategy& s, const Batch& b, int main = 0) {
    const int K = int(b.grads.size());
    const Vec G = gram_of(b.grads);
    StepContext ctx;
    ctx.tasks = K;
    ctx.main = main;
    ctx.losses = b.losses;
    ctx.gram = G;
    ctx.gram_last = G;
    Vec c(std::size_t(K), NAN);
    s.coefficients(ctx, c);
    return c;
}

// A batch where only the losses matter (uncertainty weighting).
Batch losses_only(Vec losses) { return {losses, std::vector<Vec>(losses.size(), Vec{1.0})}; }

void check_near_within(const Vec& got, const Vec& want, double margin) {
    REQUIRE(got.size() == want.size());
    for (std::size_t k = 0; k < want.size(); ++k) {
        INFO("task " << k);
        CHECK(got[k] == Approx(want[k]).margin(margin));
    }
}

void check_near(const Vec& got, const Vec& want) { check_near_within(got, want, 1e-12); }

double sum(const Vec& v) { return std::accumulate(v.begin(), v.end(), 0.0); }

}  // namespace

// ---- uncertainty (Kendall et al. 2018) ----

TEST_CASE("uncertainty: c = exp(-s), s descends 1 - exp(-s) L, by hand over two steps", "[strategies]") {
    auto s = make_strategy("uncertainty", 2, 0, {"lr=0.1"});
    // Step 1: s = (0, 0), c = (1, 1); losses (2, 0.5):
    //   s_0 = 0 - 0.1 (1 - 1 * 2) = 0.1,  s_1 = 0 - 0.1 (1 - 1 * 0.5) = -0.05.
    check_near(step(*s, losses_only({2, 0.5})), {1, 1});
    // Step 2: c = (exp(-0.1), exp(0.05)); losses (1, 1):
    //   s_0 = 0.1 - 0.1 (1 - exp(-0.1)),  s_1 = -0.05 - 0.1 (1 - exp(0.05)).
    check_near(step(*s, losses_only({1, 1})), {std::exp(-0.1), std::exp(0.05)});
    const double s0 = 0.1 - 0.1 * (1 - std::exp(-0.1)), s1 = -0.05 - 0.1 * (1 - std::exp(0.05));
    check_near(step(*s, losses_only({1, 1})), {std::exp(-s0), std::exp(-s1)});
}

TEST_CASE("uncertainty: with constant losses the weights settle at 1 / L_k", "[strategies]") {
    // The fixed point of 1 - exp(-s) L = 0 is exp(-s) = 1 / L: the noisier (higher-loss)
    // task gets the smaller weight.
    auto s = make_strategy("uncertainty", 3, 0, {"lr=0.05"});
    Vec c;
    for (int t = 0; t < 2000; ++t) c = step(*s, losses_only({4, 1, 0.25}));
    CHECK(c[0] == Approx(0.25).epsilon(1e-6));
    CHECK(c[1] == Approx(1.0).epsilon(1e-6));
    CHECK(c[2] == Approx(4.0).epsilon(1e-6));
}

// ---- DWA (Liu et al. 2019) ----

TEST_CASE("dwa: weights 1 for two epochs, then K softmax(r / T), by hand over three epochs", "[strategies]") {
    auto s = make_strategy("dwa", 3, 0);  // T = 2
    const Batch b = losses_only({9, 9, 9});  // batch losses do not matter: epoch means do
    check_near(step(*s, b), {1, 1, 1});      // epoch 0
    s->end_epoch(Vec{1, 1, 1});
    check_near(step(*s, b), {1, 1, 1});  // epoch 1
    s->end_epoch(Vec{0.5, 0.8, 1.0});
    // Epoch 2: r = (0.5/1, 0.8/1, 1/1); w_k = 3 exp(r_k / 2) / sum_i exp(r_i / 2)
    //   = 3 (e^0.25, e^0.4, e^0.5) / (e^0.25 + e^0.4 + e^0.5) = (0.870610, 1.011505, 1.117885).
    Vec c = step(*s, b);
    check_near(c, {0.8706100353803773, 1.0115045511678045, 1.1178854134518184});
    CHECK(sum(c) == Approx(3.0));
    s->end_epoch(Vec{0.25, 0.72, 1.1});
    // Epoch 3: r = (0.25/0.5, 0.72/0.8, 1.1/1) = (0.5, 0.9, 1.1)
    //   w = 3 (e^0.25, e^0.45, e^0.55) / (e^0.25 + e^0.45 + e^0.55) = (0.840039, 1.026026, 1.133934).
    c = step(*s, b);
    check_near(c, {0.8400392815757212, 1.0260262954794734, 1.1339344229448054});
    CHECK(sum(c) == Approx(3.0));
}

TEST_CASE("dwa: losses falling at equal rates give equal weights; a lower temperature sharpens", "[strategies]") {
    auto s = make_strategy("dwa", 3, 0, {"temperature=0.5"});
    s->end_epoch(Vec{2, 1, 0.5});
    s->end_epoch(Vec{1, 0.5, 0.25});  // every loss halved: r = (0.5, 0.5, 0.5)
    check_near(step(*s, losses_only({1, 1, 1})), {1, 1, 1});
    // r = (1, 0.5, 0.5): the stalled task gets 3 e^2 / (e^2 + 2 e^1) at T = 0.5.
    s->end_epoch(Vec{1, 0.25, 0.125});
    const Vec c = step(*s, losses_only({1, 1, 1}));
    CHECK(c[0] == Approx(3 * std::exp(2.0) / (std::exp(2.0) + 2 * std::exp(1.0))));
    CHECK(c[1] == Approx(c[2]));
}

TEST_CASE("dwa: a task without labels in an epoch counts as not descending", "[strategies]") {
    auto s = make_strategy("dwa", 2, 0);
    s->end_epoch(Vec{0, 1});
    s->end_epoch(Vec{0.5, 1});  // r = (1 by convention, 1)
    check_near(step(*s, losses_only({1, 1})), {1, 1});
}

// ---- GradNorm (Chen et al. 2018) ----

TEST_CASE("gradnorm: weights after two updates, by hand", "[strategies]") {
    auto s = make_strategy("gradnorm", 2, 0, {"lr=0.1", "alpha=1.5"});
    // Last-layer gradients (3, 0) and (0, 1): n = (3, 1).
    // Step 1: w = (1, 1) are the coefficients; L(0) = (1, 2), so r = (1, 1).
    //   G = (3, 1), Gbar = 2, targets 2 r^1.5 = (2, 2); signs (+, -):
    //   w = (1 - 0.1 * 3, 1 + 0.1 * 1) = (0.7, 1.1), renormalized to sum 2: (7/9, 11/9).
    check_near(step(*s, {{1, 2}, {{3, 0}, {0, 1}}}), {1, 1});
    // Step 2: coefficients (7/9, 11/9); losses (0.5, 1.5): Ltilde = (0.5, 0.75),
    //   r = (0.8, 1.2). G = (7/3, 11/9), Gbar = 16/9,
    //   targets 16/9 (0.8^1.5, 1.2^1.5) = (1.272, 2.337); signs (+, -):
    //   w = (7/9 - 0.3, 11/9 + 0.1) = (43/90, 119/90), times 2 / 1.8: (43/81, 119/81).
    check_near(step(*s, {{0.5, 1.5}, {{3, 0}, {0, 1}}}), {7.0 / 9, 11.0 / 9});
    check_near(step(*s, {{0.5, 1.5}, {{3, 0}, {0, 1}}}), {43.0 / 81, 119.0 / 81});
}

TEST_CASE("gradnorm: weights move towards equal gradient norms and keep summing to K", "[strategies]") {
    auto s = make_strategy("gradnorm", 3, 0, {"lr=0.005"});
    // Equal losses throughout (r = 1): the target is the mean weighted norm, reached
    // when w_k is proportional to 1 / n_k, n = (4, 1, 0.5): w* = 3 (1/4, 1, 2) / 3.25.
    const Batch b{{1, 1, 1}, {{4, 0, 0}, {0, 1, 0}, {0, 0, 0.5}}};
    auto spread = [](const Vec& w) { return std::max({w[0] * 4, w[1], w[2] * 0.5}) - std::min({w[0] * 4, w[1], w[2] * 0.5}); };
    Vec w = step(*s, b);
    const double spread0 = spread(w);
    for (int t = 0; t < 400; ++t) {
        const Vec next = step(*s, b);
        CHECK(sum(next) == Approx(3.0));
        if (t == 0) {  // the first update: the large-gradient task loses weight, the others gain
            CHECK(next[0] < w[0]);
            CHECK(next[1] > w[1]);
            CHECK(next[2] > w[2]);
        }
        w = next;
    }
    // The sign updates of the L1 loss then oscillate around w* by about one step, lr n_k.
    CHECK(spread(w) < 0.05 * spread0);
    check_near_within(w, {3 * 0.25 / 3.25, 3 * 1 / 3.25, 3 * 2 / 3.25}, 0.03);
}

TEST_CASE("gradnorm: a slowly training task gets a larger target, alpha = 0 ignores rates", "[strategies]") {
    // Equal gradient norms, so only the rates move the weights. After step 1 (L(0) = 1
    // each, nothing moves), task 1's loss stays while task 0's halves: r = (2/3, 4/3).
    const Batch start{{1, 1}, {{1, 0}, {0, 1}}}, later{{0.5, 1}, {{1, 0}, {0, 1}}};
    auto s = make_strategy("gradnorm", 2, 0, {"lr=0.1"});
    check_near(step(*s, start), {1, 1});
    check_near(step(*s, later), {1, 1});
    check_near(step(*s, later), {0.9, 1.1});  // task 1 is slower: its weight grows
    auto flat = make_strategy("gradnorm", 2, 0, {"lr=0.1", "alpha=0"});
    step(*flat, start);
    step(*flat, later);
    check_near(step(*flat, later), {1, 1});
}

TEST_CASE("gradnorm: L(0) is the first positive loss (a batch without labels is no reference)", "[strategies]") {
    auto s = make_strategy("gradnorm", 2, 0, {"lr=0.1"});
    const std::vector<Vec> g{{1, 0}, {0, 1}};
    step(*s, {{0, 1}, g});  // task 0 unlabelled: its ratio counts as 1
    check_near(step(*s, {{2, 1}, g}), {1, 1});
    check_near(step(*s, {{1, 1}, g}), {1, 1});  // L(0) = (2, 1): r = (1/2, 1) / 0.75: task 0 is faster
    check_near(step(*s, {{1, 1}, g}), {0.9, 1.1});
}

TEST_CASE("gradnorm: a step larger than a weight leaves it positive, and the sum K", "[strategies]") {
    // Norms n = (100, 1), equal losses, default lr 0.025: the first update takes w_0 to
    // 1 - 2.5 = -1.5, which the floor 1e-3 replaces, and w_1 to 1.025; renormalised,
    // w = 2 (0.001, 1.025) / 1.026. (Unclamped, w would go (6.3, -4.3), then (-16, 18).)
    auto s = make_strategy("gradnorm", 2, 0);
    const Batch b{{1, 1}, {{100, 0}, {0, 1}}};
    check_near(step(*s, b), {1, 1});
    check_near(step(*s, b), {2 * 0.001 / 1.026, 2 * 1.025 / 1.026});
    for (int t = 0; t < 50; ++t) {
        const Vec c = step(*s, b);
        INFO("step " << t + 2 << ": " << c[0] << ", " << c[1]);
        CHECK(c[0] > 0);
        CHECK(c[1] > 0);
        CHECK(sum(c) == Approx(2.0));
    }
}

TEST_CASE("gradnorm asks the trainer for the last layer's Gram matrix", "[strategies]") {
    CHECK(make_strategy("gradnorm", 2, 0)->needs().last_layer_gram);
    CHECK_FALSE(make_strategy("gcossim", 2, 0)->needs().last_layer_gram);
}

// ---- GCosSim (Du et al. 2018) ----

TEST_CASE("gcossim: every auxiliary task judged by its own cosine with the main task", "[strategies]") {
    // Main (1, 0, 0). Auxiliaries: (1, 1, 0) cos 1/sqrt2; (-1, 0, 1) cos -1/sqrt2;
    // (0.5, -2, 0) cos 0.5 / sqrt(4.25) = 0.2425.
    const Batch b{{1, 1, 1, 1}, {{1, 0, 0}, {1, 1, 0}, {-1, 0, 1}, {0.5, -2, 0}}};
    auto unweighted = make_strategy("gcossim", 4, 0);
    check_near(step(*unweighted, b), {1, 1, 0, 1});
    auto weighted = make_strategy("gcossim", 4, 0, {"mode=weighted"});
    check_near(step(*weighted, b), {1, std::sqrt(0.5), 0, 0.5 / std::sqrt(4.25)});
}

TEST_CASE("gcossim zeroes exactly the auxiliary tasks with a negative cosine, wherever the main task is", "[strategies]") {
    // Main task 2 (0, 1). Auxiliaries 0 (-1, -1) and 3 (3, -0.1) point against it, 1 (5, 0.01)
    // barely along it, 4 (1, 0) is orthogonal and 5 is zero (no direction: both sit out).
    const Batch b{{1, 1, 1, 1, 1, 1}, {{-1, -1}, {5, 0.01}, {0, 1}, {3, -0.1}, {1, 0}, {0, 0}}};
    auto s = make_strategy("gcossim", 6, 2);
    check_near(step(*s, b, 2), {0, 1, 1, 0, 0, 0});
    auto w = make_strategy("gcossim", 6, 2, {"mode=weighted"});
    check_near(step(*w, b, 2), {0, 0.01 / std::sqrt(25.0001), 1, 0, 0, 0});
}

TEST_CASE("gcossim: a zero main gradient leaves only the main task", "[strategies]") {
    auto s = make_strategy("gcossim", 3, 0);
    check_near(step(*s, {{1, 1, 1}, {{0, 0}, {1, 0}, {0, 1}}}), {1, 0, 0});
}

// ---- OL-AUX (Lin et al. 2019) ----

TEST_CASE("olaux: weights after 2N steps, by hand, with and without clipping", "[strategies]") {
    // N = 2, beta = 0.5, main task 0. Gradients chosen for their inner products with g_main:
    //   window 1: <g0, g1> = 1, 2 (sum 3);  <g0, g2> = -1, -3 (sum -4)
    //   -> w1 = 1 + 0.5 * 3 = 2.5;  w2 = 1 - 0.5 * 4 = -1, clipped to 0
    //   window 2: <g0, g1> = -1, -1 (sum -2); <g0, g2> = 1, 2 (sum 3)
    //   -> w1 = 2.5 - 1 = 1.5;  w2 = 0 + 1.5 = 1.5 (unclipped: -1 + 1.5 = 0.5)
    const std::vector<Batch> batches = {
        {{1, 1, 1}, {{1, 0}, {1, 1}, {-1, 0.5}}},
        {{1, 1, 1}, {{0, 1}, {1, 2}, {0, -3}}},
        {{1, 1, 1}, {{1, 1}, {-1, 0}, {1, 0}}},
        {{1, 1, 1}, {{1, 0}, {-1, 0}, {2, 0}}},
        {{1, 1, 1}, {{1, 0}, {0, 1}, {0, 1}}},
    };
    auto clipped = make_strategy("olaux", 3, 0, {"horizon=2", "beta=0.5"});
    auto paper = make_strategy("olaux", 3, 0, {"horizon=2", "beta=0.5", "clip=off"});
    const std::vector<Vec> want_clipped = {{1, 1, 1}, {1, 1, 1}, {1, 2.5, 0}, {1, 2.5, 0}, {1, 1.5, 1.5}};
    const std::vector<Vec> want_paper = {{1, 1, 1}, {1, 1, 1}, {1, 2.5, -1}, {1, 2.5, -1}, {1, 1.5, 0.5}};
    for (std::size_t t = 0; t < batches.size(); ++t) {
        INFO("step " << t);
        check_near(step(*clipped, batches[t]), want_clipped[t]);
        check_near(step(*paper, batches[t]), want_paper[t]);
    }
}

TEST_CASE("olaux: the main task keeps weight 1 and only its own row of G counts", "[strategies]") {
    // Main task 1. Task 0 helps the main task, task 2 conflicts with it; the auxiliaries'
    // mutual inner product (large, positive) must not matter.
    auto s = make_strategy("olaux", 3, 1, {"horizon=1", "beta=0.1"});
    const Batch b{{1, 1, 1}, {{10, 1}, {0, 1}, {10, -1}}};
    step(*s, b, 1);
    check_near(step(*s, b, 1), {1.1, 1, 0.9});
}

// ---- options and the trainer ----

TEST_CASE("baseline strategies reject unknown options and meaningless values", "[strategies]") {
    for (const char* name : {"uncertainty", "dwa", "gradnorm", "gcossim", "olaux"}) {
        INFO(name);
        CHECK_THROWS_WITH(make_strategy(name, 3, 0, {"bogus=1"}), Catch::Contains("unknown option 'bogus'"));
    }
    CHECK_THROWS_WITH(make_strategy("dwa", 3, 0, {"temperature=0"}), Catch::Contains("temperature must be > 0"));
    CHECK_THROWS_WITH(make_strategy("uncertainty", 3, 0, {"lr=-1"}), Catch::Contains("lr must be >= 0"));
    CHECK_THROWS_WITH(make_strategy("gradnorm", 3, 0, {"lr=x"}), Catch::Contains("'x' is not a finite number"));
    CHECK_THROWS_WITH(make_strategy("gradnorm", 3, 0, {"alpha=nan"}), Catch::Contains("'nan' is not a finite number"));
    CHECK_THROWS_WITH(make_strategy("gradnorm", 3, 0, {"alpha=-1"}), Catch::Contains("alpha must be >= 0"));
    CHECK_THROWS_WITH(make_strategy("gradnorm", 3, 0, {"lr=0.1", "lr=0.2"}), Catch::Contains("lr is given twice"));
    CHECK_THROWS_WITH(make_strategy("static", 3, 0, {"weights=1,2,"}), Catch::Contains("'' is not a finite number"));
    CHECK_THROWS_WITH(make_strategy("static", 3, 0, {"weights=1,inf,2"}), Catch::Contains("'inf' is not a finite number"));
    CHECK(make_strategy("static", 3, 0, {"weights=1,0.5,2"}) != nullptr);
    CHECK_THROWS_WITH(make_strategy("gcossim", 3, 0, {"mode=soft"}), Catch::Contains("unweighted, weighted"));
    CHECK_THROWS_WITH(make_strategy("olaux", 3, 0, {"horizon=2.5"}), Catch::Contains("horizon must be a positive integer"));
    CHECK_THROWS_WITH(make_strategy("olaux", 3, 0, {"horizon=0"}), Catch::Contains("horizon must be a positive integer"));
    CHECK_THROWS_WITH(make_strategy("olaux", 3, 0, {"beta=-0.1"}), Catch::Contains("beta must be >= 0"));
}

TEST_CASE("through the trainer, every step of every baseline follows its rule", "[strategies]") {
    // A real run (synthetic data, 3 tasks, 3 epochs of 8 batches) with the trainer's trace:
    // each step's coefficients against the rule replayed from that step's losses and G.
    SyntheticSpec synth;
    synth.rows = 256;
    synth.features = 8;
    const Dataset<float> data = make_synthetic<float>(synth);
    auto run = [&](const std::string& name, const std::vector<std::string>& options) { return hyda::test::traced_synthetic_run(data, name, options, 3); };
    const std::size_t K = 3;

    SECTION("equal, single, static: the fixed weights") {
        for (const auto& step : run("equal", {}).steps) check_near(step.coefficients, {1, 1, 1});
        for (const auto& step : run("single", {}).steps) check_near(step.coefficients, {1, 0, 0});
        for (const auto& step : run("static", {"weights=0.5,2,0.25"}).steps) check_near(step.coefficients, {0.5, 2, 0.25});
    }
    SECTION("uncertainty: c_k = exp(-s_k), s_k = log sigma_k^2 learned from the losses") {
        Vec s(K, 0.0);
        for (const auto& step : run("uncertainty", {"lr=0.05"}).steps) {
            for (std::size_t k = 0; k < K; ++k) {
                CHECK(step.coefficients[k] == Approx(std::exp(-s[k])).epsilon(1e-12));
                s[k] -= 0.05 * (1 - std::exp(-s[k]) * step.losses[k]);
            }
        }
    }
    SECTION("dwa: 1 for two epochs, then K softmax(r / T) of the epoch mean losses") {
        const hyda::test::TracedRun r = run("dwa", {});
        const auto& L = r.result.epochs;
        Vec want(K);
        double total = 0;
        for (std::size_t k = 0; k < K; ++k) total += want[k] = std::exp(L[1].train_loss[k] / L[0].train_loss[k] / 2);
        for (double& w : want) w *= double(K) / total;
        for (const auto& step : r.steps) check_near_within(step.coefficients, step.epoch < 2 ? Vec{1, 1, 1} : want, 1e-12);
    }
    SECTION("gradnorm: positive weights summing to K, and moving") {
        bool moved = false;
        for (const auto& step : run("gradnorm", {"lr=0.05"}).steps) {
            for (double c : step.coefficients) CHECK(c > 0);
            CHECK(sum(step.coefficients) == Approx(3.0));
            moved = moved || step.coefficients != Vec{1, 1, 1};
        }
        CHECK(moved);
    }
    SECTION("gcossim: an auxiliary task counts on a step exactly when its gradient agrees with the main task's") {
        int dropped = 0;
        for (const auto& step : run("gcossim", {}).steps) {
            CHECK(step.coefficients[0] == 1);
            for (std::size_t k = 1; k < K; ++k) {
                CHECK(step.coefficients[k] == (step.gram[k] > 0 ? 1.0 : 0.0));  // G_0k: the sign of the cosine
                dropped += step.coefficients[k] == 0;
            }
        }
        CHECK(dropped > 0);
    }
    SECTION("olaux: every N steps, w_k += beta times the window's sum of <g_main, g_k>, clipped at 0") {
        Vec w(K, 1.0), window(K, 0.0);
        int steps = 0;
        for (const auto& step : run("olaux", {"horizon=3", "beta=0.5"}).steps) {
            check_near_within(step.coefficients, w, 1e-12);
            for (std::size_t k = 1; k < K; ++k) window[k] += step.gram[k];
            if (++steps % 3 != 0) continue;
            for (std::size_t k = 1; k < K; ++k) w[k] = std::max(0.0, w[k] + 0.5 * window[k]);
            std::fill(window.begin(), window.end(), 0.0);
        }
        CHECK(w != Vec{1, 1, 1});
    }
}
