// IMTL, Nash-MTL, FairGrad, Aligned-MTL, UPGrad and DualProj on given gradients: each
// against hand computations of its paper's formula (and the examples in torchjd's
// documentation), the property it guarantees on random gradients (of every rank), and
// degenerate inputs (a zero gradient, identical gradients, one task).
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <string>
#include <vector>

#include "hyda/mtl/strategy.hpp"
#include "random_gradients.hpp"
#include "throws.hpp"

using namespace hyda::mtl;
using hyda::test::Gradients;

namespace {

using Vec = std::vector<double>;

// The coefficients of one step on explicit gradients (their Gram matrix, also given as
// the trunk output's for the ub=on variants).
Vec step(Strategy& s, const Gradients& g, Vec losses = {}, std::int64_t at = 0) {
    const std::size_t K = g.size();
    if (losses.empty()) losses.assign(K, 1.0);
    const Vec G = hyda::test::gram_of(g);
    StepContext ctx;
    ctx.tasks = int(K);
    ctx.losses = losses;
    ctx.gram = G;
    ctx.feature_gram = G;
    ctx.step = at;
    Vec c(K, NAN);
    s.coefficients(ctx, c);
    return c;
}

Vec heads(const Strategy& s, const Vec& c) {
    Vec h(c.size(), NAN);
    s.head_weights(c, h);
    return h;
}

void check_near(const Vec& got, const Vec& want, double eps = 1e-12) {
    REQUIRE(got.size() == want.size());
    for (std::size_t k = 0; k < want.size(); ++k) {
        INFO("task " << k);
        CHECK(got[k] == Approx(want[k]).epsilon(eps).margin(eps));
    }
}

double sum(const Vec& v) { return std::accumulate(v.begin(), v.end(), 0.0); }
double norm(const Vec& v) { return std::sqrt(hyda::test::dot(v, v)); }

// The paper's IMTL-G formula on explicit vectors, g_1 the reference: a_{2..K} =
// g_1 U^T (D U^T)^-1, D_k = g_1 - g_k, U_k = u_1 - u_k; a_1 = 1 - sum a_{2..K}. The
// (K-1) x (K-1) system by Gaussian elimination with partial pivoting.
Vec imtl_paper(const Gradients& g) {
    const std::size_t K = g.size(), m = K - 1;
    Gradients u = g;
    for (auto& v : u) {
        const double n = norm(v);
        for (double& x : v) x /= n;
    }
    // Solve x (D U^T) = g_1 U^T, i.e. (D U^T)^T x^T = (g_1 U^T)^T: M_ij = <D_j, U_i>.
    std::vector<Vec> M(m, Vec(m + 1));
    for (std::size_t i = 0; i < m; ++i) {
        Vec Ui(u[0].size()), Dj(g[0].size());
        for (std::size_t e = 0; e < Ui.size(); ++e) Ui[e] = u[0][e] - u[i + 1][e];
        for (std::size_t j = 0; j < m; ++j) {
            for (std::size_t e = 0; e < Dj.size(); ++e) Dj[e] = g[0][e] - g[j + 1][e];
            M[i][j] = hyda::test::dot(Dj, Ui);
        }
        M[i][m] = hyda::test::dot(g[0], Ui);
    }
    for (std::size_t c = 0; c < m; ++c) {
        std::size_t p = c;
        for (std::size_t r = c + 1; r < m; ++r)
            if (std::abs(M[r][c]) > std::abs(M[p][c])) p = r;
        std::swap(M[c], M[p]);
        for (std::size_t r = 0; r < m; ++r) {
            if (r == c) continue;
            const double f = M[r][c] / M[c][c];
            for (std::size_t k = c; k <= m; ++k) M[r][k] -= f * M[c][k];
        }
    }
    Vec a(K);
    a[0] = 1;
    for (std::size_t i = 0; i < m; ++i) a[i + 1] = M[i][m] / M[i][i], a[0] -= a[i + 1];
    return a;
}

}  // namespace

// ---- IMTL (Liu et al., ICLR 2021) ----

TEST_CASE("imtl gradient: two tasks by hand, and torchjd's IMTLG example", "[strategies][imtl]") {
    auto s = make_strategy("imtl", 2, 0, {"mode=gradient"});
    // g_1 = (1, 0), g_2 = (0, 2): u_1 - u_2 = (1, -1), g_1 - g_2 = (1, -2);
    // a_2 = <g_1, u_1 - u_2> / <g_1 - g_2, u_1 - u_2> = 1 / 3, a_1 = 2 / 3: d = (2/3, 2/3).
    check_near(step(*s, {{1, 0}, {0, 2}}), {2.0 / 3, 1.0 / 3});
    // g_1 = (3, 0), g_2 = (1, 1): a_2 = 3 (1 - 1/sqrt2) / (2 - 1/sqrt2).
    const double r = 1 / std::sqrt(2.0), a2 = 3 * (1 - r) / (2 - r);
    check_near(step(*s, {{3, 0}, {1, 1}}), {1 - a2, a2});
    // torchjd's documentation: J = [[-4, 1, 1], [6, 1, 1]] aggregates to (0.0767, 1, 1).
    const Gradients J{{-4, 1, 1}, {6, 1, 1}};
    const Vec d = hyda::test::combine(J, step(*s, J));
    CHECK(d[0] == Approx(0.0767).margin(5e-5));
    CHECK(d[1] == Approx(1).epsilon(1e-12));
    CHECK(d[2] == Approx(1).epsilon(1e-12));
}

TEST_CASE("imtl gradient: the paper's formula, and equal projections on every unit gradient, on random gradients", "[strategies][imtl]") {
    hyda::ad::Rng rng(21);
    for (int K : {2, 3, 4, 6, 8}) {
        for (int trial = 0; trial < 10; ++trial) {
            INFO("K " << K << ", trial " << trial);
            const Gradients g = hyda::test::random_gradients(K, K + 4, K, 1.5, rng);
            auto s = make_strategy("imtl", K, 0, {"mode=gradient"});
            const Vec a = step(*s, g);
            check_near(a, imtl_paper(g), 1e-8);
            CHECK(sum(a) == Approx(1).epsilon(1e-12));
            const Vec d = hyda::test::combine(g, a);
            const double first = hyda::test::dot(d, g[0]) / norm(g[0]);
            for (const Vec& gk : g) CHECK(hyda::test::dot(d, gk) / norm(gk) == Approx(first).epsilon(1e-9));
            CHECK(heads(*s, a) == Vec(std::size_t(K), 1.0));  // IMTL-G leaves the heads alone
        }
    }
}

TEST_CASE("imtl gradient: a zero gradient, identical gradients, one task, no gradient at all", "[strategies][imtl]") {
    auto two = make_strategy("imtl", 2, 0, {"mode=gradient"});
    check_near(step(*two, {{2, 1}, {0, 0}}), {1, 0});          // the zero gradient takes no part
    check_near(step(*two, {{2, 1}, {2, 1}}), {0.5, 0.5});      // identical: shared equally
    check_near(step(*two, {{0, 0}, {0, 0}}), {0, 0});          // nothing to balance
    // Parallel gradients of different norms: every combination has equal projections; the
    // unit vectors share equally, a ~ N^-1 C^+ 1 = (1/2, 1/4) / |g_1|: (2/3, 1/3), the limit
    // of the paper's formula as g_2 = 2 (g_1 + e) turns into 2 g_1.
    check_near(step(*two, {{1, 0}, {2, 0}}), {2.0 / 3, 1.0 / 3}, 1e-9);
    check_near(imtl_paper({{1, 0}, {2, 2e-4}}), {2.0 / 3, 1.0 / 3}, 1e-3);
    auto one = make_strategy("imtl", 1, 0, {"mode=gradient"});
    check_near(step(*one, {{3, 4}}), {1});
    // Three tasks, two identical: the third keeps equal projections with the pair.
    auto three = make_strategy("imtl", 3, 0, {"mode=gradient"});
    const Gradients g{{1, 0}, {1, 0}, {0, 2}};
    const Vec a = step(*three, g);
    for (double x : a) CHECK(std::isfinite(x));
    CHECK(a[0] == Approx(a[1]));
    const Vec d = hyda::test::combine(g, a);
    CHECK(d[0] == Approx(d[1] / 1.0 * 1.0).epsilon(1e-12));  // projections on (1, 0) and (0, 1) equal
}

TEST_CASE("imtl loss: c = e^s, s descends e^s L - 1, by hand; the scales settle at 1 / L", "[strategies][imtl]") {
    auto s = make_strategy("imtl", 2, 0, {"mode=loss", "lr=0.1"});
    const Gradients g{{1, 0}, {0, 1}};
    // Step 1: s = (0, 0), c = (1, 1); losses (2, 0.5): s = (-0.1 (2 - 1), -0.1 (0.5 - 1)) = (-0.1, 0.05).
    check_near(step(*s, g, {2, 0.5}), {1, 1});
    const Vec c = step(*s, g, {1, 1});
    check_near(c, {std::exp(-0.1), std::exp(0.05)});
    check_near(heads(*s, c), c);  // the scaled losses reach the heads
    auto settle = make_strategy("imtl", 3, 0, {"mode=loss", "lr=0.05"});
    Vec w;
    for (int t = 0; t < 3000; ++t) w = step(*settle, {{1}, {1}, {1}}, {4, 1, 0.25});
    check_near(w, {0.25, 1, 4}, 1e-6);
}

TEST_CASE("imtl hybrid: IMTL-G on the scaled gradients, heads scaled by e^s alone", "[strategies][imtl]") {
    hyda::ad::Rng rng(8);
    const Gradients g = hyda::test::random_gradients(3, 5, 3, 1.0, rng);
    auto hybrid = make_strategy("imtl", 3, 0, {"lr=0.2"});  // mode=hybrid is the default
    auto gradient = make_strategy("imtl", 3, 0, {"mode=gradient"});
    const Vec losses{3, 0.5, 1.5};
    step(*hybrid, g, losses);  // s moves: s = -0.2 (L - 1)
    const Vec scale{std::exp(-0.2 * 2), std::exp(-0.2 * -0.5), std::exp(-0.2 * 0.5)};
    const Vec c = step(*hybrid, g, losses);
    // Shared: a_k e^{s_k} with a IMTL-G's on the g_k e^{s_k}: the direction of IMTL-G on the
    // g_k, and sum_k a_k = 1.
    Gradients scaled = g;
    for (std::size_t k = 0; k < 3; ++k)
        for (double& x : scaled[k]) x *= scale[k];
    const Vec a = imtl_paper(scaled);
    check_near(c, {a[0] * scale[0], a[1] * scale[1], a[2] * scale[2]}, 1e-9);
    const Vec plain = step(*gradient, g);
    for (std::size_t k = 0; k < 3; ++k) CHECK(c[k] / plain[k] == Approx(c[0] / plain[0]).epsilon(1e-9));
    check_near(heads(*hybrid, c), scale);
}

// ---- Nash-MTL (Navon et al., ICML 2022) ----

TEST_CASE("nashmtl: orthogonal and symmetric gradients by hand; the shared step clipped, the heads not", "[strategies][nashmtl]") {
    const double rho = 1e-8;
    // G = diag(3, 4), ||G||_F = 5: a_k = 1 / sqrt(G_kk (1 + rho) / 5) = (1 / sqrt(0.6), 1 / sqrt(0.8)).
    const Gradients orthogonal{{std::sqrt(3.0), 0}, {0, 2}};
    const Vec a{1 / std::sqrt(0.6 * (1 + rho)), 1 / std::sqrt(0.8 * (1 + rho))};
    auto unclipped = make_strategy("nashmtl", 2, 0, {"max_norm=0"});
    check_near(step(*unclipped, orthogonal), a);
    // ||d||^2 = a^T G a = 3 / 0.6 + 4 / 0.8 = 10 (up to rho): max_norm 1 divides by sqrt 10.
    auto clipped = make_strategy("nashmtl", 2, 0);
    const Vec c = step(*clipped, orthogonal);
    const double length = std::sqrt(3 * a[0] * a[0] + 4 * a[1] * a[1]);
    check_near(c, {a[0] / length, a[1] / length});
    check_near(heads(*clipped, c), a);
    CHECK(clipped->heads() == Heads::weighted);
    // G = [[2, 1], [1, 2]] s: a_1 = a_2 = 1 / sqrt((3 + 2 rho) / sqrt 10) for any scale s.
    for (double scale : {1e-6, 1.0, 1e6}) {
        const double r = std::sqrt(scale), want = 1 / std::sqrt((3 + 2 * rho) / std::sqrt(10.0));
        check_near(step(*unclipped, {{r, r, 0}, {r, 0, r}}), {want, want}, 1e-10);
    }
}

TEST_CASE("nashmtl: G a = 1 / a on the normalised Gram matrix, on random gradients", "[strategies][nashmtl]") {
    hyda::ad::Rng rng(33);
    for (int K : {2, 3, 5, 8}) {
        for (int trial = 0; trial < 10; ++trial) {
            INFO("K " << K << ", trial " << trial);
            const Gradients g = hyda::test::random_gradients(K, K + 2, K, 2.0, rng);
            auto s = make_strategy("nashmtl", K, 0);
            const Vec c = step(*s, g);
            const Vec a = heads(*s, c);
            Vec G = hyda::test::gram_of(g);
            double f = 0;
            for (double x : G) f += x * x;
            for (double& x : G) x /= std::sqrt(f);
            for (double x : a) CHECK(x > 0);
            CHECK(hyda::test::fair_residual(G, 1e-8, 1.0, a) <= 1e-10);  // (G + 1e-8 I) a = 1 / a
            CHECK(hyda::test::fair_residual(G, 0, 1.0, a) <= 1e-6);      // without the ridge
            // The shared step: a scaled to norm min(||d||, 1).
            const double length = norm(hyda::test::combine(g, a));
            check_near(c, [&] { Vec x = a; for (double& v : x) v *= std::min(1.0, 1 / length); return x; }(), 1e-12);
        }
    }
}

TEST_CASE("nashmtl: update_weights_every keeps a between updates, the clipping follows each step's G", "[strategies][nashmtl]") {
    auto s = make_strategy("nashmtl", 2, 0, {"update_weights_every=3"});
    const Gradients first{{1, 0}, {0, 1}}, second{{3, 0}, {1, 1}};
    const Vec a0 = heads(*s, step(*s, first, {}, 0));
    for (std::int64_t at : {1, 2}) {
        const Vec c = step(*s, second, {}, at);
        check_near(heads(*s, c), a0);
        const double length = norm(hyda::test::combine(second, a0));
        check_near(c, {a0[0] * std::min(1.0, 1 / length), a0[1] * std::min(1.0, 1 / length)});
    }
    auto fresh = make_strategy("nashmtl", 2, 0);
    check_near(heads(*s, step(*s, second, {}, 3)), heads(*fresh, step(*fresh, second)));
}

TEST_CASE("nashmtl: a zero gradient, identical and opposite gradients, one task: finite coefficients", "[strategies][nashmtl]") {
    auto s = make_strategy("nashmtl", 2, 0, {"max_norm=0"});
    // A zero gradient: task 0 alone (a_0 = 1), task 1 keeps its coefficient (initially 1).
    check_near(step(*s, {{2, 0}, {0, 0}}), {1 / std::sqrt(1 + 1e-8), 1}, 1e-9);
    const Vec same = step(*s, {{2, 1}, {2, 1}});  // G / ||G||_F = [[1, 1], [1, 1]] / 2
    check_near(same, {1 / std::sqrt(1 + 0.5e-8), 1 / std::sqrt(1 + 0.5e-8)}, 1e-9);
    check_near(step(*s, {{0, 0}, {1, 0}}), {same[0], 1 / std::sqrt(1 + 1e-8)}, 1e-9);  // task 0 keeps its last a
    const Vec opposite = step(*s, {{1, 0}, {-1, 0}});  // Pareto-stationary: only the ridge, a = 1 / sqrt(1e-8 / 2)
    check_near(opposite, {std::sqrt(2e8), std::sqrt(2e8)}, 1e-4);  // ill-conditioned: see alpha_fair_test
    CHECK(norm(hyda::test::combine({{1, 0}, {-1, 0}}, opposite)) < 1e-12 * opposite[0]);
    auto one = make_strategy("nashmtl", 1, 0, {"max_norm=0"});
    check_near(step(*one, {{3, 4}}), {1 / std::sqrt(1 + 1e-8)});  // G / ||G|| = (1)
    // No gradient at all: the previous coefficients (initially 1), as the authors' fallback.
    auto zero = make_strategy("nashmtl", 2, 0);
    check_near(step(*zero, {{0, 0}, {0, 0}}), {1, 1});
    const Vec before = heads(*zero, step(*zero, {{1, 0}, {0, 2}}));
    check_near(heads(*zero, step(*zero, {{0, 0}, {0, 0}})), before);
}

// ---- FairGrad (Ban & Ji, ICML 2024) ----

TEST_CASE("fairgrad: G w = w^(-1/alpha) by hand, and alpha = 1 is Nash-MTL's system on G itself", "[strategies][fairgrad]") {
    const double rho = 1e-8;
    // G = [[2, 1], [1, 2]], alpha = 2: w_1 = w_2 = w, (3 + 2 rho) w = w^(-1/2).
    auto two = make_strategy("fairgrad", 2, 0, {"alpha=2", "max_norm=0"});
    const double w = std::pow(3 + 2 * rho, -2.0 / 3);
    check_near(step(*two, {{1, 1, 0}, {1, 0, 1}}), {w, w}, 1e-12);
    // alpha = 1: Nash-MTL's a (on G / ||G||_F) divided by sqrt(||G||_F).
    hyda::ad::Rng rng(4);
    const Gradients g = hyda::test::random_gradients(4, 6, 4, 1.0, rng);
    auto fair = make_strategy("fairgrad", 4, 0, {"max_norm=0"});
    auto nash = make_strategy("nashmtl", 4, 0, {"max_norm=0"});
    double f = 0;
    for (double x : hyda::test::gram_of(g)) f += x * x;
    Vec want = step(*nash, g);
    for (double& x : want) x /= std::sqrt(std::sqrt(f));
    check_near(step(*fair, g), want, 1e-10);
    CHECK(fair->heads() == Heads::own);
}

TEST_CASE("fairgrad: the alpha-fair system on random gradients; the clipped step; degenerate inputs", "[strategies][fairgrad]") {
    hyda::ad::Rng rng(12);
    for (double alpha : {0.5, 1.0, 2.0, 5.0}) {
        for (int K : {2, 3, 6}) {
            INFO("alpha " << alpha << ", K " << K);
            const Gradients g = hyda::test::random_gradients(K, K + 2, K, 1.0, rng);
            auto s = make_strategy("fairgrad", K, 0, {"alpha=" + std::to_string(alpha)});
            const Vec c = step(*s, g);
            const Vec w = heads(*s, c);
            const Vec G = hyda::test::gram_of(g);
            CHECK(hyda::test::fair_residual(G, 1e-8, alpha, w) <= 1e-10);
            const double length = norm(hyda::test::combine(g, w));
            CHECK(norm(hyda::test::combine(g, c)) == Approx(std::min(length, 1.0)).epsilon(1e-12));
        }
    }
    auto s = make_strategy("fairgrad", 2, 0, {"max_norm=0"});
    check_near(step(*s, {{2, 0}, {0, 0}}), {std::pow(4 * (1 + 1e-8), -0.5), 0}, 1e-9);  // a zero gradient: 0
    check_near(step(*s, {{0, 0}, {0, 0}}), {0, 0});
    const Vec same = step(*s, {{1, 1}, {1, 1}});
    CHECK(same[0] == Approx(same[1]));
    auto one = make_strategy("fairgrad", 1, 0, {"max_norm=0", "alpha=2"});
    check_near(step(*one, {{0, 2}}), {std::pow(4 * (1 + 1e-8), -2.0 / 3)});
}

// ---- Aligned-MTL (Senushkin et al., CVPR 2023) ----

TEST_CASE("alignedmtl: B = sqrt(lambda_min) V Lambda^(-1/2) V^T by hand, c = B w", "[strategies][alignedmtl]") {
    // G = diag(4, 1): B = diag(1/2, 1), c = (1/2, 1): both aligned gradients of norm 1.
    auto s = make_strategy("alignedmtl", 2, 0);
    check_near(step(*s, {{2, 0}, {0, 1}}), {0.5, 1});
    // G = [[2, 1], [1, 2]]: lambda 3 on (1, 1) / sqrt2, 1 on (1, -1) / sqrt2;
    // B = P_1 / sqrt3 + P_2; w = (1, 1) lies along the first: c = (1, 1) / sqrt3.
    const Gradients g{{1, 1, 0}, {1, 0, 1}};
    check_near(step(*s, g), {1 / std::sqrt(3.0), 1 / std::sqrt(3.0)});
    auto w10 = make_strategy("alignedmtl", 2, 0, {"weights=1,0"});
    const double r = 0.5 / std::sqrt(3.0);
    check_near(step(*w10, g), {r + 0.5, r - 0.5});
    // The authors' other scales: G = diag(9, 4, 1), sigma^2 the lower median 4 or the mean 14/3.
    const Gradients d{{3, 0, 0}, {0, 2, 0}, {0, 0, 1}};
    check_near(step(*make_strategy("alignedmtl", 3, 0, {"scale=median"}), d), {2.0 / 3, 1, 2});
    const double m = 14.0 / 3;
    check_near(step(*make_strategy("alignedmtl", 3, 0, {"scale=rmse"}), d), {std::sqrt(m) / 3, std::sqrt(m) / 2, std::sqrt(m)});
    CHECK(s->heads() == Heads::own);
}

TEST_CASE("alignedmtl: the aligned Gram matrix B G B has equal eigenvalues on G's range, at every rank", "[strategies][alignedmtl]") {
    // B column by column (weights = e_j give c = B e_j); M = B G B must be sigma^2 P with P
    // the projector on G's range: M M = sigma^2 M, trace M = rank sigma^2.
    hyda::ad::Rng rng(44);
    for (int K : {2, 3, 5, 8}) {
        for (int rank = 1; rank <= K; ++rank) {
            INFO("K " << K << ", rank " << rank);
            // Norms within a decade: G's smallest nonzero eigenvalue stays far above the
            // rank threshold (K 2^-23 lambda_max), so the range has dimension `rank`.
            const Gradients g = hyda::test::random_gradients(K, K + 2, rank, 0.5, rng);
            const Vec G = hyda::test::gram_of(g);
            Vec B(std::size_t(K * K));
            for (int j = 0; j < K; ++j) {
                std::string weights;
                for (int k = 0; k < K; ++k) weights += std::string(k ? "," : "") + (k == j ? "1" : "0");
                const Vec column = step(*make_strategy("alignedmtl", K, 0, {"weights=" + weights}), g);
                for (int k = 0; k < K; ++k) B[std::size_t(k * K + j)] = column[std::size_t(k)];
            }
            auto product = [K](const Vec& x, const Vec& y) {
                Vec z(std::size_t(K * K), 0.0);
                for (int i = 0; i < K; ++i)
                    for (int j = 0; j < K; ++j)
                        for (int k = 0; k < K; ++k) z[std::size_t(i * K + j)] += x[std::size_t(i * K + k)] * y[std::size_t(k * K + j)];
                return z;
            };
            const Vec M = product(product(B, G), B), MM = product(M, M);
            double trace = 0, largest = 0;
            for (int i = 0; i < K; ++i) trace += M[std::size_t(i * K + i)];
            for (double x : M) largest = std::max(largest, std::abs(x));
            const double sigma2 = trace / rank;
            for (std::size_t e = 0; e < M.size(); ++e) CHECK(MM[e] == Approx(sigma2 * M[e]).margin(1e-9 * largest * sigma2));
            // sigma^2 is lambda_min of G's range: the aligned gradients' norms are all sqrt(sigma^2)
            // when G has full rank (B G B = sigma^2 I).
            if (rank == K)
                for (int i = 0; i < K; ++i) CHECK(M[std::size_t(i * K + i)] == Approx(sigma2).epsilon(1e-9));
        }
    }
}

TEST_CASE("alignedmtl: a zero gradient, identical gradients, one task, no gradient", "[strategies][alignedmtl]") {
    auto s = make_strategy("alignedmtl", 2, 0);
    check_near(step(*s, {{3, 0}, {0, 0}}), {1, 0});   // B = the projector on g_1
    check_near(step(*s, {{1, 2}, {1, 2}}), {1, 1});   // lambda 10 on (1, 1): B = P, c = (1, 1)
    check_near(step(*s, {{0, 0}, {0, 0}}), {1, 1});   // B = I
    check_near(step(*make_strategy("alignedmtl", 1, 0), {{3, 4}}), {1});
}

// ---- UPGrad and DualProj (Quinton & Rey, 2024) ----

TEST_CASE("upgrad and dualproj: two conflicting gradients by hand, and torchjd's DualProj example exactly", "[strategies][upgrad]") {
    // g_1 = (2, 0), g_2 = (-1, 0.5): G = [[4, -2], [-2, 1.25]].
    const Gradients g{{2, 0}, {-1, 0.5}};
    // DualProj: u = (1/2, 1/2), G u = (1, -0.375) conflicts with g_2: v_1 = 1/2 at its
    // bound, (G v)_2 = 0 gives v_2 = 0.8; (G v)_1 = 0.4 >= 0.
    check_near(step(*make_strategy("dualproj", 2, 0), g), {0.5, 0.8});
    // UPGrad: u_1 = (1/2, 0) projects to (1/2, 0.8); u_2 = (0, 1/2), G u_2 = (-1, 0.625),
    // conflicts with g_1: (G v)_1 = 0 gives v_1 = 0.25. Sum: (0.75, 1.3).
    check_near(step(*make_strategy("upgrad", 2, 0), g), {0.75, 1.3});
    // torchjd: DualProj of J = [[-4, 1, 1], [6, 1, 1]] is (0.5563, 1.1109, 1.1109) with its
    // 1e-4 regularisation; the exact projection is (5/9, 10/9, 10/9).
    const Gradients J{{-4, 1, 1}, {6, 1, 1}};
    const Vec d = hyda::test::combine(J, step(*make_strategy("dualproj", 2, 0), J));
    check_near(d, {5.0 / 9, 10.0 / 9, 10.0 / 9});
    CHECK(d[0] == Approx(0.5563).margin(1e-3));
    // No conflict: both keep the preference (u itself is in the cone).
    check_near(step(*make_strategy("dualproj", 2, 0), {{1, 0}, {1, 1}}), {0.5, 0.5});
    check_near(step(*make_strategy("upgrad", 2, 0), {{1, 0}, {1, 1}}), {0.5, 0.5});
}

TEST_CASE("upgrad and dualproj: the update conflicts with no task, on random gradients of every rank", "[strategies][upgrad]") {
    hyda::ad::Rng rng(55);
    for (const char* name : {"upgrad", "dualproj"}) {
        for (int K : {2, 3, 5, 8, 12}) {
            for (int rank = 1; rank <= K; rank += std::max(1, K / 3)) {
                for (int trial = 0; trial < 4; ++trial) {
                    INFO(name << ", K " << K << ", rank " << rank << ", trial " << trial);
                    const Gradients g = hyda::test::random_gradients(K, K + 1, rank, 2.0, rng);
                    auto s = make_strategy(name, K, 0);
                    const Vec c = step(*s, g);
                    const Vec d = hyda::test::combine(g, c);
                    double scale = 0;  // the size of the terms of <d, g_j>
                    for (const Vec& gk : g) scale = std::max(scale, hyda::test::dot(gk, gk));
                    for (double x : c) scale = std::max(scale, scale * std::abs(x));
                    for (const Vec& gj : g) CHECK(hyda::test::dot(d, gj) >= -1e-9 * scale);
                    for (double x : c) CHECK(x >= 0);  // v >= u >= 0
                }
            }
        }
    }
}

TEST_CASE("upgrad and dualproj: a zero gradient, identical gradients, one task, no gradient, preferences", "[strategies][upgrad]") {
    for (const char* name : {"upgrad", "dualproj"}) {
        INFO(name);
        auto s = make_strategy(name, 2, 0);
        check_near(step(*s, {{1, 0}, {0, 0}}), {0.5, 0.5});
        check_near(step(*s, {{1, 2}, {1, 2}}), {0.5, 0.5});
        check_near(step(*s, {{0, 0}, {0, 0}}), {0.5, 0.5});
        check_near(step(*make_strategy(name, 1, 0), {{3, 4}}), {1});
        // Opposite gradients: the dual cone is the plane orthogonal to both, d = 0.
        const Vec c = step(*s, {{1, 0}, {-1, 0}});
        CHECK(norm(hyda::test::combine({{1, 0}, {-1, 0}}, c)) <= 1e-15);
        check_near(step(*make_strategy(name, 2, 0, {"weights=2,0"}), {{1, 0}, {0, 1}}), {2, 0});
    }
}

TEST_CASE("the Gram-matrix strategies reject bad options", "[strategies]") {
    using hyda::test::invalid_argument_message;
    using Catch::Contains;
    CHECK_THAT(invalid_argument_message([] { make_strategy("imtl", 2, 0, {"mode=both"}); }), Contains("hybrid, gradient, loss"));
    CHECK_THAT(invalid_argument_message([] { make_strategy("imtl", 2, 0, {"lr=-1"}); }), Contains("imtl: lr must be >= 0"));
    CHECK_THAT(invalid_argument_message([] { make_strategy("nashmtl", 2, 0, {"update_weights_every=0"}); }), Contains("update_weights_every must be a positive integer"));
    CHECK_THAT(invalid_argument_message([] { make_strategy("nashmtl", 2, 0, {"update_weights_every=1.5"}); }), Contains("update_weights_every must be a positive integer"));
    CHECK_THAT(invalid_argument_message([] { make_strategy("nashmtl", 2, 0, {"max_norm=-1"}); }), Contains("nashmtl: max_norm must be >= 0"));
    CHECK_THAT(invalid_argument_message([] { make_strategy("fairgrad", 2, 0, {"alpha=0"}); }), Contains("fairgrad: alpha must be > 0"));
    CHECK_THAT(invalid_argument_message([] { make_strategy("fairgrad", 2, 0, {"max_norm=-1"}); }), Contains("fairgrad: max_norm must be >= 0"));
    CHECK_THAT(invalid_argument_message([] { make_strategy("alignedmtl", 3, 0, {"weights=1,2"}); }), Contains("alignedmtl: weights= needs 3 comma-separated values, got 2"));
    CHECK_THAT(invalid_argument_message([] { make_strategy("alignedmtl", 2, 0, {"scale=max"}); }), Contains("min, median, rmse"));
    CHECK_THAT(invalid_argument_message([] { make_strategy("alignedmtl", 2, 0, {"ub=yes"}); }), Contains("off, on"));
    CHECK_THAT(invalid_argument_message([] { make_strategy("upgrad", 3, 0, {"weights=1"}); }), Contains("upgrad: weights= needs 3 comma-separated values, got 1"));
    CHECK_THAT(invalid_argument_message([] { make_strategy("dualproj", 2, 0, {"bogus=1"}); }), Contains("unknown option 'bogus'"));
}
