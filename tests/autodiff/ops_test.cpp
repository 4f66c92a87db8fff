// Every op and loss of hyda::ad: forward values against hand-computed references, and
// gradients against central finite differences (gradcheck, double precision). Losses
// also with per-sample weights, label masks (NaN labels on masked rows) and per-sample
// seeds of backward_multi.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <map>
#include <random>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "hyda/autodiff/gradcheck.hpp"
#include "hyda/autodiff/ops.hpp"

namespace {

using namespace hyda::ad;
using hyda::Trans;
using P = Parameter<double>;
using V = Var<double>;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// Uniform values in [lo, hi] from a fixed seed.
template <class T>
void fill_uniform(Tensor<T>& t, std::uint64_t seed, double lo = -1, double hi = 1) {
    std::mt19937_64 rng(seed);
    std::uniform_real_distribution<double> u(lo, hi);
    for (std::size_t i = 0; i < t.size(); ++i) t.data()[i] = T(u(rng));
}

// Magnitudes in [lo, hi] with random signs: keeps values away from a kink at 0.
template <class T>
void fill_away_from_zero(Tensor<T>& t, std::uint64_t seed, double lo, double hi) {
    std::mt19937_64 rng(seed);
    std::uniform_real_distribution<double> u(lo, hi);
    for (std::size_t i = 0; i < t.size(); ++i) t.data()[i] = T(rng() & 1 ? u(rng) : -u(rng));
}

P make_param(const std::string& name, int rows, int cols, std::uint64_t seed, double lo = -1, double hi = 1) {
    P p(name, rows, cols);
    fill_uniform(p.value(), seed, lo, hi);
    return p;
}

// sum_ij R_ij y_ij with a fixed pseudo-random R of y's shape, so every element of y gets
// its own adjoint (a plain sum would hide a backward that mixes up elements).
V project(V y) {
    static std::map<std::pair<int, int>, Tensor<double>> weights;
    auto [it, inserted] = weights.try_emplace({y.rows(), y.cols()}, y.rows(), y.cols());
    if (inserted) fill_uniform(it->second, 1000 * std::uint64_t(y.rows()) + std::uint64_t(y.cols()), -1, 1);
    return sum(y * y.tape->input(it->second, "R"));
}

// gradcheck with the worst element in the failure message.
void check_gradients(const std::function<V(Tape<double>&)>& f, std::vector<P*> params, double atol = 1e-7, double rtol = 1e-5,
                     std::uint64_t seed = 1) {
    const GradcheckResult r = gradcheck(f, params, 1e-6, atol, rtol, seed);
    INFO("worst element: " << r.worst << " (max abs error " << r.max_abs_error << ")");
    CHECK(r.ok);
}

// Copies of every parameter's grad() after tape.backward(loss).
template <class T>
std::vector<std::vector<T>> grads_of(const std::vector<Parameter<T>*>& params) {
    std::vector<std::vector<T>> g;
    for (auto* p : params) g.emplace_back(p->grad().data(), p->grad().data() + p->size());
    return g;
}

bool all_finite(const double* x, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i)
        if (!std::isfinite(x[i])) return false;
    return true;
}

}  // namespace

TEST_CASE("gradcheck detects a gradient that backward does not produce", "[ops]") {
    // The parameter enters the loss a second time as a constant input: backward misses
    // that path, finite differences do not.
    P w = make_param("w", 2, 3, 1);
    const GradcheckResult r = gradcheck(
        [&](Tape<double>& t) { return sum(t.param(w) * t.input(w.value(), "w as constant")); }, std::vector<P*>{&w});
    CHECK_FALSE(r.ok);
    CHECK(r.max_abs_error > 0.1);
    CHECK_THAT(r.worst, Catch::Contains("w["));
}

TEST_CASE("matmul: forward and gradients for every transpose combination", "[ops]") {
    struct Case { int M, K, N; };
    // A small shape, one with edge tiles in every GEMM dimension, and vector shapes
    // (a single output column runs as dot products or axpys inside the GEMM).
    for (const Case c : {Case{3, 4, 5}, Case{13, 7, 17}, Case{6, 5, 1}, Case{1, 5, 6}, Case{5, 1, 4}, Case{1, 3, 1}, Case{1, 1, 1}}) {
        for (const Trans ta : {Trans::N, Trans::T}) {
            for (const Trans tb : {Trans::N, Trans::T}) {
                INFO("M K N = " << c.M << " " << c.K << " " << c.N << ", ta = " << (ta == Trans::T ? "T" : "N")
                                << ", tb = " << (tb == Trans::T ? "T" : "N"));
                P A = ta == Trans::N ? make_param("A", c.M, c.K, 11) : make_param("A", c.K, c.M, 11);
                P B = tb == Trans::N ? make_param("B", c.K, c.N, 12) : make_param("B", c.N, c.K, 12);
                auto opA = [&](int i, int k) { return ta == Trans::N ? A.value()(i, k) : A.value()(k, i); };
                auto opB = [&](int k, int j) { return tb == Trans::N ? B.value()(k, j) : B.value()(j, k); };

                Tape<double> tape;
                const V y = matmul(tape.param(A), tape.param(B), ta, tb);
                REQUIRE(y.rows() == c.M);
                REQUIRE(y.cols() == c.N);
                for (int i = 0; i < c.M; ++i) {
                    for (int j = 0; j < c.N; ++j) {
                        double want = 0;
                        for (int k = 0; k < c.K; ++k) want += opA(i, k) * opB(k, j);
                        CHECK(y.data()[i * c.N + j] == Approx(want).epsilon(1e-12).margin(1e-13));
                    }
                }
                check_gradients([&](Tape<double>& t) { return project(matmul(t.param(A), t.param(B), ta, tb)); }, {&A, &B});
            }
        }
    }
}

TEST_CASE("matmul of a parameter with itself accumulates both gradient paths", "[ops]") {
    P X = make_param("X", 4, 3, 21);
    // X X^T and X^T X: the same leaf is operand A and operand B.
    check_gradients([&](Tape<double>& t) { return project(matmul(t.param(X), t.param(X), Trans::N, Trans::T)); }, {&X});
    check_gradients([&](Tape<double>& t) { return project(matmul(t.param(X), t.param(X), Trans::T, Trans::N)); }, {&X});
}

TEST_CASE("linear: forward and gradients of x, W and b", "[ops]") {
    for (const int out : {3, 1}) {  // 1: a task head with one output
        INFO("outputs: " << out);
        P x = make_param("x", 5, 4, 31), W = make_param("W", 4, out, 32), b = make_param("b", 1, out, 33);
        Tape<double> tape;
        const V y = linear(tape.param(x), tape.param(W), tape.param(b));
        REQUIRE(y.rows() == 5);
        REQUIRE(y.cols() == out);
        for (int r = 0; r < 5; ++r) {
            for (int o = 0; o < out; ++o) {
                double want = b.value()(0, o);
                for (int i = 0; i < 4; ++i) want += x.value()(r, i) * W.value()(i, o);
                CHECK(y.data()[r * out + o] == Approx(want).epsilon(1e-12));
            }
        }
        check_gradients([&](Tape<double>& t) { return project(linear(t.param(x), t.param(W), t.param(b))); }, {&x, &W, &b});
        // A constant input: only W and b get gradients.
        check_gradients([&](Tape<double>& t) { return project(linear(t.input(x.value(), "x"), t.param(W), t.param(b))); }, {&W, &b});
    }
}

TEST_CASE("add, sub, mul, div: forward and gradients of both operands for every broadcast", "[ops]") {
    struct Op {
        const char* name;
        V (*f)(V, V);
        double (*ref)(double, double);
    };
    const Op ops[] = {
        {"add", [](V a, V b) { return a + b; }, [](double a, double b) { return a + b; }},
        {"sub", [](V a, V b) { return a - b; }, [](double a, double b) { return a - b; }},
        {"mul", [](V a, V b) { return a * b; }, [](double a, double b) { return a * b; }},
        {"div", [](V a, V b) { return a / b; }, [](double a, double b) { return a / b; }},
    };
    struct Shape { const char* name; int rows, cols; };
    const int R = 4, C = 3;
    const Shape shapes[] = {{"same", R, C}, {"row [1 x cols]", 1, C}, {"column [rows x 1]", R, 1}, {"scalar [1 x 1]", 1, 1}};
    for (const Op& op : ops) {
        for (const Shape& s : shapes) {
            INFO(op.name << ", b " << s.name);
            P a = make_param("a", R, C, 41);
            P b("b", s.rows, s.cols);
            fill_away_from_zero(b.value(), 42, 0.5, 1.5);  // a divisor away from 0

            Tape<double> tape;
            const V y = op.f(tape.param(a), tape.param(b));
            REQUIRE(y.rows() == R);
            REQUIRE(y.cols() == C);
            for (int r = 0; r < R; ++r) {
                for (int c = 0; c < C; ++c) {
                    const double bv = b.value()(s.rows == 1 ? 0 : r, s.cols == 1 ? 0 : c);
                    CHECK(y.data()[r * C + c] == Approx(op.ref(a.value()(r, c), bv)).epsilon(1e-14));
                }
            }
            check_gradients([&](Tape<double>& t) { return project(op.f(t.param(a), t.param(b))); }, {&a, &b});
        }
    }
}

TEST_CASE("binary ops with the same operand twice", "[ops]") {
    P a("a", 3, 4);
    fill_away_from_zero(a.value(), 51, 0.5, 1.5);
    check_gradients([&](Tape<double>& t) { return project(t.param(a) + t.param(a)); }, {&a});
    check_gradients([&](Tape<double>& t) { return project(t.param(a) * t.param(a)); }, {&a});
    check_gradients([&](Tape<double>& t) { return project(t.param(a) * t.param(a) - t.param(a)); }, {&a});
    // a / a is 1 everywhere: the two paths must cancel exactly (up to round-off).
    Tape<double> tape;
    const V y = project(tape.param(a) / tape.param(a));
    tape.backward(y);
    for (std::size_t i = 0; i < a.size(); ++i) CHECK(a.grad().data()[i] == Approx(0).margin(1e-14));
}

TEST_CASE("activations: forward against std references, gradients away from kinks", "[ops]") {
    struct Act {
        const char* name;
        V (*f)(V);
        double (*ref)(double);
    };
    const Act acts[] = {
        {"relu", [](V x) { return relu(x); }, [](double x) { return x > 0 ? x : 0.0; }},
        {"leaky_relu 0.1", [](V x) { return leaky_relu(x, 0.1); }, [](double x) { return x > 0 ? x : 0.1 * x; }},
        {"leaky_relu default", [](V x) { return leaky_relu(x); }, [](double x) { return x > 0 ? x : 0.01 * x; }},
        {"gelu", [](V x) { return gelu(x); }, [](double x) { return 0.5 * x * (1 + std::erf(x / std::sqrt(2.0))); }},
        {"tanh", [](V x) { return hyda::ad::tanh(x); }, [](double x) { return std::tanh(x); }},
        {"sigmoid", [](V x) { return sigmoid(x); }, [](double x) { return 1 / (1 + std::exp(-x)); }},
    };
    for (const Act& act : acts) {
        INFO(act.name);
        P x("x", 5, 7);  // 35 elements: a vector body and a tail
        fill_away_from_zero(x.value(), 61, 0.1, 3.0);
        Tape<double> tape;
        const V y = act.f(tape.param(x));
        REQUIRE(y.rows() == 5);
        REQUIRE(y.cols() == 7);
        for (std::size_t i = 0; i < x.size(); ++i) CHECK(y.data()[i] == Approx(act.ref(x.value().data()[i])).epsilon(1e-12).margin(1e-15));
        check_gradients([&](Tape<double>& t) { return project(act.f(t.param(x))); }, {&x});
    }
}

TEST_CASE("activations pass their adjoint buffer on to a single-consumer input", "[ops]") {
    // z's only consumer is a chain of activations and dropout, each link writing its
    // input's adjoint over its own; w feeds gelu and mul, so gelu must keep its own buffer.
    P x("x", 4, 9);
    fill_away_from_zero(x.value(), 67, 0.2, 1.5);
    auto f = [&](Tape<double>& t) {
        const V z = t.param(x) * t.param(x);
        const V chain = sigmoid(hyda::ad::tanh(dropout(leaky_relu(z - t.param(x), 0.1), 0.25)));
        const V w = t.param(x) + t.param(x);
        return project(chain + gelu(w) * w);
    };
    check_gradients(f, {&x});
    Tape<double> tape;
    const V z = tape.param(x) * tape.param(x);
    const V h = relu(z);
    const V y = project(h);
    tape.backward(y);
    CHECK(tape.adjoint(z, 0) != nullptr);
    CHECK_THROWS_AS(tape.adjoint(h, 0), std::logic_error);
}

TEST_CASE("sum and mean", "[ops]") {
    P x = make_param("x", 3, 5, 71);
    double total = 0;
    for (std::size_t i = 0; i < x.size(); ++i) total += x.value().data()[i];
    Tape<double> tape;
    const V s = sum(tape.param(x)), m = mean(tape.param(x));
    CHECK(s.rows() == 1);
    CHECK(s.cols() == 1);
    CHECK(s.item() == Approx(total).epsilon(1e-14));
    CHECK(m.item() == Approx(total / 15).epsilon(1e-14));
    tape.backward(m);
    for (std::size_t i = 0; i < x.size(); ++i) CHECK(x.grad().data()[i] == Approx(1.0 / 15).epsilon(1e-15));
    // Through a nonlinearity, so the adjoint reaching sum/mean is not 1.
    check_gradients([&](Tape<double>& t) { return sigmoid(sum(t.param(x))); }, {&x});
    check_gradients([&](Tape<double>& t) { return sigmoid(mean(t.param(x))); }, {&x});
    check_gradients([&](Tape<double>& t) { return project(t.param(x) * sum(t.param(x))); }, {&x});
}

TEST_CASE("concat along rows and columns", "[ops]") {
    for (const Axis axis : {Axis::rows, Axis::cols}) {
        const bool rows = axis == Axis::rows;
        INFO("along " << (rows ? "rows" : "columns"));
        P a = make_param("a", 3, 4, 81);
        P b = rows ? make_param("b", 2, 4, 82) : make_param("b", 3, 2, 82);
        Tape<double> tape;
        const V y = concat(tape.param(a), tape.param(b), axis);
        REQUIRE(y.rows() == (rows ? 5 : 3));
        REQUIRE(y.cols() == (rows ? 4 : 6));
        for (int r = 0; r < y.rows(); ++r) {
            for (int c = 0; c < y.cols(); ++c) {
                const bool in_a = rows ? r < 3 : c < 4;
                const double want = in_a ? a.value()(r, c) : b.value()(rows ? r - 3 : r, rows ? c : c - 4);
                CHECK(y.data()[r * y.cols() + c] == want);
            }
        }
        check_gradients([&](Tape<double>& t) { return project(concat(t.param(a), t.param(b), axis)); }, {&a, &b});
        check_gradients([&](Tape<double>& t) { return project(concat(t.param(a), t.param(a), axis)); }, {&a});
        // Only the second part trainable.
        check_gradients([&](Tape<double>& t) { return project(concat(t.input(a.value(), "a"), t.param(b), axis)); }, {&b});
    }
}

TEST_CASE("slice along rows and columns", "[ops]") {
    struct Case { Axis axis; int begin, end; };
    const Case cases[] = {{Axis::rows, 0, 5}, {Axis::rows, 1, 3}, {Axis::rows, 4, 5}, {Axis::cols, 0, 6},
                          {Axis::cols, 2, 5}, {Axis::cols, 0, 1}, {Axis::cols, 5, 6}};
    for (const Case& c : cases) {
        const bool rows = c.axis == Axis::rows;
        INFO((rows ? "rows [" : "columns [") << c.begin << ", " << c.end << ")");
        P x = make_param("x", 5, 6, 91);
        Tape<double> tape;
        const V y = slice(tape.param(x), c.axis, c.begin, c.end);
        REQUIRE(y.rows() == (rows ? c.end - c.begin : 5));
        REQUIRE(y.cols() == (rows ? 6 : c.end - c.begin));
        for (int r = 0; r < y.rows(); ++r)
            for (int j = 0; j < y.cols(); ++j)
                CHECK(y.data()[r * y.cols() + j] == x.value()(rows ? r + c.begin : r, rows ? j : j + c.begin));
        check_gradients([&](Tape<double>& t) { return project(slice(t.param(x), c.axis, c.begin, c.end)); }, {&x});
    }
    // Two overlapping slices of one parameter accumulate.
    P x = make_param("x", 5, 6, 92);
    check_gradients(
        [&](Tape<double>& t) {
            const V p = t.param(x);
            return project(slice(p, Axis::cols, 0, 4) * slice(p, Axis::cols, 2, 6));
        },
        {&x});
}

TEST_CASE("dropout: gradients through the recorded mask", "[ops]") {
    P x = make_param("x", 6, 5, 101);
    for (const double p : {0.0, 0.3, 0.75}) {
        INFO("p = " << p);
        for (const std::uint64_t seed : {1u, 2u, 3u})
            check_gradients([&](Tape<double>& t) { return project(dropout(t.param(x), p)); }, {&x}, 1e-7, 1e-5, seed);
    }
    // The backward uses the forward's mask: d sum(dropout(x)) / dx = mask.
    Tape<double> tape(7);
    const V y = dropout(tape.param(x), 0.5);
    tape.backward(sum(y));
    for (std::size_t i = 0; i < x.size(); ++i) CHECK(x.grad().data()[i] * x.value().data()[i] == Approx(y.data()[i]).epsilon(1e-15));
}

TEMPLATE_TEST_CASE("dropout: mask statistics, scaling and determinism", "[ops]", float, double) {
    using T = TestType;
    const int rows = 250, cols = 400;  // 100000 elements
    Tensor<T> x(rows, cols);
    fill_uniform(x, 111, 0.5, 2.0);  // no zeros, so a zero output means a dropped element
    for (const double p : {0.1, 0.5, 0.9}) {
        INFO("p = " << p);
        Tape<T> tape(2024);
        const Var<T> y = dropout(tape.input(x, "x"), T(p));
        const T scale = T(1) / (T(1) - T(p));
        std::size_t dropped = 0;
        bool kept_scaled = true;
        for (std::size_t i = 0; i < x.size(); ++i) {
            if (y.data()[i] == T(0)) {
                ++dropped;
            } else if (y.data()[i] != x.data()[i] * scale) {
                kept_scaled = false;
            }
        }
        CHECK(kept_scaled);
        // Binomial: the standard deviation of the fraction is <= 0.0016; allow 6 of them.
        CHECK(double(dropped) / double(x.size()) == Approx(p).margin(0.01));

        // Same seed: the same mask; another seed, or the next draw of the same tape: another.
        Tape<T> same(2024), other(2025);
        const Var<T> y_same = dropout(same.input(x, "x"), T(p));
        const Var<T> y_other = dropout(other.input(x, "x"), T(p));
        const Var<T> y_next = dropout(tape.input(x, "x"), T(p));
        CHECK(std::equal(y.data(), y.data() + x.size(), y_same.data()));
        CHECK_FALSE(std::equal(y.data(), y.data() + x.size(), y_other.data()));
        CHECK_FALSE(std::equal(y.data(), y.data() + x.size(), y_next.data()));
    }
    // p = 0 is the identity.
    Tape<T> tape(5);
    const Var<T> y = dropout(tape.input(x, "x"), T(0));
    CHECK(std::equal(x.data(), x.data() + x.size(), y.data()));
}

// ---------------------------------------------------------------------------------------
// Losses.

namespace {

// One loss kind: its op (with options) and the per-sample loss for a reference.
enum class Kind { mse, huber, bce, softmax_ce };

const char* kind_name(Kind k) {
    switch (k) {
        case Kind::mse: return "mse";
        case Kind::huber: return "huber";
        case Kind::bce: return "bce_with_logits";
        case Kind::softmax_ce: return "softmax_cross_entropy";
    }
    return "?";
}

constexpr double kDelta = 0.7;  // Huber's threshold in these tests

template <class T>
Var<T> apply_loss(Kind kind, Var<T> pred, Var<T> target, LossOptions<T> opt = {}) {
    switch (kind) {
        case Kind::mse: return mse(pred, target, opt);
        case Kind::huber: return huber(pred, target, T(kDelta), opt);
        case Kind::bce: return bce_with_logits(pred, target, opt);
        case Kind::softmax_ce: return softmax_cross_entropy(pred, target, opt);
    }
    return {};
}

int pred_cols(Kind kind) { return kind == Kind::bce ? 1 : kind == Kind::softmax_ce ? 4 : 3; }

// Per-sample loss of row i, straight from the definitions.
double reference_sample_loss(Kind kind, const Tensor<double>& p, const Tensor<double>& t, int i) {
    double l = 0;
    switch (kind) {
        case Kind::mse:
        case Kind::huber:
            for (int j = 0; j < p.cols(); ++j) {
                const double r = p(i, j) - t(i, j), a = std::abs(r);
                l += kind == Kind::mse ? r * r : a <= kDelta ? 0.5 * r * r : kDelta * (a - 0.5 * kDelta);
            }
            return l / p.cols();
        case Kind::bce: {
            const double z = p(i, 0), y = t(i, 0);
            return std::max(z, 0.0) + std::log1p(std::exp(-std::abs(z))) - y * z;
        }
        case Kind::softmax_ce: {
            double m = -INFINITY, s = 0;
            for (int j = 0; j < p.cols(); ++j) m = std::max(m, p(i, j));
            for (int j = 0; j < p.cols(); ++j) s += std::exp(p(i, j) - m);
            return m + std::log(s) - p(i, int(t(i, 0)));
        }
    }
    return l;
}

// A batch for one loss kind: predictions (a parameter), targets, weights and a mask with
// NaN labels on the masked rows.
struct LossData {
    Kind kind;
    int n;
    P pred;
    Tensor<double> target, weight, mask;

    LossData(Kind k, int rows, std::uint64_t seed)
        : kind(k), n(rows), pred("pred", rows, pred_cols(k)), target(rows, k == Kind::mse || k == Kind::huber ? pred_cols(k) : 1),
          weight(rows, 1), mask(rows, 1) {
        std::mt19937_64 rng(seed);
        std::uniform_real_distribution<double> u(-2, 2);
        for (std::size_t i = 0; i < pred.size(); ++i) pred.value().data()[i] = u(rng);
        for (int i = 0; i < rows; ++i) {
            for (int j = 0; j < target.cols(); ++j) {
                switch (k) {
                    case Kind::mse: target(i, j) = u(rng); break;
                    case Kind::huber: {
                        // Residuals on both sides of delta, none within 0.1 of it.
                        const double r = (i + j) % 2 == 0 ? 0.1 + 0.5 * (u(rng) + 2) / 4 : 1.0 + (u(rng) + 2) / 2;
                        target(i, j) = pred.value()(i, j) - ((i + 2 * j) % 3 == 0 ? -r : r);
                        break;
                    }
                    case Kind::bce: target(i, j) = double(rng() & 1); break;
                    case Kind::softmax_ce: target(i, j) = double(rng() % 4); break;
                }
            }
            weight(i, 0) = 0.25 + (u(rng) + 2) / 2;
            mask(i, 0) = i % 3 == 1 ? 0.0 : 1.0;
        }
    }

    // Targets with NaN on the masked rows.
    Tensor<double> target_with_nan() const {
        Tensor<double> t = target;
        for (int i = 0; i < n; ++i)
            if (mask(i, 0) == 0)
                for (int j = 0; j < t.cols(); ++j) t(i, j) = kNaN;
        return t;
    }
};

}  // namespace

TEST_CASE("losses: forward against per-sample references, with weights and masks", "[ops]") {
    for (const Kind kind : {Kind::mse, Kind::huber, Kind::bce, Kind::softmax_ce}) {
        INFO(kind_name(kind));
        LossData d(kind, 7, 121);
        const Tensor<double> nan_target = d.target_with_nan();
        double plain = 0, weighted = 0, masked = 0, both = 0, labelled = 0;
        for (int i = 0; i < d.n; ++i) {
            const double l = reference_sample_loss(kind, d.pred.value(), d.target, i);
            plain += l / d.n;
            weighted += d.weight(i, 0) * l / d.n;
            if (d.mask(i, 0) != 0) masked += l, both += d.weight(i, 0) * l, labelled += 1;
        }
        masked /= labelled, both /= labelled;

        Tape<double> tape;
        const V p = tape.param(d.pred), t = tape.input(d.target, "t"), tn = tape.input(nan_target, "t with NaN");
        const V w = tape.input(d.weight, "w"), m = tape.input(d.mask, "m");
        CHECK(apply_loss(kind, p, t).item() == Approx(plain).epsilon(1e-13));
        CHECK(apply_loss(kind, p, t, {w, {}}).item() == Approx(weighted).epsilon(1e-13));
        CHECK(apply_loss(kind, p, tn, {{}, m}).item() == Approx(masked).epsilon(1e-13));
        CHECK(apply_loss(kind, p, tn, {w, m}).item() == Approx(both).epsilon(1e-13));
        // Every row masked: a zero loss, not 0/0.
        Tensor<double> none(d.n, 1, 0.0);
        const V all_masked = apply_loss(kind, p, tn, {w, tape.input(none, "none")});
        CHECK(all_masked.item() == 0);
        tape.backward(all_masked);
        for (std::size_t i = 0; i < d.pred.size(); ++i) CHECK(d.pred.grad().data()[i] == 0);
    }
}

TEST_CASE("losses: gradients with and without weights and masks", "[ops]") {
    for (const Kind kind : {Kind::mse, Kind::huber, Kind::bce, Kind::softmax_ce}) {
        INFO(kind_name(kind));
        LossData d(kind, 7, 131);
        const Tensor<double> nan_target = d.target_with_nan();
        struct Variant { const char* name; bool weight, mask; };
        for (const Variant v : {Variant{"plain", false, false}, Variant{"weights", true, false}, Variant{"mask", false, true},
                                Variant{"weights and mask", true, true}}) {
            INFO(v.name);
            auto f = [&](Tape<double>& t) {
                LossOptions<double> opt;
                if (v.weight) opt.weight = t.input(d.weight, "w");
                if (v.mask) opt.mask = t.input(d.mask, "m");
                // Through an affine map so the loss's adjoint is not 1 and the logits mix.
                const V scale = t.input(d.weight.data(), 1, 1, "scale");
                return apply_loss(kind, t.param(d.pred), t.input(v.mask ? nan_target : d.target, "t"), opt) * scale;
            };
            check_gradients(f, {&d.pred});
        }
    }
    // Regression targets may be computed values: the target gets the opposite gradient.
    for (const Kind kind : {Kind::mse, Kind::huber}) {
        INFO(kind_name(kind) << " with a trainable target");
        LossData d(kind, 5, 141);
        P target("target", d.target.rows(), d.target.cols());
        target.value() = d.target;
        check_gradients([&](Tape<double>& t) { return apply_loss(kind, t.param(d.pred), t.param(target), {t.input(d.weight, "w"), {}}); },
                        {&d.pred, &target});
    }
}

TEST_CASE("losses: masked rows with NaN labels equal the loss without those rows", "[ops]") {
    for (const Kind kind : {Kind::mse, Kind::huber, Kind::bce, Kind::softmax_ce}) {
        for (const bool weighted : {false, true}) {
            INFO(kind_name(kind) << (weighted ? " with weights" : ""));
            LossData d(kind, 9, 151);
            const Tensor<double> nan_target = d.target_with_nan();
            std::vector<int> kept;
            for (int i = 0; i < d.n; ++i)
                if (d.mask(i, 0) != 0) kept.push_back(i);
            const int nk = int(kept.size());
            P pred_kept("pred kept", nk, d.pred.cols());
            Tensor<double> target_kept(nk, d.target.cols()), weight_kept(nk, 1);
            for (int r = 0; r < nk; ++r) {
                for (int j = 0; j < d.pred.cols(); ++j) pred_kept.value()(r, j) = d.pred.value()(kept[r], j);
                for (int j = 0; j < d.target.cols(); ++j) target_kept(r, j) = d.target(kept[r], j);
                weight_kept(r, 0) = d.weight(kept[r], 0);
            }

            Tape<double> tape;
            const V masked = apply_loss(kind, tape.param(d.pred), tape.input(nan_target, "t"),
                                        {weighted ? tape.input(d.weight, "w") : V{}, tape.input(d.mask, "m")});
            const V reduced = apply_loss(kind, tape.param(pred_kept), tape.input(target_kept, "t kept"),
                                         {weighted ? tape.input(weight_kept, "w kept") : V{}, {}});
            REQUIRE(std::isfinite(masked.item()));
            CHECK(masked.item() == Approx(reduced.item()).epsilon(1e-14));
            tape.backward(masked);
            const Tensor<double> masked_grad = d.pred.grad();  // the next backward zeroes it
            REQUIRE(all_finite(masked_grad.data(), masked_grad.size()));
            tape.backward(reduced);
            for (int i = 0, r = 0; i < d.n; ++i) {
                const bool present = d.mask(i, 0) != 0;
                for (int j = 0; j < d.pred.cols(); ++j) {
                    INFO("row " << i << " col " << j);
                    if (present) {
                        CHECK(masked_grad(i, j) == Approx(pred_kept.grad()(r, j)).epsilon(1e-14));
                    } else {
                        CHECK(masked_grad(i, j) == 0);
                    }
                }
                r += present;
            }
        }
    }
}

TEST_CASE("losses: hand-computed values", "[ops]") {
    Tape<double> tape;
    auto in = [&](std::vector<double>& v, int rows, int cols) { return tape.input(v.data(), rows, cols, "v"); };
    // MSE: [[1, 2], [3, 4]] against 0, weights [1, 3].
    std::vector<double> p{1, 2, 3, 4}, zero{0, 0, 0, 0}, w{1, 3};
    CHECK(mse(in(p, 2, 2), in(zero, 2, 2)).item() == Approx(7.5));
    CHECK(mse(in(p, 2, 2), in(zero, 2, 2), {in(w, 2, 1), {}}).item() == Approx((1 * 2.5 + 3 * 12.5) / 2));
    // Huber, delta 1: residuals 0.5 (quadratic), 3 and -2 (linear).
    std::vector<double> hp{0.5, 3, -2}, hz{0, 0, 0};
    CHECK(huber(in(hp, 3, 1), in(hz, 3, 1), 1.0).item() == Approx((0.125 + 2.5 + 1.5) / 3));
    CHECK(huber(in(hp, 3, 1), in(hz, 3, 1), 2.0).item() == Approx((0.125 + 2 * (3 - 1) + 2.0) / 3));
    // BCE at 0: log 2 for either label.
    std::vector<double> z0{0, 0}, y01{0, 1};
    CHECK(bce_with_logits(in(z0, 2, 1), in(y01, 2, 1)).item() == Approx(std::log(2.0)));
    // Softmax CE of equal logits: log c.
    std::vector<double> eq{0.5, 0.5, 0.5}, l2{2};
    CHECK(softmax_cross_entropy(in(eq, 1, 3), in(l2, 1, 1)).item() == Approx(std::log(3.0)));
    // Softmax CE [1, 2, 3] label 0: log(e + e^2 + e^3) - 1.
    std::vector<double> z123{1, 2, 3}, l0{0};
    CHECK(softmax_cross_entropy(in(z123, 1, 3), in(l0, 1, 1)).item() ==
          Approx(std::log(std::exp(1.0) + std::exp(2.0) + std::exp(3.0)) - 1));
}

TEMPLATE_TEST_CASE("losses: finite and exact for logits of +-1e4", "[ops]", float, double) {
    using T = TestType;
    struct Case { T z, y, loss, grad; };
    // Per sample: softplus(z) - y z, d/dz = sigmoid(z) - y.
    const Case bce_cases[] = {{T(1e4), 0, T(1e4), 1}, {T(-1e4), 0, 0, 0}, {T(1e4), 1, 0, 0}, {T(-1e4), 1, T(1e4), -1}};
    for (const Case& c : bce_cases) {
        INFO("bce z = " << c.z << ", y = " << c.y);
        Parameter<T> z("z", 1, 1);
        z.value()(0, 0) = c.z;
        Tape<T> tape;
        T y = c.y;
        const Var<T> L = bce_with_logits(tape.param(z), tape.input(&y, 1, 1, "y"));
        CHECK(L.item() == Approx(c.loss).margin(1e-30));
        if (c.loss != 0) CHECK(L.item() == c.loss);  // exact: softplus(1e4) = 1e4
        tape.backward(L);
        CHECK(z.grad()(0, 0) == Approx(c.grad).margin(1e-30));
    }
    {
        // A batch: [1e4, -1e4, 1e4, -1e4, 0] against [0, 0, 1, 1, 1].
        Parameter<T> z("z", 5, 1);
        const T zs[] = {T(1e4), T(-1e4), T(1e4), T(-1e4), 0};
        T ys[] = {0, 0, 1, 1, 1};
        std::copy(zs, zs + 5, z.value().data());
        Tape<T> tape;
        const Var<T> L = bce_with_logits(tape.param(z), tape.input(ys, 5, 1, "y"));
        CHECK(L.item() == Approx((2e4 + std::log(2.0)) / 5).epsilon(1e-6));
        tape.backward(L);
        const T want[] = {T(0.2), 0, 0, T(-0.2), T(-0.1)};
        for (int i = 0; i < 5; ++i) CHECK(z.grad()(i, 0) == Approx(want[i]).margin(1e-7));
    }
    {
        // Softmax CE: [1e4, 0] label 0 -> 0, label 1 -> 1e4; [-1e4, 1e4, 0] label 2 -> 1e4.
        // lse(1e4, 1e4) = 1e4 + log 2 rounds to float's ulp at 1e4 (~1e-3).
        const double tol = std::is_same_v<T, float> ? 2e-3 : 1e-9;
        struct SCase { std::vector<T> z; T label, loss; std::vector<T> grad; };
        const SCase cases[] = {{{T(1e4), 0}, 0, 0, {0, 0}},
                               {{T(1e4), 0}, 1, T(1e4), {1, -1}},
                               {{T(-1e4), T(1e4), 0}, 2, T(1e4), {0, 1, -1}},
                               {{T(1e4), T(1e4)}, 0, T(std::log(2.0)), {T(-0.5), T(0.5)}}};
        for (const SCase& c : cases) {
            INFO("softmax CE label " << c.label << ", logits " << c.z[0] << ", " << c.z[1]);
            Parameter<T> z("z", 1, int(c.z.size()));
            std::copy(c.z.begin(), c.z.end(), z.value().data());
            T label = c.label;
            Tape<T> tape;
            const Var<T> L = softmax_cross_entropy(tape.param(z), tape.input(&label, 1, 1, "label"));
            CHECK(std::isfinite(L.item()));
            CHECK(L.item() == Approx(c.loss).margin(tol));
            tape.backward(L);
            for (std::size_t j = 0; j < c.z.size(); ++j) CHECK(z.grad()(0, int(j)) == Approx(c.grad[j]).margin(tol));
        }
    }
    {
        // MSE and Huber with large residuals stay finite.
        T p[] = {T(1e4), T(-1e4)}, t[] = {0, 0};
        Tape<T> tape;
        CHECK(mse(tape.input(p, 2, 1, "p"), tape.input(t, 2, 1, "t")).item() == Approx(1e8).epsilon(1e-6));
        CHECK(huber(tape.input(p, 2, 1, "p"), tape.input(t, 2, 1, "t"), T(1)).item() == Approx(1e4 - 0.5).epsilon(1e-6));
    }
}

TEST_CASE("per-sample seeds scale each sample's gradient contribution", "[ops]") {
    for (const Kind kind : {Kind::mse, Kind::huber, Kind::bce, Kind::softmax_ce}) {
        for (const bool weighted : {false, true}) {
            for (const bool masked : {false, true}) {
                INFO(kind_name(kind) << (weighted ? ", weights" : "") << (masked ? ", mask" : ""));
                LossData d(kind, 8, 161);
                const Tensor<double> target = masked ? d.target_with_nan() : d.target;
                std::vector<double> seed(8);
                Tensor<double> seeded_weight(8, 1);
                for (int i = 0; i < 8; ++i) {
                    seed[std::size_t(i)] = i % 4 == 0 ? 0.0 : 0.5 + i * 0.3;  // some zero seeds
                    seeded_weight(i, 0) = (weighted ? d.weight(i, 0) : 1.0) * seed[std::size_t(i)];
                }
                P pred2("pred2", d.pred.rows(), d.pred.cols());
                pred2.value() = d.pred.value();

                Tape<double> tape;
                const V m = masked ? tape.input(d.mask, "m") : V{}, t = tape.input(target, "t");
                // Through tanh and a scale, so the sample's adjoint is chained into earlier nodes.
                auto loss_of = [&](P& pred, V weight) {
                    return apply_loss(kind, tanh(tape.param(pred)) * tape.input(d.weight.data(), 1, 1, "scale"), t, {weight, m});
                };
                const V L = loss_of(d.pred, weighted ? tape.input(d.weight, "w") : V{});
                const V Lw = loss_of(pred2, tape.input(seeded_weight, "w * seed"));
                const double value = L.item();
                // Loss 0: L with the seeds; loss 1: Lw; loss 2: L again, every seed 2 (a
                // power of two, so exactly twice the unseeded gradient).
                const std::vector<double> twos(8, 2.0);
                const V losses[] = {L, Lw, L};
                const double* seeds[] = {seed.data(), nullptr, twos.data()};
                tape.backward_multi(losses, seeds);
                const double* seeded = d.pred.task_grad(0);
                const double* doubled = d.pred.task_grad(2);
                const double* reference = pred2.task_grad(1);
                REQUIRE(seeded != nullptr);
                REQUIRE(doubled != nullptr);
                REQUIRE(reference != nullptr);
                CHECK(d.pred.task_grad(1) == nullptr);
                CHECK(pred2.task_grad(0) == nullptr);
                CHECK(pred2.task_grad(2) == nullptr);
                for (std::size_t e = 0; e < d.pred.size(); ++e) {
                    INFO("element " << e);
                    CHECK(seeded[e] == Approx(reference[e]).epsilon(1e-13).margin(1e-16));
                }
                // Against the unseeded gradient: each row scaled by its seed (the rows are
                // independent here: the loss's per-sample gradient touches only its row).
                tape.backward(L);
                const double* plain = d.pred.grad().data();
                for (int i = 0; i < d.pred.rows(); ++i) {
                    for (int j = 0; j < d.pred.cols(); ++j) {
                        const std::size_t e = std::size_t(i) * d.pred.cols() + j;
                        CHECK(doubled[e] == 2 * plain[e]);
                        CHECK(seeded[e] == Approx(seed[std::size_t(i)] * plain[e]).epsilon(1e-13).margin(1e-16));
                    }
                }
                CHECK(L.item() == value);  // the sweeps leave the forward values alone
            }
        }
    }
}

TEST_CASE("per-sample seeds on a loss that also feeds another loss", "[ops]") {
    // L1 and L3 = L1 + L2 in one sweep; only L1 seeded: the seed must not leak into L3's
    // slot. With L2 listed too, L1's two slots (losses 0 and 2) map to slots 0 and 2 of the
    // logits, which are not consecutive: the sweep splits L1's backward into two runs.
    LossData d(Kind::bce, 6, 171);
    std::vector<double> seed{1, 2, 3, 0, 5, 6};
    for (const bool list_l2 : {false, true}) {
        INFO((list_l2 ? "losses L1, L2, L3" : "losses L1, L3"));
        Tape<double> tape;
        const V p = tape.param(d.pred);
        const V L1 = bce_with_logits(p, tape.input(d.target, "y"));
        const V L2 = mean(p * p);
        const V L3 = L1 + L2;
        std::vector<V> losses{L1, L3};
        std::vector<const double*> seeds{seed.data(), nullptr};
        if (list_l2) losses.insert(losses.begin() + 1, L2), seeds.insert(seeds.begin() + 1, nullptr);
        tape.backward_multi(losses, seeds);
        const int k3 = list_l2 ? 2 : 1;
        std::vector<double> g1(d.pred.task_grad(0), d.pred.task_grad(0) + 6), g3(d.pred.task_grad(k3), d.pred.task_grad(k3) + 6);
        tape.backward(L3);
        for (int i = 0; i < 6; ++i) CHECK(g3[std::size_t(i)] == Approx(d.pred.grad()(i, 0)).epsilon(1e-15));
        tape.backward(L1);
        for (int i = 0; i < 6; ++i) CHECK(g1[std::size_t(i)] == Approx(seed[std::size_t(i)] * d.pred.grad()(i, 0)).epsilon(1e-14));
    }
}

TEST_CASE("softmax: hand-computed rows, gradients in place and accumulated", "[ops]") {
    // Rows (0, ln 2, ln 3) and (5, 5, 5): (1, 2, 3) / 6 and thirds.
    std::vector<double> x = {0, std::log(2.0), std::log(3.0), 5, 5, 5};
    Tape<double> tape;
    const V y = softmax(tape.input(x.data(), 2, 3, "x"));
    const double want[] = {1.0 / 6, 2.0 / 6, 3.0 / 6, 1.0 / 3, 1.0 / 3, 1.0 / 3};
    for (int i = 0; i < 6; ++i) CHECK(y.data()[i] == Approx(want[i]).epsilon(1e-15));

    P z = make_param("z", 6, 5, 111, -3, 3);
    // softmax is z's only consumer: its backward writes z's adjoint over its own.
    check_gradients([&](Tape<double>& t) { return project(softmax(t.param(z))); }, {&z});
    // z feeds softmax and mul: the backward accumulates into an adjoint another op wrote.
    check_gradients(
        [&](Tape<double>& t) {
            const V p = t.param(z);
            return project(softmax(p) * p + p);
        },
        {&z});
    // A single column is constant 1: a zero gradient.
    P c = make_param("c", 4, 1, 112);
    Tape<double> t1;
    t1.backward(project(softmax(t1.param(c))));
    for (std::size_t i = 0; i < c.size(); ++i) CHECK(c.grad().data()[i] == 0);
}

TEMPLATE_TEST_CASE("softmax: finite and exact for logits of +-1e4, float close to double", "[ops]", float, double) {
    using T = TestType;
    // exp(1e4) overflows both types: the row's maximum must be taken out first.
    std::vector<T> big = {T(1e4), T(1e4) - T(1), T(-1e4), T(1e4), T(1e4), T(1e4)};
    Tape<T> tape;
    const Var<T> y = softmax(tape.input(big.data(), 2, 3, "x"));
    const double e = std::exp(-1.0);
    CHECK(double(y.data()[0]) == Approx(1 / (1 + e)).epsilon(1e-6));
    CHECK(double(y.data()[1]) == Approx(e / (1 + e)).epsilon(1e-6));
    CHECK(y.data()[2] == T(0));
    for (int j = 3; j < 6; ++j) CHECK(double(y.data()[j]) == Approx(1.0 / 3).epsilon(1e-6));

    // The forward and the gradient in T against the double computation.
    P xd = make_param("x", 7, 9, 113, -4, 4);
    Parameter<T> x("x", 7, 9);
    for (std::size_t i = 0; i < x.size(); ++i) x.value().data()[i] = T(xd.value().data()[i]);
    Tensor<double> rd(7, 9);
    fill_uniform(rd, 114);
    Tensor<T> r(7, 9);
    for (std::size_t i = 0; i < r.size(); ++i) r.data()[i] = T(rd.data()[i]);
    Tape<T> tt;
    const Var<T> yt = softmax(tt.param(x));
    tt.backward(sum(yt * tt.input(r, "R")));
    Tape<double> td;
    const V ydd = softmax(td.param(xd));
    td.backward(sum(ydd * td.input(rd, "R")));
    for (std::size_t i = 0; i < x.size(); ++i) {
        CHECK(double(yt.data()[i]) == Approx(ydd.data()[i]).epsilon(1e-5).margin(1e-7));
        CHECK(double(x.grad().data()[i]) == Approx(xd.grad().data()[i]).epsilon(1e-4).margin(1e-6));
    }
}

TEST_CASE("mix_add: hand-computed terms, gradients of a gated sum", "[ops]") {
    // w = [[0.25, 0.75], [1, 0]]: row 0 mixes x0 and x1 a quarter and three quarters.
    std::vector<double> x0 = {4, 8, -4, 2, 2, 2}, x1 = {0, 4, 4, 1, 1, 1}, w = {0.25, 0.75, 1, 0};
    Tape<double> tape;
    const V wv = tape.input(w.data(), 2, 2, "w");
    const V first = mix_add(V{}, tape.input(x0.data(), 2, 3, "x0"), wv, 0);
    const V y = mix_add(first, tape.input(x1.data(), 2, 3, "x1"), wv, 1);
    const double want_first[] = {1, 2, -1, 2, 2, 2}, want[] = {1, 5, 2, 2, 2, 2};
    for (int i = 0; i < 6; ++i) CHECK(first.data()[i] == want_first[i]);
    for (int i = 0; i < 6; ++i) CHECK(y.data()[i] == want[i]);

    P e0 = make_param("e0", 5, 4, 121), e1 = make_param("e1", 5, 4, 122), e2 = make_param("e2", 5, 4, 123);
    P g = make_param("g", 5, 3, 124, -2, 2);
    // A softmax gate over three experts: each running sum's only consumer is the next
    // term, which works on its adjoint in place; the terms tanh(e1) and the one-column
    // gate sigmoid(g1) have one consumer too, but as inputs 1 and 2 keep their own buffers.
    P g1 = make_param("g1", 5, 1, 125);
    auto gated = [&](Tape<double>& t) {
        const V gate = softmax(t.param(g));
        V m = mix_add(V{}, t.param(e0), gate, 0);
        m = mix_add(m, hyda::ad::tanh(t.param(e1)), gate, 1);
        m = mix_add(m, t.param(e2), gate, 2);
        return mix_add(m, t.param(e0), sigmoid(t.param(g1)), 0);
    };
    check_gradients([&](Tape<double>& t) { return project(gated(t)); }, {&e0, &e1, &e2, &g, &g1});
    Tape<double> t2;
    const V gate = softmax(t2.param(g));
    const V first_term = mix_add(V{}, t2.param(e0), gate, 0);
    const V second_term = mix_add(first_term, t2.param(e1), gate, 1);
    t2.backward(project(second_term));
    CHECK_THROWS_AS(t2.adjoint(second_term, 0), std::logic_error);  // the first term took over its buffer
    CHECK(t2.adjoint(first_term, 0) != nullptr);
    // A running sum read elsewhere too, an expert in two terms, the sum as its own term.
    check_gradients(
        [&](Tape<double>& t) {
            const V gw = t.param(g);
            const V m = mix_add(V{}, t.param(e0), gw, 0);
            const V twice = mix_add(m, t.param(e0), gw, 2);
            return project(mix_add(twice, twice, gw, 1) + m * m);
        },
        {&e0, &g});
}

TEMPLATE_TEST_CASE("mix_add: float close to double", "[ops]", float, double) {
    using T = TestType;
    P xd = make_param("x", 6, 7, 125), wd = make_param("w", 6, 2, 126), ad = make_param("acc", 6, 7, 127);
    Parameter<T> x("x", 6, 7), w("w", 6, 2), acc("acc", 6, 7);
    for (auto [from, to] : {std::pair{&xd, &x}, std::pair{&wd, &w}, std::pair{&ad, &acc}})
        for (std::size_t i = 0; i < from->size(); ++i) to->value().data()[i] = T(from->value().data()[i]);
    Tensor<double> rd(6, 7);
    fill_uniform(rd, 128);
    Tensor<T> r(6, 7);
    for (std::size_t i = 0; i < r.size(); ++i) r.data()[i] = T(rd.data()[i]);
    Tape<T> tt;
    const Var<T> yt = mix_add(tt.param(acc), tt.param(x), tt.param(w), 1);
    tt.backward(sum(yt * tt.input(r, "R")));
    Tape<double> td;
    const V yd = mix_add(td.param(ad), td.param(xd), td.param(wd), 1);
    td.backward(sum(yd * td.input(rd, "R")));
    for (std::size_t i = 0; i < x.size(); ++i) CHECK(double(yt.data()[i]) == Approx(yd.data()[i]).epsilon(1e-5).margin(1e-6));
    for (auto [from, to] : {std::pair{&xd, &x}, std::pair{&wd, &w}, std::pair{&ad, &acc}})
        for (std::size_t i = 0; i < from->size(); ++i) CHECK(double(to->grad().data()[i]) == Approx(from->grad().data()[i]).epsilon(1e-4).margin(1e-5));
}
