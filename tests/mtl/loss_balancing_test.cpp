// RLW, GLS, DB-MTL, STCH, FAMO and MetaBalance: each against a hand computation of its
// paper's rule, against the property it guarantees, on degenerate inputs (one task, zero
// losses, zero gradients), then through the trainer: FAMO's losses around the step, every
// step of a real run replayed from the trainer's trace, and a run on each shipped data set.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <string>
#include <vector>

#include "hyda/autodiff/random.hpp"
#include "hyda/mtl/dataset.hpp"
#include "hyda/mtl/preprocess.hpp"
#include "hyda/mtl/trainer.hpp"
#include "strategy_trace.hpp"

using namespace hyda::mtl;

namespace {

using Vec = std::vector<double>;

// One batch as a strategy sees it: losses and G, with the context's epoch and seed.
struct Batch {
    Vec losses, gram;
    int epoch = 0;
    std::uint64_t seed = 0;
};

// A diagonal G: gradients of norms `norms`, mutually orthogonal.
Vec diagonal_gram(const Vec& norms) {
    const std::size_t K = norms.size();
    Vec G(K * K, 0.0);
    for (std::size_t k = 0; k < K; ++k) G[k * K + k] = norms[k] * norms[k];
    return G;
}

// A batch with these losses and (orthogonal) gradient norms.
Batch batch(Vec losses, Vec norms = {}, int epoch = 0) {
    if (norms.empty()) norms.assign(losses.size(), 1.0);
    return {losses, diagonal_gram(norms), epoch, 0};
}

Vec step(Strategy& s, const Batch& b, int main = 0) {
    StepContext ctx;
    ctx.tasks = int(b.losses.size());
    ctx.main = main;
    ctx.epoch = b.epoch;
    ctx.seed = b.seed;
    ctx.losses = b.losses;
    ctx.gram = b.gram;
    Vec c(b.losses.size(), NAN);
    s.coefficients(ctx, c);
    return c;
}

void check_near_within(const Vec& got, const Vec& want, double margin) {
    REQUIRE(got.size() == want.size());
    for (std::size_t k = 0; k < want.size(); ++k) {
        INFO("task " << k << ": got " << got[k] << ", want " << want[k]);
        CHECK(got[k] == Approx(want[k]).margin(margin).epsilon(1e-12));
    }
}

void check_near(const Vec& got, const Vec& want) { check_near_within(got, want, 1e-12); }

double sum(const Vec& v) { return std::accumulate(v.begin(), v.end(), 0.0); }

// softmax(x), written out: exp(x_k) / sum_j exp(x_j).
Vec softmax_of(const Vec& x) {
    Vec e;
    for (double v : x) e.push_back(std::exp(v));
    const double total = sum(e);
    for (double& v : e) v /= total;
    return e;
}

Vec reciprocals_normalised(const Vec& L) {  // (1 / L_k) / sum_j (1 / L_j)
    Vec r;
    for (double l : L) r.push_back(1 / (l + 1e-8));
    const double total = sum(r);
    for (double& v : r) v /= total;
    return r;
}

}  // namespace

// ---- RLW (Lin et al., TMLR 2022) ----

TEST_CASE("rlw: the weights are the softmax of the step's standard normal draws, from its seed", "[strategies][rlw]") {
    auto s = make_strategy("rlw", 3, 0);
    Batch b = batch({1, 1, 1});
    for (std::uint64_t seed : {0ull, 1ull, 12345ull}) {
        b.seed = seed;
        hyda::ad::Rng rng(seed);
        Vec x;
        for (int k = 0; k < 3; ++k) x.push_back(rng.normal());
        check_near(step(*s, b), softmax_of(x));
    }
    // The same seed gives the same weights (whatever came before), another seed others.
    b.seed = 7;
    const Vec first = step(*s, b);
    step(*s, batch({5, 2, 1}));
    CHECK(step(*s, b) == first);
    b.seed = 8;
    CHECK(step(*s, b) != first);
}

TEST_CASE("rlw: each distribution draws as documented", "[strategies][rlw]") {
    Batch b = batch({1, 1, 1, 1});
    b.seed = 99;
    SECTION("uniform: softmax of U(0, 1) draws, times the scale") {
        auto s = make_strategy("rlw", 4, 0, {"dist=uniform", "scale=4"});
        hyda::ad::Rng rng(99);
        Vec x;
        for (int k = 0; k < 4; ++k) x.push_back(rng.uniform());
        Vec want = softmax_of(x);
        for (double& w : want) w *= 4;
        check_near(step(*s, b), want);
    }
    SECTION("dirichlet: softmax of normalised Exp(1) draws") {
        auto s = make_strategy("rlw", 4, 0, {"dist=dirichlet"});
        hyda::ad::Rng rng(99);
        Vec x;
        for (int k = 0; k < 4; ++k) x.push_back(-std::log(1 - rng.uniform()));
        const double total = sum(x);
        for (double& v : x) v /= total;
        check_near(step(*s, b), softmax_of(x));
    }
    SECTION("bernoulli: weights 0 or 1, never all 0, both values seen") {
        auto s = make_strategy("rlw", 4, 0, {"dist=bernoulli", "scale=2"});
        int zeros = 0, twos = 0;
        for (std::uint64_t seed = 0; seed < 200; ++seed) {
            b.seed = seed;
            const Vec c = step(*s, b);
            for (double x : c) CHECK((x == 0 || x == 2));
            CHECK(sum(c) > 0);
            zeros += int(std::count(c.begin(), c.end(), 0.0));
            twos += int(std::count(c.begin(), c.end(), 2.0));
        }
        CHECK(zeros > 300);  // about 800 * 8/15 of each: zeros are a little rarer (no all-zero draws)
        CHECK(twos > 300);
    }
    SECTION("constrained_bernoulli: one task at a time, each about as often") {
        auto s = make_strategy("rlw", 4, 0, {"dist=constrained_bernoulli"});
        Vec picked(4, 0.0);
        for (std::uint64_t seed = 0; seed < 400; ++seed) {
            b.seed = seed;
            const Vec c = step(*s, b);
            CHECK(sum(c) == 1);
            CHECK(std::count(c.begin(), c.end(), 1.0) == 1);
            for (std::size_t k = 0; k < 4; ++k) picked[k] += c[k];
        }
        for (double n : picked) CHECK(n > 60);  // 100 expected
    }
}

TEST_CASE("rlw: weights are a probability vector times the scale, equal on average, whatever the losses", "[strategies][rlw]") {
    for (const char* dist : {"normal", "uniform", "dirichlet"}) {
        INFO(dist);
        auto s = make_strategy("rlw", 3, 0, {std::string("dist=") + dist, "scale=3"});
        Vec mean(3, 0.0);
        const int draws = 3000;
        for (int t = 0; t < draws; ++t) {
            Batch b = batch({0.01 * t, 1, 100});
            b.seed = std::uint64_t(t) * 7919;
            const Vec c = step(*s, b);
            for (double x : c) CHECK(x > 0);
            CHECK(sum(c) == Approx(3.0).epsilon(1e-14));
            for (std::size_t k = 0; k < 3; ++k) mean[k] += c[k] / draws;
        }
        for (double m : mean) CHECK(m == Approx(1.0).margin(0.03));
    }
}

// ---- GLS (Chennupati et al., CVPRW 2019) ----

TEST_CASE("gls: c_k = (prod L)^(1/K) / (K L_k), by hand", "[strategies][gls]") {
    auto two = make_strategy("gls", 2, 0);
    check_near(step(*two, batch({1, 4})), {1, 0.25});  // GM 2: 2 / (2 * 1), 2 / (2 * 4)
    auto three = make_strategy("gls", 3, 0);
    check_near(step(*three, batch({2, 8, 0.5})), {1.0 / 3, 1.0 / 12, 4.0 / 3});  // GM 2
}

TEST_CASE("gls: the coefficients are the gradient of the geometric mean (finite differences), equal shares c_k L_k", "[strategies][gls]") {
    auto s = make_strategy("gls", 4, 0);
    hyda::ad::Rng rng(3);
    auto geometric_mean = [](const Vec& L) {
        double p = 1;
        for (double l : L) p *= l;
        return std::pow(p, 1.0 / double(L.size()));
    };
    for (int trial = 0; trial < 20; ++trial) {
        Vec L;
        for (int k = 0; k < 4; ++k) L.push_back(std::exp(4 * rng.uniform() - 2));
        const Vec c = step(*s, batch(L));
        for (std::size_t k = 0; k < 4; ++k) {
            const double h = 1e-6 * L[k];
            Vec up = L, down = L;
            up[k] += h;
            down[k] -= h;
            CHECK(c[k] == Approx((geometric_mean(up) - geometric_mean(down)) / (2 * h)).epsilon(1e-7));
        }
        // Every task's share of the step, c_k L_k, is the same, GM / K, whatever the losses' scales.
        const double gm = geometric_mean(L);
        for (std::size_t k = 0; k < 4; ++k) CHECK(c[k] * L[k] == Approx(gm / 4).epsilon(1e-12));
    }
}

TEST_CASE("gls: a task with loss 0 sits out, the geometric mean runs over the others", "[strategies][gls]") {
    auto s = make_strategy("gls", 3, 0);
    check_near(step(*s, batch({0, 1, 4})), {0, 1, 0.25});
    check_near(step(*s, batch({0, 0, 0})), {0, 0, 0});
}

// ---- DB-MTL (Lin et al. 2023) ----

TEST_CASE("dbmtl: log-loss gradients scaled to the largest averaged norm, by hand over two steps", "[strategies][dbmtl]") {
    auto s = make_strategy("dbmtl", 2, 0, {"beta=0.5"});
    // Step 1: L = (1, 2), ||g|| = (2, 4): log-gradient norms n = (2, 2); m = 0.5 n = (1, 1);
    //   c = (max m / m_k) / L_k = (1, 0.5).
    check_near_within(step(*s, batch({1, 2}, {2, 4})), {1, 0.5}, 1e-7);
    // Step 2: L = (0.5, 2), ||g|| = (1, 8): n = (2, 4); m = 0.5 (1, 1) + 0.5 (2, 4) = (1.5, 2.5);
    //   c = (2.5 / 1.5 / 0.5, 2.5 / 2.5 / 2) = (10/3, 0.5).
    check_near_within(step(*s, batch({0.5, 2}, {1, 8})), {10.0 / 3, 0.5}, 1e-7);
    // beta_sigma = 1: beta_t = 0.5 / t, so step 2 averages with 0.25 / 0.75:
    //   m = 0.25 (1, 1) + 0.75 (2, 4) = (1.75, 3.25); c = (3.25 / 1.75 / 0.5, 0.5).
    auto decaying = make_strategy("dbmtl", 2, 0, {"beta=0.5", "beta_sigma=1"});
    step(*decaying, batch({1, 2}, {2, 4}));
    check_near_within(step(*decaying, batch({0.5, 2}, {1, 8})), {3.25 / 1.75 / 0.5, 0.5}, 1e-7);
}

TEST_CASE("dbmtl: with steady gradients every weighted gradient has the largest log-gradient norm", "[strategies][dbmtl]") {
    // ||c_k g_k|| = max_j ||g_j|| / L_j from the first step on (the averages' start at 0
    // is common to all tasks and cancels), whatever the losses' and gradients' scales.
    auto s = make_strategy("dbmtl", 3, 0);
    const Vec L = {0.01, 1, 50}, norms = {0.5, 3, 1000};
    double target = 0;
    for (std::size_t k = 0; k < 3; ++k) target = std::max(target, norms[k] / (L[k] + 1e-8));
    for (int t = 0; t < 5; ++t) {
        const Vec c = step(*s, batch(L, norms));
        for (std::size_t k = 0; k < 3; ++k) CHECK(c[k] * norms[k] == Approx(target).epsilon(1e-12));
    }
}

TEST_CASE("dbmtl: a task with loss 0 or no gradient yet gets 0", "[strategies][dbmtl]") {
    auto s = make_strategy("dbmtl", 3, 0, {"beta=0.5"});
    // Task 0 no labels (L = 0, g = 0), task 2 a zero gradient: only task 1 moves.
    check_near_within(step(*s, batch({0, 2, 1}, {0, 4, 0})), {0, 0.5, 0}, 1e-7);
}

// ---- STCH (Lin et al., ICML 2024) ----

TEST_CASE("stch: log-loss warm-up, nadir from the last warm-up epoch, then K softmax(log(L / n) / mu) / L", "[strategies][stch]") {
    auto s = make_strategy("stch", 2, 0, {"warmup=1"});
    check_near(step(*s, batch({10, 10}, {}, 0)), {0.1, 0.1});  // epoch 0: c = 1 / L, not measured
    check_near(step(*s, batch({2, 1}, {}, 1)), {0.5, 1});       // epoch 1: measured
    check_near(step(*s, batch({4, 3}, {}, 1)), {0.25, 1.0 / 3});
    // n = (3, 2). Epoch 2, L = (3, 1): log(L / n) = (0, log 0.5), s = (1, 0.5) / 1.5;
    //   c = 2 s / L = (4/9, 2/3).
    check_near(step(*s, batch({3, 1}, {}, 2)), {4.0 / 9, 2.0 / 3});
    // Preference (2, 1): a = (0, log 0.5) as before; c_k = 2 s_k lambda_k / L_k = (8/9, 2/3).
    auto p = make_strategy("stch", 2, 0, {"warmup=0", "preference=2,1"});
    step(*p, batch({2, 1}, {}, 0));
    step(*p, batch({4, 3}, {}, 0));
    check_near(step(*p, batch({3, 1}, {}, 1)), {8.0 / 9, 2.0 / 3});
}

TEST_CASE("stch: five warm-up epochs by default, the nadir from the fifth alone", "[strategies][stch]") {
    auto s = make_strategy("stch", 2, 0);
    for (int epoch = 0; epoch < 5; ++epoch) check_near(step(*s, batch({epoch + 1.0, 2}, {}, epoch)), {1 / (epoch + 1.0), 0.5});
    // n = (5, 2): L = n gives equal shares, c = 2 (1/2) / L.
    check_near(step(*s, batch({5, 2}, {}, 5)), {0.2, 0.5});
}

TEST_CASE("stch: the gradient of the smooth maximum; mu -> 0 all weight on the worst task, mu -> inf the log-loss sum", "[strategies][stch]") {
    auto make = [](double mu) {
        auto s = make_strategy("stch", 3, 0, {"warmup=0", "mu=" + std::to_string(mu)});
        step(*s, batch({1, 2, 4}, {}, 0));  // n = (1, 2, 4)
        return s;
    };
    const Vec n = {1, 2, 4}, L = {2, 6, 6};  // log(L / n) = (log 2, log 3, log 1.5): task 1 is worst
    // F(L) = K mu log sum_k exp(log(L_k / n_k) / mu), and c_k = dF / dL_k.
    for (double mu : {0.3, 1.0, 5.0}) {
        INFO("mu " << mu);
        auto F = [&](const Vec& l) {
            double total = 0;
            for (std::size_t k = 0; k < 3; ++k) total += std::exp(std::log(l[k] / n[k]) / mu);
            return 3 * mu * std::log(total);
        };
        const Vec c = step(*make(mu), batch(L, {}, 1));
        for (std::size_t k = 0; k < 3; ++k) {
            Vec up = L, down = L;
            up[k] += 1e-6;
            down[k] -= 1e-6;
            CHECK(c[k] == Approx((F(up) - F(down)) / 2e-6).epsilon(1e-6));
        }
    }
    // The shares s_k = c_k L_k / K.
    auto shares = [&](double mu) {
        Vec c = step(*make(mu), batch(L, {}, 1));
        for (std::size_t k = 0; k < 3; ++k) c[k] *= L[k] / 3;
        return c;
    };
    check_near_within(shares(1e-3), {0, 1, 0}, 1e-12);
    check_near_within(shares(1e4), {1.0 / 3, 1.0 / 3, 1.0 / 3}, 1e-4);
}

TEST_CASE("stch: a task with loss 0 sits out of the softmax and of the nadir", "[strategies][stch]") {
    auto s = make_strategy("stch", 3, 0, {"warmup=0"});
    check_near(step(*s, batch({0, 2, 1}, {}, 0)), {0, 0.5, 1});
    step(*s, batch({4, 2, 1}, {}, 0));  // n = (4, 2, 1): task 0's zero did not count
    // Epoch 1, L = (4, 0, 1): task 1 sits out; tasks 0 and 2 at their nadir share equally:
    //   c = 3 (1/2) / L = (3/8, 0, 3/2).
    check_near(step(*s, batch({4, 0, 1}, {}, 1)), {3.0 / 8, 0, 1.5});
    check_near(step(*s, batch({0, 0, 0}, {}, 1)), {0, 0, 0});
}

// ---- FAMO (Liu et al., NeurIPS 2023) ----

TEST_CASE("famo: c = z / (L S), a probability vector; from xi = 0 the normalised 1 / L", "[strategies][famo]") {
    auto s = make_strategy("famo", 3, 0);
    CHECK(s->needs().losses_after_step);
    const Vec L = {0.5, 2, 8};
    const Vec c = step(*s, batch(L));
    check_near(c, reciprocals_normalised(L));
    CHECK(sum(c) == Approx(1.0).epsilon(1e-15));
}

TEST_CASE("famo: the logits after one gradient-descent update, by hand", "[strategies][famo]") {
    auto s = make_strategy("famo", 2, 0, {"update=gd", "decay=0.1"});
    step(*s, batch({1, 4}));
    // delta = log(before) - log(after) = (log 2, log 1.25); z = (1/2, 1/2), so
    //   d = z (delta - z . delta) = (1/4, -1/4) log 1.6; xi = -0.025 (d + 0.1 * 0).
    s->after_step(Vec{1, 4}, Vec{0.5, 3.2});
    const double d = 0.25 * (std::log(1 + 1e-8) - std::log(0.5 + 1e-8) - std::log(4 + 1e-8) + std::log(3.2 + 1e-8));
    Vec xi = {-0.025 * d, 0.025 * d};
    // Task 1's loss fell less: it gains weight.
    const Vec L = {1, 1};
    Vec c = step(*s, batch(L));
    check_near(c, softmax_of(xi));
    CHECK(c[1] > c[0]);
    // Unchanged losses (delta = 0): only the decay, xi <- xi (1 - lr decay).
    s->after_step(Vec{1, 1}, Vec{1, 1});
    for (double& x : xi) x *= 1 - 0.025 * 0.1;
    check_near(step(*s, batch(L)), softmax_of(xi));
}

TEST_CASE("famo: the logits after two Adam updates, by hand", "[strategies][famo]") {
    auto s = make_strategy("famo", 2, 0, {"decay=0.01"});
    // Adam (0.9, 0.999, 1e-8) on the gradient g = d + decay xi, bias-corrected.
    Vec xi = {0, 0}, m = {0, 0}, v = {0, 0};
    const std::vector<std::pair<Vec, Vec>> around = {{{1, 4}, {0.5, 3.2}}, {{2, 1}, {1.9, 0.5}}};
    for (int t = 1; t <= 2; ++t) {
        const auto& [before, after] = around[std::size_t(t - 1)];
        step(*s, batch(before));
        s->after_step(before, after);
        const Vec z = softmax_of(xi);
        Vec delta;
        for (std::size_t k = 0; k < 2; ++k) delta.push_back(std::log(before[k] + 1e-8) - std::log(after[k] + 1e-8));
        const double mean = z[0] * delta[0] + z[1] * delta[1];
        for (std::size_t k = 0; k < 2; ++k) {
            const double g = z[k] * (delta[k] - mean) + 0.01 * xi[k];
            m[k] = 0.9 * m[k] + 0.1 * g;
            v[k] = 0.999 * v[k] + 0.001 * g * g;
            xi[k] -= 0.025 * (m[k] / (1 - std::pow(0.9, t))) / (std::sqrt(v[k] / (1 - std::pow(0.999, t))) + 1e-8);
        }
        if (t == 1) CHECK(xi[0] == Approx(-0.025).epsilon(1e-6));  // Adam's first step: lr times the sign
    }
    const Vec L = {3, 0.25};
    Vec want = softmax_of(xi);
    for (std::size_t k = 0; k < 2; ++k) want[k] /= L[k] + 1e-8;
    const double total = sum(want);
    for (double& w : want) w /= total;
    check_near(step(*s, batch(L)), want);
}

TEST_CASE("famo: a task with loss 0 sits out of the step and of the logit update", "[strategies][famo]") {
    auto s = make_strategy("famo", 3, 0, {"update=gd", "decay=0"});
    check_near_within(step(*s, batch({0, 1, 4})), {0, 0.8, 0.2}, 1e-8);  // (1, 1/4) / 1.25, L + 1e-8
    // Task 0 unmeasured after the step: its logit stays, the others move as a two-task
    // problem with z = (1/3, 1/3) (the mean of their deltas is the z-weighted one).
    s->after_step(Vec{0, 1, 4}, Vec{0.5, 0.5, 3.2});
    const double d1 = (1.0 / 3) * ((std::log(1 + 1e-8) - std::log(0.5 + 1e-8)) - (std::log(1 + 1e-8) - std::log(0.5 + 1e-8) + std::log(4 + 1e-8) - std::log(3.2 + 1e-8)) / 2);
    const Vec xi = {0, -0.025 * d1, 0.025 * d1};
    check_near(step(*s, batch({1, 1, 1})), softmax_of(xi));
    check_near(step(*s, batch({0, 0, 0})), {0, 0, 0});
}

// ---- MetaBalance (He et al., WWW 2022) ----

TEST_CASE("metabalance: auxiliary coefficients r m_main / m_k + 1 - r from averaged norms, by hand", "[strategies][metabalance]") {
    // Norms (1, 4, 0.5), main task 0: m = 0.1 (1, 4, 0.5); m_main / m_k = (1, 1/4, 2).
    const Batch b1 = batch({1, 1, 1}, {1, 4, 0.5}), b2 = batch({1, 1, 1}, {2, 4, 0.5});
    auto both = make_strategy("metabalance", 3, 0);
    check_near(step(*both, b1), {1, 0.7 * 0.25 + 0.3, 0.7 * 2 + 0.3});
    // Step 2, norms (2, 4, 0.5): m = 0.9 (0.1, 0.4, 0.05) + 0.1 (2, 4, 0.5) = (0.29, 0.76, 0.095).
    check_near(step(*both, b2), {1, 0.7 * 0.29 / 0.76 + 0.3, 0.7 * 0.29 / 0.095 + 0.3});
    // decrease only touches the larger auxiliary gradient, increase only the smaller one.
    check_near(step(*make_strategy("metabalance", 3, 0, {"strategy=decrease"}), b1), {1, 0.475, 1});
    check_near(step(*make_strategy("metabalance", 3, 0, {"strategy=increase", "relax=0.5"}), b1), {1, 1, 1.5});
    // The main task is whichever ctx.main says: main 1 (norm 4) makes the others larger.
    check_near(step(*make_strategy("metabalance", 3, 1, {"beta=0"}), b1, 1), {0.7 * 4 + 0.3, 1, 0.7 * 8 + 0.3});
}

TEST_CASE("metabalance: relax 1 gives every auxiliary gradient the main one's norm, relax 0 changes nothing", "[strategies][metabalance]") {
    auto full = make_strategy("metabalance", 4, 2, {"relax=1"});
    auto none = make_strategy("metabalance", 4, 2, {"relax=0"});
    const Vec norms = {0.01, 7, 2, 300};
    for (int t = 0; t < 4; ++t) {
        const Vec c = step(*full, batch({1, 1, 1, 1}, norms), 2);
        for (std::size_t k = 0; k < 4; ++k) CHECK(c[k] * norms[k] == Approx(2.0).epsilon(1e-12));
        check_near(step(*none, batch({1, 1, 1, 1}, norms), 2), {1, 1, 1, 1});
    }
}

TEST_CASE("metabalance: a zero auxiliary gradient keeps 1, a zero main gradient shrinks the others to 1 - r", "[strategies][metabalance]") {
    check_near(step(*make_strategy("metabalance", 3, 0), batch({1, 1, 1}, {1, 0, 2})), {1, 1, 0.7 * 0.5 + 0.3});
    check_near(step(*make_strategy("metabalance", 3, 0), batch({1, 1, 1}, {0, 3, 2})), {1, 0.3, 0.3});
}

// ---- all six ----

TEST_CASE("the loss-balancing strategies stay finite and non-negative on degenerate inputs", "[strategies]") {
    for (const char* name : {"rlw", "gls", "dbmtl", "stch", "famo", "metabalance"}) {
        INFO(name);
        // One task: a coefficient of 1 (RLW, GLS, FAMO, MetaBalance), or the log-loss 1 / L.
        auto one = make_strategy(name, 1, 0, {"heads=own"});
        const Vec c1 = step(*one, batch({2}, {3}));
        const bool log_loss = std::string(name) == "dbmtl" || std::string(name) == "stch";
        CHECK(c1[0] == Approx(log_loss ? 0.5 : 1.0).epsilon(1e-7));
        one->after_step(Vec{2}, Vec{1});
        // Zero losses and zero gradients, in and after warm-up, then ordinary steps.
        auto s = make_strategy(name, 3, 1, std::string(name) == "stch" ? std::vector<std::string>{"warmup=0"} : std::vector<std::string>{});
        const std::vector<Batch> batches = {batch({0, 0, 0}, {0, 0, 0}, 0), batch({0, 1, 1e-30}, {0, 1, 1e-20}, 0),
                                            batch({0, 0, 0}, {0, 0, 0}, 1), batch({1e-300, 1, 1e300}, {1e-150, 1, 1e150}, 1),
                                            batch({1, 2, 3}, {1, 1, 1}, 1)};
        for (const Batch& b : batches) {
            const Vec c = step(*s, b, 1);
            for (double x : c) {
                CHECK(std::isfinite(x));
                CHECK(x >= 0);
            }
            s->after_step(b.losses, Vec{0, 0.5, 1e-30});
        }
    }
}

TEST_CASE("the loss-balancing strategies reject meaningless options", "[strategies]") {
    auto error = [](const char* name, std::vector<std::string> options) {
        try {
            make_strategy(name, 3, 0, options);
        } catch (const std::invalid_argument& e) {
            return std::string(e.what());
        }
        return std::string("no error");
    };
    for (const char* name : {"rlw", "gls", "dbmtl", "stch", "famo", "metabalance"}) CHECK_THAT(error(name, {"bogus=1"}), Catch::Contains("unknown option 'bogus'"));
    CHECK_THAT(error("rlw", {"dist=cauchy"}), Catch::Contains("normal, uniform, dirichlet, bernoulli, constrained_bernoulli"));
    CHECK_THAT(error("rlw", {"scale=0"}), Catch::Contains("scale must be > 0"));
    CHECK_THAT(error("dbmtl", {"beta=1"}), Catch::Contains("beta must be in [0, 1)"));
    CHECK_THAT(error("dbmtl", {"beta_sigma=-1"}), Catch::Contains("beta_sigma must be >= 0"));
    CHECK_THAT(error("stch", {"mu=0"}), Catch::Contains("mu must be > 0"));
    CHECK_THAT(error("stch", {"warmup=1.5"}), Catch::Contains("warmup must be an integer >= 0"));
    CHECK_THAT(error("stch", {"preference=1,2"}), Catch::Contains("preference= needs 3 comma-separated values, got 2"));
    CHECK_THAT(error("stch", {"preference=1,0,2"}), Catch::Contains("every preference must be > 0"));
    CHECK_THAT(error("famo", {"lr=-0.1"}), Catch::Contains("lr must be >= 0"));
    CHECK_THAT(error("famo", {"decay=-1"}), Catch::Contains("decay must be >= 0"));
    CHECK_THAT(error("famo", {"update=sgd"}), Catch::Contains("adam, gd"));
    CHECK_THAT(error("metabalance", {"relax=1.5"}), Catch::Contains("relax must be in [0, 1]"));
    CHECK_THAT(error("metabalance", {"beta=-0.1"}), Catch::Contains("beta must be in [0, 1)"));
    CHECK_THAT(error("metabalance", {"strategy=some"}), Catch::Contains("both, decrease, increase"));
}

TEST_CASE("the heads default to each paper's: weighted for the loss weightings, own for MetaBalance", "[strategies]") {
    for (const char* name : {"rlw", "gls", "dbmtl", "stch", "famo"}) CHECK(make_strategy(name, 2, 0)->heads() == Heads::weighted);
    CHECK(make_strategy("metabalance", 2, 0)->heads() == Heads::own);
    CHECK(make_strategy("metabalance", 2, 0, {"heads=weighted"})->heads() == Heads::weighted);
}

// ---- through the trainer ----

namespace {

// Records the losses the trainer gives a strategy around each step; weights 1.
class Recorder final : public Strategy {
public:
    std::string name() const override { return "recorder"; }
    Needs needs() const override {
        Needs n;
        n.losses_after_step = true;
        return n;
    }
    Vec seen, before, after;

private:
    void do_coefficients(const StepContext& ctx, std::span<double> c) override {
        seen.assign(ctx.losses.begin(), ctx.losses.end());
        std::fill(c.begin(), c.end(), 1.0);
    }
    void do_after_step(std::span<const double> b, std::span<const double> a) override {
        before.assign(b.begin(), b.end());
        after.assign(a.begin(), a.end());
    }
};

ModelSpec small_spec(int inputs, double dropout) {
    ModelSpec spec;
    spec.inputs = inputs;
    spec.trunk = {16, 16};
    spec.tasks = synthetic_tasks();
    spec.dropout = dropout;
    return spec;
}

// Every task's loss on `rows` at `model`'s parameters, without dropout: through a copy of
// its parameters in a model without dropout.
Vec losses_without_dropout(const Model<float>& model, const Dataset<float>& data, std::span<const int> rows) {
    Model<float> plain(small_spec(data.features, 0), 1);
    plain.restore(model.snapshot());
    auto equal = make_strategy("equal", 3, 0);
    Trainer<float> t(plain, *equal, TrainOptions{});
    return t.inspect(data, rows).losses;
}

}  // namespace

TEST_CASE("after each step the trainer gives the strategy every task's loss on the batch, before and after, without dropout", "[strategies][famo][trainer]") {
    SyntheticSpec synth;
    synth.rows = 256;
    synth.features = 8;
    const Dataset<float> data = make_synthetic<float>(synth);
    std::vector<int> rows(64);
    std::iota(rows.begin(), rows.end(), 100);
    for (double dropout : {0.0, 0.3}) {
        INFO("dropout " << dropout);
        Model<float> model(small_spec(data.features, dropout), 5);
        Recorder recorder;
        TrainOptions o;
        o.lr = 0.05;
        Trainer<float> trainer(model, recorder, o);
        for (int t = 0; t < 3; ++t) {
            const Vec want_before = losses_without_dropout(model, data, rows);
            trainer.step(data, rows);
            const Vec want_after = losses_without_dropout(model, data, rows);
            check_near_within(recorder.before, want_before, 1e-7);
            check_near_within(recorder.after, want_after, 1e-7);
            CHECK(recorder.after != recorder.before);  // the step moved them
            // Without dropout the training forward's losses are the ones before the step.
            if (dropout == 0) CHECK(recorder.seen == recorder.before);
            if (dropout != 0) CHECK(recorder.seen != recorder.before);
        }
    }
}

TEST_CASE("through the trainer, every step of RLW, GLS, DB-MTL, STCH, FAMO and MetaBalance follows its rule", "[strategies][trainer]") {
    // A real run (synthetic data, 3 tasks, 3 epochs of 8 batches) with the trainer's trace:
    // each step's coefficients against the rule replayed from that step's losses and G.
    SyntheticSpec synth;
    synth.rows = 256;
    synth.features = 8;
    synth.main_labelled = 0.5;  // every batch of 32 labels every task
    const Dataset<float> data = make_synthetic<float>(synth);
    auto run = [&](const std::string& name, const std::vector<std::string>& options) {
        hyda::test::TracedRun r = hyda::test::traced_synthetic_run(data, name, options, 3);
        for (const auto& step : r.steps) {
            for (double c : step.coefficients) {
                CHECK(std::isfinite(c));
                CHECK(c >= 0);
            }
            for (double L : step.losses) CHECK(L > 0);  // every batch labels every task: no sitting out
        }
        return r;
    };
    const std::size_t K = 3;
    auto norm = [&](const hyda::test::TracedStep& s, std::size_t k) { return std::sqrt(s.gram[k * K + k]); };

    SECTION("rlw: a fresh probability vector every step, the same for the same seed") {
        const auto a = run("rlw", {}), b = run("rlw", {});
        for (std::size_t t = 0; t < a.steps.size(); ++t) {
            CHECK(sum(a.steps[t].coefficients) == Approx(1.0).epsilon(1e-14));
            CHECK(a.steps[t].coefficients == b.steps[t].coefficients);
            if (t > 0) CHECK(a.steps[t].coefficients != a.steps[t - 1].coefficients);
        }
    }
    SECTION("gls: (prod L)^(1/K) / (K L_k)") {
        for (const auto& step : run("gls", {}).steps) {
            const double gm = std::cbrt(step.losses[0] * step.losses[1] * step.losses[2]);
            check_near(step.coefficients, {gm / (3 * step.losses[0]), gm / (3 * step.losses[1]), gm / (3 * step.losses[2])});
        }
    }
    SECTION("dbmtl: averaged log-gradient norms, c_k = (max m / m_k) / L_k") {
        Vec m(K, 0.0);
        for (const auto& step : run("dbmtl", {}).steps) {
            for (std::size_t k = 0; k < K; ++k) m[k] = 0.9 * m[k] + 0.1 * norm(step, k) / (step.losses[k] + 1e-8);
            const double top = *std::max_element(m.begin(), m.end());
            Vec want;
            for (std::size_t k = 0; k < K; ++k) want.push_back(top / m[k] / (step.losses[k] + 1e-8));
            check_near(step.coefficients, want);
        }
    }
    SECTION("stch: 1 / L for two epochs, then K softmax(log(L / n)) / L with n the second epoch's mean") {
        const auto r = run("stch", {"warmup=1"});
        Vec n(K, 0.0);
        for (const auto& step : r.steps)
            if (step.epoch == 1)
                for (std::size_t k = 0; k < K; ++k) n[k] += step.losses[k] / 8;
        for (const auto& step : r.steps) {
            Vec want;
            if (step.epoch < 2) {
                for (double L : step.losses) want.push_back(1 / L);
            } else {
                Vec a;
                for (std::size_t k = 0; k < K; ++k) a.push_back(std::log(step.losses[k] / n[k]));
                const Vec s = softmax_of(a);
                for (std::size_t k = 0; k < K; ++k) want.push_back(3 * s[k] / step.losses[k]);
            }
            check_near(step.coefficients, want);
        }
    }
    SECTION("famo: a probability vector, the normalised 1 / L at first, then moved by the logits") {
        const auto r = run("famo", {});
        check_near(r.steps[0].coefficients, reciprocals_normalised(r.steps[0].losses));
        double moved = 0;
        for (const auto& step : r.steps) {
            CHECK(sum(step.coefficients) == Approx(1.0).epsilon(1e-14));
            const Vec flat = reciprocals_normalised(step.losses);
            for (std::size_t k = 0; k < K; ++k) moved = std::max(moved, std::abs(step.coefficients[k] - flat[k]));
        }
        CHECK(moved > 1e-3);
    }
    SECTION("metabalance: r m_main / m_k + 1 - r from the averaged norms") {
        Vec m(K, 0.0);
        for (const auto& step : run("metabalance", {}).steps) {
            for (std::size_t k = 0; k < K; ++k) m[k] = 0.9 * m[k] + 0.1 * norm(step, k);
            check_near(step.coefficients, {1, 0.7 * m[0] / m[1] + 0.3, 0.7 * m[0] / m[2] + 0.3});
        }
    }
}

TEST_CASE("the loss-balancing strategies train on both shipped data sets without a non-finite or negative coefficient", "[strategies][data]") {
    struct Shipped {
        const char* file;
        std::vector<std::string> targets, drop;
    };
    const std::vector<Shipped> sets = {{"/lending_club.csv", {"Class=bad", "int_rate:regression", "sub_grade:multiclass"}, {}},
                                       {"/rotterdam.csv", {"death=1", "recur", "rtime:logregression"}, {"pid", "dtime"}}};
    for (const Shipped& set : sets) {
        INFO(set.file);
        const Table table = read_table(std::string(HYDA_EXAMPLE_DATA) + set.file);
        DataSpec spec;
        for (const std::string& t : set.targets) spec.targets.push_back(parse_target(t));
        spec.drop = set.drop;
        std::vector<int> rows(768);
        std::iota(rows.begin(), rows.end(), 0);
        const Preprocessor p = Preprocessor::fit(table, spec, rows);
        const Dataset<float> data = p.transform<float>(table, rows);
        for (const char* name : {"rlw", "gls", "dbmtl", "stch", "famo", "metabalance"}) {
            INFO(name);
            ModelSpec model_spec;
            model_spec.inputs = p.inputs();
            model_spec.trunk = {32};
            model_spec.tasks = p.tasks();
            model_spec.dropout = 0.1;
            Model<float> model(model_spec, 2);
            auto strategy = make_strategy(name, model.tasks(), 0, std::string(name) == "stch" ? std::vector<std::string>{"warmup=0"} : std::vector<std::string>{});
            TrainOptions o;
            o.epochs = 2;
            o.batch_size = 64;
            hyda::test::TracedRun r = hyda::test::fit_traced(model, *strategy, data, o);
            for (const auto& step : r.steps)
                for (double c : step.coefficients) {
                    CHECK(std::isfinite(c));
                    CHECK(c >= 0);
                }
            for (const auto& epoch : r.result.epochs)
                for (double L : epoch.train_loss) CHECK(std::isfinite(L));
        }
    }
}
