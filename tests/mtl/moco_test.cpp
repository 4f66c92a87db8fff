// MoCo (Fernando et al., ICLR 2023): the strategy sets how the tracked gradients follow
// the task gradients (track()) and steps its weights on their Gram matrix. The tests play
// the trainer's part on explicit gradient vectors and compare the update direction
// sum_k lambda_k y_k with a hand computation and with the paper's rule run on the vectors
// (its simplex projection by sorting, not the strategy's QP); then the weights' defining
// property (they stay on the simplex) and training end to end.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <functional>
#include <numeric>
#include <random>
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
using hyda::test::gram_of;
using hyda::test::random_gradients;
using hyda::test::Vec;
using hyda::test::Vectors;


void check_near(const Vec& got, const Vec& want, double margin = 1e-12) {
    REQUIRE(got.size() == want.size());
    for (std::size_t i = 0; i < got.size(); ++i) CHECK(got[i] == Approx(want[i]).margin(margin));
}

// The strategy with the trainer's part played on vectors: y_k <- (1 - rate) y_k + rate s_k g_k
// from y_k = 0, tracked_gram from the y_k.
struct Driver {
    std::unique_ptr<Strategy> s;
    Vectors y;
    std::int64_t step = 0;
    double last_rate = 0;

    Driver(int K, const std::vector<std::string>& options) : s(make_strategy("moco", K, 0, options)) {}

    // The coefficients lambda; the direction is combine(y, lambda).
    Vec next(const Vectors& g, Vec losses = {}) {
        const std::size_t K = g.size();
        if (losses.empty()) losses.assign(K, 1.0);
        if (y.empty()) y.assign(K, Vec(g[0].size(), 0.0));
        const Vec G = gram_of(g);
        StepContext ctx;
        ctx.tasks = int(K);
        ctx.losses = losses;
        ctx.gram = G;
        ctx.step = step++;
        Vec scale(K);
        last_rate = s->track(ctx, scale);
        for (std::size_t k = 0; k < K; ++k)
            for (std::size_t e = 0; e < y[k].size(); ++e) y[k][e] = (1 - last_rate) * y[k][e] + last_rate * scale[k] * g[k][e];
        const Vec Y = gram_of(y);
        ctx.tracked_gram = Y;
        Vec c(K);
        s->coefficients(ctx, c);
        return c;
    }
};

// The Euclidean projection onto the simplex by sorting: with u the entries in decreasing
// order, r the largest index where u_r > (u_1 + ... + u_r - 1) / r, and theta that value,
// the projection is max(v - theta, 0).
Vec project_by_sorting(const Vec& v) {
    Vec u = v;
    std::sort(u.begin(), u.end(), std::greater<>());
    double sum = 0, theta = 0;
    for (std::size_t r = 0; r < u.size(); ++r) {
        sum += u[r];
        if (u[r] > (sum - 1) / double(r + 1)) theta = (sum - 1) / double(r + 1);
    }
    Vec out(v.size());
    for (std::size_t k = 0; k < v.size(); ++k) out[k] = std::max(v[k] - theta, 0.0);
    return out;
}

// The paper's rule on the vectors, with step sizes beta / t^beta_sigma and
// gamma / t^gamma_sigma (t from 1), and LibMTL's L_k g_k / ||g_k|| if asked.
struct ReferenceMoCo {
    double beta, beta_sigma, gamma, gamma_sigma, rho;
    bool normalize;
    Vectors y;
    Vec lambda;
    int t = 0;

    // The update direction Y lambda.
    Vec step(const Vectors& g, const Vec& losses) {
        const std::size_t K = g.size();
        if (y.empty()) y.assign(K, Vec(g[0].size(), 0.0)), lambda.assign(K, 1.0 / double(K));
        ++t;
        const double b = beta / std::pow(t, beta_sigma), step = gamma / std::pow(t, gamma_sigma);
        for (std::size_t k = 0; k < K; ++k) {
            const double s = normalize ? losses[k] / std::sqrt(dot(g[k], g[k])) : 1.0;
            for (std::size_t e = 0; e < y[k].size(); ++e) y[k][e] -= b * (y[k][e] - s * g[k][e]);
        }
        Vec v(K);
        for (std::size_t i = 0; i < K; ++i) {
            double yy_lambda = 0;
            for (std::size_t j = 0; j < K; ++j) yy_lambda += dot(y[i], y[j]) * lambda[j];
            v[i] = lambda[i] - step * (yy_lambda + rho * lambda[i]);
        }
        lambda = project_by_sorting(v);
        return combine(y, lambda);
    }
};

}  // namespace

TEST_CASE("MoCo on two gradients over two steps, by hand", "[strategies][moco]") {
    // Defaults: beta 0.5, gamma 0.1, both decaying as 1/sqrt(t), rho 0. g0 = (1, 0),
    // g1 = (0, 2), the same on both steps.
    Driver d(2, {});
    const Vectors g = {{1, 0}, {0, 2}};
    // Step 1: rate 0.5: y0 = (0.5, 0), y1 = (0, 1); Y^T Y = diag(0.25, 1).
    //   lambda - 0.1 Y^T Y lambda = (0.5 - 0.0125, 0.5 - 0.05) = (0.4875, 0.45), whose
    //   projection on the simplex adds (1 - 0.9375) / 2 to both: (0.51875, 0.48125).
    Vec c = d.next(g);
    CHECK(d.last_rate == 0.5);
    check_near(c, {0.51875, 0.48125});
    check_near(combine(d.y, c), {0.259375, 0.48125});
    // Step 2: rate b = 0.5 / sqrt(2): y0 = (0.5 + b 0.5, 0), y1 = (0, 1 + b);
    //   v_k = lambda_k (1 - (0.1 / sqrt(2)) ||y_k||^2), projected: v + (1 - v0 - v1) / 2.
    const double b = 0.5 / std::sqrt(2.0), y0 = 0.5 + b * 0.5, y1 = 1 + b, step = 0.1 / std::sqrt(2.0);
    const double v0 = 0.51875 * (1 - step * y0 * y0), v1 = 0.48125 * (1 - step * y1 * y1), shift = (1 - v0 - v1) / 2;
    c = d.next(g);
    CHECK(d.last_rate == Approx(b).epsilon(1e-15));
    check_near(c, {v0 + shift, v1 + shift});
    check_near(combine(d.y, c), {(v0 + shift) * y0, (v1 + shift) * y1});
}

TEST_CASE("MoCo follows its rule on the vectors over many steps", "[strategies][moco]") {
    std::mt19937_64 rng(29);
    struct Case {
        std::vector<std::string> options;
        ReferenceMoCo reference;
    };
    const std::vector<Case> cases = {
        {{}, {0.5, 0.5, 0.1, 0.5, 0, false, {}, {}, 0}},
        {{"gamma=2", "rho=0.5", "beta=0.9", "beta_sigma=0"}, {0.9, 0, 2, 0.5, 0.5, false, {}, {}, 0}},  // the projection clips
        {{"normalize=loss", "gamma_sigma=1"}, {0.5, 0.5, 0.1, 1, 0, true, {}, {}, 0}},
    };
    for (int K : {2, 3, 6}) {
        for (Case c : cases) {
            INFO(K << " tasks, case " << c.options.size());
            Driver d(K, c.options);
            for (int t = 0; t < 40; ++t) {
                Vectors g = random_gradients(K, 5, rng);
                Vec losses(static_cast<std::size_t>(K));
                for (double& l : losses) l = 0.5 + std::abs(g[0][0]);
                const Vec lambda = d.next(g, losses);
                check_near(combine(d.y, lambda), c.reference.step(g, losses), 1e-10);
                check_near(lambda, c.reference.lambda, 1e-10);
            }
        }
    }
}

TEST_CASE("MoCo's weights stay on the simplex", "[strategies][moco]") {
    std::mt19937_64 rng(31);
    int vertices = 0;
    for (int K : {2, 4, 8}) {
        Driver d(K, {"gamma=5", "gamma_sigma=0"});  // large steps: the projection often lands on a face
        for (int t = 0; t < 100; ++t) {
            Vectors g = random_gradients(K, 6, rng);
            for (double& x : g[std::size_t(t) % std::size_t(K)]) x *= 5;  // an unbalanced task
            const Vec lambda = d.next(g);
            for (double l : lambda) CHECK(l >= 0);
            CHECK(std::accumulate(lambda.begin(), lambda.end(), 0.0) == Approx(1).margin(1e-14));
            vertices += std::count(lambda.begin(), lambda.end(), 0.0) > 0;
        }
    }
    CHECK(vertices > 10);
}

TEST_CASE("MoCo at beta = 1 tracks the current gradients", "[strategies][moco]") {
    // beta_t = 1 / t^0 = 1 with factor 1: y_k = (1 - 1) y_k + g_k = g_k at every step (the
    // trainer's side is checked in layer_and_tracked_gram_test.cpp), and the weights step on
    // G itself.
    std::mt19937_64 rng(37);
    Driver d(3, {"beta=1", "beta_sigma=0"});
    ReferenceMoCo reference{1, 0, 0.1, 0.5, 0, false, {}, {}, 0};
    for (int t = 0; t < 5; ++t) {
        const Vectors g = random_gradients(3, 4, rng);
        const Vec lambda = d.next(g);
        CHECK(d.last_rate == 1);
        CHECK(d.y == g);
        check_near(combine(g, lambda), reference.step(g, Vec(3, 1.0)));
    }
}

TEST_CASE("MoCo's normalize=loss enters L_k g_k / ||g_k||, and 0 for a zero gradient", "[strategies][moco]") {
    auto s = make_strategy("moco", 3, 0, {"normalize=loss"});
    const Vec G = {4, 0, 0, 0, 0, 0, 0, 0, 0.25}, losses = {3, 2, 1};
    StepContext ctx;
    ctx.tasks = 3;
    ctx.losses = losses;
    ctx.gram = G;
    Vec scale(3);
    s->track(ctx, scale);
    check_near(scale, {1.5, 0, 2});
    make_strategy("moco", 3, 0)->track(ctx, scale);  // normalize=none
    check_near(scale, {1, 1, 1});
}

TEST_CASE("MoCo checks its options", "[strategies][moco]") {
    CHECK_THROWS_WITH(make_strategy("moco", 3, 0, {"beta=0"}), Catch::Contains("beta must be in (0, 1]"));
    CHECK_THROWS_WITH(make_strategy("moco", 3, 0, {"beta=1.1"}), Catch::Contains("beta must be in (0, 1]"));
    CHECK_THROWS_WITH(make_strategy("moco", 3, 0, {"rho=-1"}), Catch::Contains("rho must be >= 0"));
    CHECK_THROWS_WITH(make_strategy("moco", 3, 0, {"gamma_sigma=-0.5"}), Catch::Contains("gamma_sigma must be >= 0"));
    CHECK_THROWS_WITH(make_strategy("moco", 3, 0, {"normalize=l2"}), Catch::Contains("none, loss"));
    CHECK_THROWS_WITH(make_strategy("moco", 3, 0, {"bogus=1"}), Catch::Contains("unknown option 'bogus'"));
    CHECK(make_strategy("moco", 3, 0)->heads() == Heads::own);
    CHECK(make_strategy("moco", 3, 0)->needs().tracked_gradients);
}

TEST_CASE("through the trainer, MoCo trains with its weights on the simplex", "[strategies][moco]") {
    SyntheticSpec synth;
    synth.rows = 256;
    synth.features = 8;
    const Dataset<float> data = make_synthetic<float>(synth);
    for (const char* normalize : {"none", "loss"}) {
        INFO(normalize);
        const hyda::test::TracedRun r = hyda::test::traced_synthetic_run(data, "moco", {std::string("normalize=") + normalize}, 4);
        for (const auto& s : r.steps) {
            for (double c : s.coefficients) CHECK(c >= 0);
            CHECK(std::accumulate(s.coefficients.begin(), s.coefficients.end(), 0.0) == Approx(1).margin(1e-12));
        }
        CHECK(r.steps.back().coefficients != r.steps.front().coefficients);
        const auto total = [](const EpochReport& e) { return std::accumulate(e.train_loss.begin(), e.train_loss.end(), 0.0); };
        CHECK(total(r.result.epochs.back()) < total(r.result.epochs.front()));
    }
}
