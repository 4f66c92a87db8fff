// Tape::backward_multi: one reverse sweep for K losses must give each loss the gradient
// that a separate Tape::backward of that loss gives, with task_grad(k) == nullptr exactly
// where loss k does not reach a parameter.
//
// Reference: tape.backward(L_k) on the same tape (backward only reads forward values, so
// it can run repeatedly). For K = 1 the sweep does the same arithmetic, so the results
// must be equal bit for bit (compared with ==, so -0 equals +0). For K > 1 the trunk's
// backward runs as GEMMs over K stacked adjoints, and a slot may be zeroed then
// accumulated instead of overwritten; the GEMM contract (every element accumulated over
// its K in the same order, whatever the row count) makes that bitwise equal as well, and
// it is, on every SIMD path and on 2 threads, but the test only requires kUlps units of
// round-off of the gradient's scale there and reports how many elements were inexact.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <memory>
#include <random>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "hyda/autodiff/ops.hpp"
#include "hyda/kernels/threads.hpp"
#include "kernel_matrix.hpp"

namespace {

using namespace hyda::ad;
using hyda::Trans;

constexpr double kUlps = 16;  // allowed for K > 1, in eps of the largest |gradient| of the parameter

enum class HeadKind { bce, mse, softmax_ce };

int head_outputs(HeadKind k) { return k == HeadKind::bce ? 1 : k == HeadKind::mse ? 2 : 3; }

template <class T>
void fill_uniform(Tensor<T>& t, std::mt19937_64& rng, double lo, double hi) {
    std::uniform_real_distribution<double> u(lo, hi);
    for (std::size_t i = 0; i < t.size(); ++i) t.data()[i] = T(u(rng));
}

// A task head: a linear layer on the trunk's features and its labels.
template <class T>
struct Head {
    HeadKind kind;
    Parameter<T> W, b;
    Tensor<T> labels;

    Head(HeadKind k, int index, int features, int batch, std::mt19937_64& rng)
        : kind(k),
          W("head" + std::to_string(index) + ".W", features, head_outputs(k)),
          b("head" + std::to_string(index) + ".b", 1, head_outputs(k)),
          labels(batch, k == HeadKind::mse ? 2 : 1) {
        fill_uniform(W.value(), rng, -0.5, 0.5);
        fill_uniform(b.value(), rng, -0.1, 0.1);
        for (int i = 0; i < batch; ++i) {
            for (int j = 0; j < labels.cols(); ++j) {
                labels(i, j) = k == HeadKind::bce ? T(rng() & 1) : k == HeadKind::mse ? T(double(rng() % 2001) / 1000 - 1) : T(rng() % 3);
            }
        }
    }

    Var<T> output(Tape<T>& tape, Var<T> features) { return linear(features, tape.param(W), tape.param(b)); }

    Var<T> loss(Tape<T>& tape, Var<T> out) {
        const Var<T> y = tape.input(labels, "labels");
        switch (kind) {
            case HeadKind::bce: return bce_with_logits(out, y);
            case HeadKind::mse: return mse(out, y);
            case HeadKind::softmax_ce: return softmax_cross_entropy(out, y);
        }
        return {};
    }
};

// How the trunk is written: the same function three ways, so the multi-slot backward of
// every matmul path runs (the stacked GEMM for op(A) = A, the per-slot one for A^T).
enum class Layout {
    linear,      // h = relu(linear(x, W1, b1)); tanh(linear(h, W2, b2))
    matmul_nt,   // layer 2 as matmul(h, W2, N, T) + b2 (W2 read transposed)
    transposed,  // features along rows: hT = relu(W1^T xT + b1 [hidden x 1]); tanh(matmul(hT, W2, T, N) + b2)
};

const char* layout_name(Layout l) { return l == Layout::linear ? "linear" : l == Layout::matmul_nt ? "matmul N,T" : "transposed"; }

// A two-layer trunk (relu, tanh) shared by K heads of mixed kinds.
template <class T>
struct Model {
    int batch, in, hidden;
    Layout layout;
    Tensor<T> x, xT;
    Parameter<T> W1, b1, W2, b2;
    std::vector<std::unique_ptr<Head<T>>> heads;

    Model(int batch_, int in_, int hidden_, int n_heads, std::uint64_t seed = 1, Layout layout_ = Layout::linear)
        : batch(batch_), in(in_), hidden(hidden_), layout(layout_), x(batch_, in_), xT(in_, batch_), W1("W1", in_, hidden_),
          b1("b1", layout_ == Layout::transposed ? hidden_ : 1, layout_ == Layout::transposed ? 1 : hidden_), W2("W2", hidden_, hidden_),
          b2("b2", 1, hidden_) {
        std::mt19937_64 rng(seed);
        fill_uniform(x, rng, -1, 1);
        for (int i = 0; i < batch; ++i)
            for (int j = 0; j < in; ++j) xT(j, i) = x(i, j);
        fill_uniform(W1.value(), rng, -1.5 / std::sqrt(in), 1.5 / std::sqrt(in));
        fill_uniform(b1.value(), rng, -0.1, 0.1);
        fill_uniform(W2.value(), rng, -1.5 / std::sqrt(hidden), 1.5 / std::sqrt(hidden));
        fill_uniform(b2.value(), rng, -0.1, 0.1);
        const HeadKind kinds[] = {HeadKind::bce, HeadKind::mse, HeadKind::softmax_ce};
        for (int k = 0; k < n_heads; ++k) heads.push_back(std::make_unique<Head<T>>(kinds[k % 3], k, hidden, batch, rng));
    }

    // The shared features, [batch x hidden].
    Var<T> trunk(Tape<T>& tape, T dropout_p = T(0)) {
        auto drop = [&](Var<T> v) { return dropout_p > T(0) ? dropout(v, dropout_p) : v; };
        switch (layout) {
            case Layout::linear: {
                const Var<T> h = drop(relu(linear(tape.input(x, "x"), tape.param(W1), tape.param(b1))));
                return hyda::ad::tanh(linear(h, tape.param(W2), tape.param(b2)));
            }
            case Layout::matmul_nt: {
                const Var<T> h = drop(relu(linear(tape.input(x, "x"), tape.param(W1), tape.param(b1))));
                return hyda::ad::tanh(matmul(h, tape.param(W2), Trans::N, Trans::T) + tape.param(b2));
            }
            case Layout::transposed: {
                const Var<T> hT = drop(relu(matmul(tape.param(W1), tape.input(xT, "xT"), Trans::T, Trans::N) + tape.param(b1)));
                return hyda::ad::tanh(matmul(hT, tape.param(W2), Trans::T, Trans::N) + tape.param(b2));
            }
        }
        return {};
    }

    // One loss per head.
    std::vector<Var<T>> losses(Tape<T>& tape, T dropout_p = T(0)) {
        const Var<T> h = trunk(tape, dropout_p);
        std::vector<Var<T>> out;
        for (auto& head : heads) out.push_back(head->loss(tape, head->output(tape, h)));
        return out;
    }

    std::vector<Parameter<T>*> trunk_params() { return {&W1, &b1, &W2, &b2}; }
    std::vector<Parameter<T>*> params() {
        std::vector<Parameter<T>*> p = trunk_params();
        for (auto& head : heads) p.push_back(&head->W), p.push_back(&head->b);
        return p;
    }
};

// Per-parameter copies of task_grad(k) for every loss (empty: nullptr).
template <class T>
using TaskGrads = std::vector<std::vector<std::vector<T>>>;  // [param][loss] -> values or empty

template <class T>
TaskGrads<T> copy_task_grads(const std::vector<Parameter<T>*>& params, int K) {
    TaskGrads<T> g(params.size(), std::vector<std::vector<T>>(std::size_t(K)));
    for (std::size_t q = 0; q < params.size(); ++q)
        for (int k = 0; k < K; ++k)
            if (const T* t = params[q]->task_grad(k)) g[q][std::size_t(k)].assign(t, t + params[q]->size());
    return g;
}

// Which losses reach a parameter (bit k: loss k), as the test expects it.
using Reach = std::vector<std::uint64_t>;

// Runs backward_multi(losses), checks task_grad(k) is nullptr exactly where `expected`
// says, then compares every task gradient with tape.backward(losses[k]).
template <class T>
void check_against_separate_backward(Tape<T>& tape, std::span<const Var<T>> losses, const std::vector<Parameter<T>*>& params,
                                     const Reach& expected, bool bitwise) {
    const int K = int(losses.size());
    tape.backward_multi(losses);
    const TaskGrads<T> multi = copy_task_grads(params, K);
    std::size_t inexact = 0, compared = 0;
    double worst_ulps = 0;
    for (std::size_t q = 0; q < params.size(); ++q) {
        INFO("parameter " << params[q]->name());
        CHECK(params[q]->task_mask() == expected[q]);
        for (int k = 0; k < K; ++k) CHECK((params[q]->task_grad(k) != nullptr) == bool(expected[q] >> k & 1));
        for (int k = K; k < 64; ++k) CHECK(params[q]->task_grad(k) == nullptr);
    }
    for (int k = 0; k < K; ++k) {
        tape.backward(losses[std::size_t(k)]);
        for (std::size_t q = 0; q < params.size(); ++q) {
            INFO("loss " << k << ", parameter " << params[q]->name());
            const Parameter<T>& p = *params[q];
            const T* separate = p.grad().data();
            const std::vector<T>& together = multi[q][std::size_t(k)];
            if (together.empty()) {  // not reached: backward must give zeros
                CHECK(std::all_of(separate, separate + p.size(), [](T v) { return v == T(0); }));
                continue;
            }
            T scale = 0;
            for (std::size_t e = 0; e < p.size(); ++e) scale = std::max(scale, std::abs(separate[e]));
            const double allowed = kUlps * std::numeric_limits<T>::epsilon() * double(scale);
            bool ok = true;
            int reported = 0;
            for (std::size_t e = 0; e < p.size(); ++e) {
                ++compared;
                if (together[e] == separate[e]) continue;
                ++inexact;
                const double diff = std::abs(double(together[e]) - double(separate[e]));
                worst_ulps = std::max(worst_ulps, diff / (std::numeric_limits<T>::epsilon() * double(scale)));
                if (bitwise || !(diff <= allowed)) {
                    ok = false;
                    if (reported++ < 5) UNSCOPED_INFO("element " << e << ": backward_multi " << together[e] << ", backward " << separate[e]);
                }
            }
            CHECK(ok);
        }
    }
    INFO(inexact << " of " << compared << " elements not bitwise equal, worst " << worst_ulps << " eps of the scale");
    CHECK(compared > 0);
    if (bitwise) CHECK(inexact == 0);
}

template <class T>
Reach model_reach(Model<T>& m, int K) {
    Reach r(4, K == 64 ? ~std::uint64_t(0) : (std::uint64_t(1) << K) - 1);  // the trunk: every loss
    for (int k = 0; k < int(m.heads.size()); ++k) r.push_back(std::uint64_t(1) << k), r.push_back(std::uint64_t(1) << k);
    return r;
}

}  // namespace

TEMPLATE_TEST_CASE("backward_multi equals K separate backward calls: trunk + K mixed heads", "[multi]", float, double) {
    using T = TestType;
    for (const int K : {1, 2, 3, 5})
    for (const Layout layout : {Layout::linear, Layout::matmul_nt, Layout::transposed}) {
        INFO("K = " << K << ", trunk " << layout_name(layout));
        Model<T> m(16, 6, 24, K, 100 + K, layout);
        Tape<T> tape;
        const std::vector<Var<T>> losses = m.losses(tape);
        check_against_separate_backward<T>(tape, losses, m.params(), model_reach(m, K), K == 1);
        // A second sweep on the same tape gives the same again.
        const TaskGrads<T> first = copy_task_grads(m.params(), K);
        tape.backward_multi(losses);
        CHECK(copy_task_grads(m.params(), K) == first);
    }
}

TEMPLATE_TEST_CASE("backward_multi on a tape reused across steps equals a fresh tape", "[multi]", float, double) {
    using T = TestType;
    // reset() keeps the arena: adjoints and scratch of the next step land on memory that
    // holds the last step's values, so any op that relies on zeroed memory shows here.
    // The steps alternate between shapes and loss subsets so slots move around.
    Model<T> m(12, 5, 16, 3, 71, Layout::transposed);
    Tape<T> reused;
    for (int step = 0; step < 6; ++step) {
        INFO("step " << step);
        for (Parameter<T>* p : m.params())
            for (std::size_t e = 0; e < p->size(); ++e) p->value().data()[e] += T(0.01) * T(step % 3 - 1);
        const bool subset = step % 2 == 1;
        auto sweep = [&](Tape<T>& tape) {
            std::vector<Var<T>> losses = m.losses(tape, T(0));
            if (subset) losses = {losses[2], losses[0]};
            tape.backward_multi(std::span<const Var<T>>(losses));
            return copy_task_grads(m.params(), int(losses.size()));
        };
        reused.reset();
        const TaskGrads<T> got = sweep(reused);
        Tape<T> fresh;
        CHECK(got == sweep(fresh));
    }
}

TEMPLATE_TEST_CASE("backward_multi with a loss that depends on no parameter", "[multi]", float, double) {
    using T = TestType;
    Model<T> m(8, 4, 10, 2, 81);
    Tape<T> tape;
    std::vector<Var<T>> losses = m.losses(tape);
    const Var<T> x = tape.input(m.x, "x");
    losses.insert(losses.begin() + 1, mse(x, x));  // constant: no gradient anywhere
    Reach r(4, 0b101);
    r.insert(r.end(), {0b001, 0b001, 0b100, 0b100});
    check_against_separate_backward<T>(tape, losses, m.params(), r, false);
}

TEMPLATE_TEST_CASE("backward_multi through every kind of op in the shared part", "[multi]", float, double) {
    using T = TestType;
    // Between the trunk and the heads: slices, concats along both axes, every activation,
    // broadcasting arithmetic with trainable [rows x 1] and [1 x cols] operands, mean,
    // softmax, a gated sum (mix_add) and dropout, so each op's backward runs with several
    // slots at once. The losses take
    // weights and masks, and one head feeds two losses.
    Model<T> m(10, 5, 12, 3, 91);
    Parameter<T> col_scale("col_scale", 10, 1), row_scale("row_scale", 1, 12);
    std::mt19937_64 rng(92);
    fill_uniform(col_scale.value(), rng, 0.5, 1.5);
    fill_uniform(row_scale.value(), rng, 0.5, 1.5);
    Tensor<T> one(1, 1, T(1)), weight(10, 1), mask(10, 1);
    fill_uniform(weight, rng, 0.5, 2);
    for (int i = 0; i < 10; ++i) mask(i, 0) = T(i % 4 != 2);

    Tape<T> tape(93);
    const Var<T> h = m.trunk(tape);  // [10 x 12]
    Var<T> s = concat(relu(slice(h, Axis::cols, 0, 6)), gelu(slice(h, Axis::cols, 6, 12)), Axis::cols);
    s = leaky_relu(s, T(0.2)) / (sigmoid(s) + tape.input(one, "1")) - tape.param(col_scale) * mean(s);
    s = concat(hyda::ad::tanh(slice(s, Axis::rows, 0, 4)), slice(s, Axis::rows, 4, 10), Axis::rows);
    s = dropout(s, T(0.25)) * tape.param(row_scale);
    s = softmax(s * s) + s;  // softmax in place on its input's adjoint
    const Var<T> gate = softmax(slice(s, Axis::cols, 0, 2));
    s = mix_add(mix_add(Var<T>{}, s, gate, 0), hyda::ad::tanh(s), gate, 1);  // the second term in place on the first
    const Var<T> w = tape.input(weight, "w"), mk = tape.input(mask, "mask");
    const Var<T> out0 = m.heads[0]->output(tape, s), out1 = m.heads[1]->output(tape, s), out2 = m.heads[2]->output(tape, s);
    const Var<T> y0 = tape.input(m.heads[0]->labels, "y0"), y1 = tape.input(m.heads[1]->labels, "y1");
    const Var<T> y2 = tape.input(m.heads[2]->labels, "y2");
    const Var<T> losses[] = {
        bce_with_logits(out0, y0, {w, {}}),
        mse(out1, y1, {{}, mk}),
        softmax_cross_entropy(out2, y2, {w, mk}),
        huber(out1, y1, T(0.3), {w, mk}),
        mean(s * s),
    };
    std::vector<Parameter<T>*> params = m.params();
    params.push_back(&col_scale);
    params.push_back(&row_scale);
    Reach r(4, 0b11111);
    r.insert(r.end(), {0b00001, 0b00001, 0b01010, 0b01010, 0b00100, 0b00100, 0b11111, 0b11111});
    check_against_separate_backward<T>(tape, losses, params, r, false);
}

TEMPLATE_TEST_CASE("backward_multi over a subset of the heads", "[multi]", float, double) {
    using T = TestType;
    // 4 heads recorded, losses of heads 3 and 1 (in that order) requested: heads 0 and 2
    // get no task gradients at all, head 3 is loss 0 and head 1 loss 1.
    Model<T> m(12, 5, 16, 4, 7);
    Tape<T> tape;
    const std::vector<Var<T>> all = m.losses(tape);
    const Var<T> losses[] = {all[3], all[1]};
    Reach r(4, 0b11);
    r.insert(r.end(), {0, 0, 0b10, 0b10, 0, 0, 0b01, 0b01});
    check_against_separate_backward<T>(tape, losses, m.params(), r, false);
    for (int h : {0, 2}) CHECK(m.heads[std::size_t(h)]->W.task_mask() == 0);
}

TEMPLATE_TEST_CASE("backward_multi: losses sharing a head, a loss passed twice, a sum of losses", "[multi]", float, double) {
    using T = TestType;
    Model<T> m(10, 4, 12, 2, 11);  // head 0: BCE (1 output), head 1: MSE (2 outputs)
    Tape<T> tape;
    const Var<T> h = m.trunk(tape);
    const Var<T> out0 = m.heads[0]->output(tape, h), out1 = m.heads[1]->output(tape, h);
    const Var<T> bce0 = m.heads[0]->loss(tape, out0);
    const Var<T> mse1 = m.heads[1]->loss(tape, out1);
    // A second loss on head 1's output: Huber of its first column against head 0's labels.
    const Var<T> huber1 = huber(slice(out1, Axis::cols, 0, 1), tape.input(m.heads[0]->labels, "labels0"), T(0.5));
    const Var<T> sum01 = bce0 + mse1;

    SECTION("two losses on one head") {
        const Var<T> losses[] = {bce0, mse1, huber1};
        Reach r(4, 0b111);
        r.insert(r.end(), {0b001, 0b001, 0b110, 0b110});
        check_against_separate_backward<T>(tape, losses, m.params(), r, false);
    }
    SECTION("a loss passed twice") {
        const Var<T> losses[] = {mse1, bce0, mse1};
        Reach r(4, 0b111);
        r.insert(r.end(), {0b010, 0b010, 0b101, 0b101});
        check_against_separate_backward<T>(tape, losses, m.params(), r, false);
        for (Parameter<T>* p : m.params()) {
            INFO(p->name());
            if (p->task_grad(0) == nullptr) {  // head 0
                CHECK(p->task_grad(2) == nullptr);
                continue;
            }
            CHECK(std::equal(p->task_grad(0), p->task_grad(0) + p->size(), p->task_grad(2)));
        }
    }
    SECTION("a sum of two other losses, passed with them") {
        const Var<T> losses[] = {bce0, mse1, sum01};
        Reach r(4, 0b111);
        r.insert(r.end(), {0b101, 0b101, 0b110, 0b110});
        check_against_separate_backward<T>(tape, losses, m.params(), r, false);
        tape.backward_multi(losses);
        for (Parameter<T>* p : m.trunk_params()) {
            for (std::size_t e = 0; e < p->size(); ++e) {
                const T sum = p->task_grad(0)[e] + p->task_grad(1)[e];
                CHECK(p->task_grad(2)[e] == Approx(sum).epsilon(1e-5).margin(1e-6));
            }
        }
        // The sum listed first: its slot comes before those of its parts.
        const Var<T> reversed[] = {sum01, mse1, bce0};
        Reach rr(4, 0b111);
        rr.insert(rr.end(), {0b101, 0b101, 0b011, 0b011});
        check_against_separate_backward<T>(tape, reversed, m.params(), rr, false);
    }
}

TEMPLATE_TEST_CASE("backward_multi with dropout in the trunk", "[multi]", float, double) {
    using T = TestType;
    for (const Layout layout : {Layout::linear, Layout::transposed}) {
        INFO("trunk " << layout_name(layout));
        Model<T> m(16, 6, 20, 3, 21, layout);
        Tape<T> tape(99);
        const std::vector<Var<T>> losses = m.losses(tape, T(0.4));
        check_against_separate_backward<T>(tape, losses, m.params(), model_reach(m, 3), false);
    }
}

TEMPLATE_TEST_CASE("backward_multi with a tied weight (one parameter used twice)", "[multi]", float, double) {
    using T = TestType;
    // An autoencoder with tied weights: encode with W, decode with W^T. Loss 0 is the
    // reconstruction (reaches W through both uses), loss 1 a classifier on the code.
    std::mt19937_64 rng(31);
    Tensor<T> x(9, 6);
    fill_uniform(x, rng, -1, 1);
    Parameter<T> W("W", 6, 4), b("b", 1, 4), V("V", 4, 3), c("c", 1, 3);
    for (Parameter<T>* p : {&W, &b, &V, &c}) fill_uniform(p->value(), rng, -0.6, 0.6);
    Tensor<T> labels(9, 1);
    for (int i = 0; i < 9; ++i) labels(i, 0) = T(i % 3);

    Tape<T> tape;
    const Var<T> w1 = tape.param(W), w2 = tape.param(W);
    CHECK(w1.id == w2.id);  // one leaf per parameter
    const std::size_t nodes = tape.size();
    CHECK(tape.param(W).id == w1.id);
    CHECK(tape.size() == nodes);  // and no new node
    const Var<T> xin = tape.input(x, "x");
    const Var<T> code = tanh(linear(xin, w1, tape.param(b)));
    const Var<T> recon = matmul(code, w2, Trans::N, Trans::T);
    const Var<T> classes = linear(code, tape.param(V), tape.param(c));
    const Var<T> losses[] = {mse(recon, xin), softmax_cross_entropy(classes, tape.input(labels, "labels"))};
    check_against_separate_backward<T>(tape, losses, {&W, &b, &V, &c}, Reach{0b11, 0b11, 0b10, 0b10}, false);
}

TEMPLATE_TEST_CASE("Parameter::combine(weights) is the weighted sum of the task gradients", "[multi]", float, double) {
    using T = TestType;
    const int K = 4;
    Model<T> m(12, 5, 16, K, 41);
    Tape<T> tape;
    const std::vector<Var<T>> losses = m.losses(tape);
    tape.backward_multi(std::span<const Var<T>>(losses));
    const T w[K] = {T(1), T(0.5), T(0), T(-2)};
    for (Parameter<T>* p : m.params()) {
        INFO(p->name());
        p->combine(w, K);
        for (std::size_t e = 0; e < p->size(); ++e) {
            T want = 0, scale = 0;
            for (int k = 0; k < K; ++k) {
                if (const T* g = p->task_grad(k)) want += w[k] * g[e], scale += std::abs(w[k] * g[e]);
            }
            CHECK(std::abs(p->grad().data()[e] - want) <= 4 * std::numeric_limits<T>::epsilon() * scale);
        }
    }
    // The same as backward of the weighted sum of the losses, sum_k w_k L_k.
    std::vector<Tensor<T>> weights;
    for (int k = 0; k < K; ++k) weights.emplace_back(1, 1, w[k]);
    Var<T> total = losses[0] * tape.input(weights[0], "w0");
    for (int k = 1; k < K; ++k) total = total + losses[std::size_t(k)] * tape.input(weights[std::size_t(k)], "wk");
    std::vector<std::vector<T>> combined;
    for (Parameter<T>* p : m.params()) combined.emplace_back(p->grad().data(), p->grad().data() + p->size());
    tape.backward(total);
    std::size_t q = 0;
    for (Parameter<T>* p : m.params()) {
        INFO(p->name());
        T scale = 0;
        for (std::size_t e = 0; e < p->size(); ++e) scale = std::max(scale, std::abs(p->grad().data()[e]));
        for (std::size_t e = 0; e < p->size(); ++e)
            CHECK(std::abs(combined[q][e] - p->grad().data()[e]) <= 64 * std::numeric_limits<T>::epsilon() * (scale + T(1e-30)));
        ++q;
    }
    // Fewer weights than losses: the rest count as 0 (only losses 0..1 used).
    Parameter<T>& W2h = m.heads[2]->W;  // reached by loss 2 only
    W2h.combine(w, 2);
    CHECK(std::all_of(W2h.grad().data(), W2h.grad().data() + W2h.size(), [](T v) { return v == T(0); }));
}

TEMPLATE_TEST_CASE("backward_multi with 64 losses, the most it takes", "[multi]", float, double) {
    using T = TestType;
    // A linear layer with 64 outputs; loss k is the MSE of output column k.
    std::mt19937_64 rng(51);
    Tensor<T> x(5, 3), target(5, 1);
    fill_uniform(x, rng, -1, 1);
    fill_uniform(target, rng, -1, 1);
    Parameter<T> W("W", 3, 64), b("b", 1, 64), s("s", 1, 1);
    fill_uniform(W.value(), rng, -1, 1);
    fill_uniform(b.value(), rng, -1, 1);
    s.value()(0, 0) = T(1.5);
    Tape<T> tape;
    const Var<T> y = linear(tape.input(x, "x"), tape.param(W), tape.param(b)) * tape.param(s);
    std::vector<Var<T>> losses;
    for (int k = 0; k < 64; ++k) losses.push_back(mse(slice(y, Axis::cols, k, k + 1), tape.input(target, "t")));
    check_against_separate_backward<T>(tape, losses, {&W, &b, &s}, Reach(3, ~std::uint64_t(0)), false);
    // Loss k reaches only column k of W: the other columns of task_grad(k) are zero.
    for (const int k : {0, 31, 63}) {
        const T* g = W.task_grad(k);
        REQUIRE(g != nullptr);
        for (int r = 0; r < 3; ++r)
            for (int c = 0; c < 64; ++c)
                if (c != k) CHECK(g[r * 64 + c] == T(0));
    }
}

TEMPLATE_TEST_CASE("backward_multi task gradients are bitwise identical on 1 and 2 threads", "[multi]", float, double) {
    using T = TestType;
    hyda::test::KernelSettingsGuard guard;  // restores the thread count
    const int K = 3;
    for (const Layout layout : {Layout::linear, Layout::transposed}) {
        INFO("trunk " << layout_name(layout));
        Model<T> m(256, 64, 256, K, 61, layout);  // the trunk's GEMMs (~34 MFLOP) split over 2 threads
        auto run = [&](int threads) {
            hyda::set_num_threads(threads);
            Tape<T> tape(5);
            const std::vector<Var<T>> losses = m.losses(tape, T(0.2));
            tape.backward_multi(std::span<const Var<T>>(losses));
            std::vector<T> values;
            for (const Var<T>& L : losses) values.push_back(L.item());
            return std::make_pair(values, copy_task_grads(m.params(), K));
        };
        const auto one = run(1);
        const auto two = run(2);
        REQUIRE(hyda::num_threads() == 2);
        CHECK(one.first == two.first);
        REQUIRE(one.second.size() == two.second.size());
        for (std::size_t q = 0; q < one.second.size(); ++q) {
            for (int k = 0; k < K; ++k) {
                INFO("parameter " << m.params()[q]->name() << ", loss " << k);
                const auto& a = one.second[q][std::size_t(k)];
                const auto& b = two.second[q][std::size_t(k)];
                REQUIRE(a.size() == b.size());  // empty where loss k does not reach the parameter
                CHECK((a.empty() || std::memcmp(a.data(), b.data(), sizeof(T) * a.size()) == 0));
            }
        }
        // On 2 threads, with GEMMs of 256 and 3 x 256 rows: still the separate gradients.
        Tape<T> tape(5);
        const std::vector<Var<T>> losses = m.losses(tape, T(0.2));
        check_against_separate_backward<T>(tape, losses, m.params(), model_reach(m, K), false);
    }
}

TEMPLATE_TEST_CASE("softmax under backward_multi: bitwise identical on 1 and 2 threads, the threaded path taken", "[multi]", float, double) {
    using T = TestType;
    hyda::test::KernelSettingsGuard guard;
    // 512 x 160 = 81920 elements: the exp map splits over 2 threads. Two losses reach the
    // softmax, so its backward runs over two slots.
    Parameter<T> x("x", 512, 160);
    Tensor<T> r0(512, 160), r1(512, 160);
    std::mt19937_64 rng(95);
    fill_uniform(x.value(), rng, -5, 5);
    fill_uniform(r0, rng, -1, 1);
    fill_uniform(r1, rng, -1, 1);
    auto run = [&](int threads) {
        hyda::set_num_threads(threads);
        Tape<T> tape;
        const Var<T> y = softmax(tape.param(x));
        const Var<T> losses[] = {sum(y * tape.input(r0, "r0")), sum(y * y * tape.input(r1, "r1"))};
        tape.backward_multi(losses);
        std::vector<T> out(y.data(), y.data() + x.size());
        for (int k = 0; k < 2; ++k) out.insert(out.end(), x.task_grad(k), x.task_grad(k) + x.size());
        return out;
    };
    const std::vector<T> one = run(1);
    const std::uint64_t regions = hyda::threaded_regions();
    const std::vector<T> two = run(2);
    CHECK(hyda::threaded_regions() > regions);
    CHECK(std::memcmp(one.data(), two.data(), sizeof(T) * one.size()) == 0);
    Tape<T> tape;
    const Var<T> y = softmax(tape.param(x));
    const Var<T> losses[] = {sum(y * tape.input(r0, "r0")), sum(y * y * tape.input(r1, "r1"))};
    check_against_separate_backward<T>(tape, losses, {&x}, Reach{0b11}, false);
}

TEMPLATE_TEST_CASE("Tape::adjoint reads a node's adjoint per loss after a sweep", "[multi]", float, double) {
    using T = TestType;
    // z = linear(x, W1, b1) feeds two heads: dL_k/dW1 = x^T dL_k/dz and dL_k/db1 is the
    // column sums of dL_k/dz, so the adjoint read back must rebuild both task gradients.
    const int B = 7, in = 5, hidden = 6;
    Model<T> m(B, in, hidden, 2, 71);
    Tape<T> tape;
    const Var<T> x = tape.input(m.x, "x");
    const Var<T> z = linear(x, tape.param(m.W1), tape.param(m.b1));
    const Var<T> h = relu(z);
    const Var<T> out0 = m.heads[0]->output(tape, h);
    const Var<T> losses[] = {m.heads[0]->loss(tape, out0), m.heads[1]->loss(tape, m.heads[1]->output(tape, h))};

    auto check_rebuilds = [&](int k, const T* W_grad, const T* b_grad) {
        INFO("loss " << k);
        const T* dz = tape.adjoint(z, k);
        REQUIRE(dz != nullptr);
        for (int c = 0; c < hidden; ++c) {
            double db = 0;
            for (int i = 0; i < B; ++i) db += double(dz[i * hidden + c]);
            CHECK(double(b_grad[c]) == Approx(db).margin(1e-6));
            for (int r = 0; r < in; ++r) {
                double dW = 0;
                for (int i = 0; i < B; ++i) dW += double(m.x(i, r)) * double(dz[i * hidden + c]);
                CHECK(double(W_grad[r * hidden + c]) == Approx(dW).margin(1e-6));
            }
        }
    };

    tape.backward_multi(std::span<const Var<T>>(losses));
    for (int k = 0; k < 2; ++k) {
        check_rebuilds(k, m.W1.task_grad(k), m.b1.task_grad(k));
        CHECK(tape.adjoint(tape.param(m.W1), k) == m.W1.task_grad(k));  // a parameter's slot is its task gradient
    }
    CHECK(tape.adjoint(x, 0) == nullptr);       // an input needs no gradient
    CHECK(tape.adjoint(out0, 1) == nullptr);    // head 0 is not reached by loss 1
    CHECK(tape.adjoint(out0, 0) != nullptr);
    // z has one consumer, relu, which passed its buffer on to z: h's adjoint is gone.
    CHECK_THROWS_AS(tape.adjoint(h, 0), std::logic_error);

    // A zero per-sample seed removes that sample's row from the adjoint of loss 1 only.
    std::vector<T> seed(std::size_t(B), T(1));
    seed[3] = T(0);
    const T* seeds[] = {nullptr, seed.data()};
    tape.backward_multi(std::span<const Var<T>>(losses), std::span<const T* const>(seeds));
    const T* dz1 = tape.adjoint(z, 1);
    const T* dz0 = tape.adjoint(z, 0);
    CHECK(std::all_of(dz1 + 3 * hidden, dz1 + 4 * hidden, [](T v) { return v == T(0); }));
    CHECK(std::any_of(dz0 + 3 * hidden, dz0 + 4 * hidden, [](T v) { return v != T(0); }));

    tape.backward(losses[1]);  // backward: loss index 0
    check_rebuilds(0, m.W1.grad().data(), m.b1.grad().data());
    CHECK(tape.adjoint(out0, 0) == nullptr);
    CHECK_THROWS_AS(tape.adjoint(z, 64), std::invalid_argument);
}

TEMPLATE_TEST_CASE("Tape::keep_adjoint keeps an activation's output adjoint readable, the gradients unchanged", "[multi]", float, double) {
    using T = TestType;
    // Without keep_adjoint, relu's output h lends its adjoint buffer to z (the test above).
    // Kept, h has its own: dL_k/dz = dL_k/dh where z > 0, else 0, and the task gradients
    // are bitwise those of the sweep without it.
    const int B = 7, in = 5, hidden = 6;
    Model<T> m(B, in, hidden, 2, 71);
    auto sweep = [&](Tape<T>& tape, bool keep, Var<T>& z, Var<T>& h) {
        const Var<T> x = tape.input(m.x, "x");
        z = linear(x, tape.param(m.W1), tape.param(m.b1));
        h = relu(z);
        if (keep) tape.keep_adjoint(h);
        const Var<T> losses[] = {m.heads[0]->loss(tape, m.heads[0]->output(tape, h)), m.heads[1]->loss(tape, m.heads[1]->output(tape, h))};
        tape.backward_multi(std::span<const Var<T>>(losses));
        return copy_task_grads(m.params(), 2);
    };
    Tape<T> plain, kept;
    Var<T> z0, h0, z, h;
    const auto want = sweep(plain, false, z0, h0);
    const auto got = sweep(kept, true, z, h);
    for (std::size_t q = 0; q < want.size(); ++q)
        for (int k = 0; k < 2; ++k) CHECK(want[q][std::size_t(k)] == got[q][std::size_t(k)]);
    for (int k = 0; k < 2; ++k) {
        INFO("loss " << k);
        const T* dh = kept.adjoint(h, k);
        const T* dz = kept.adjoint(z, k);
        REQUIRE(dh != nullptr);
        REQUIRE(dz != nullptr);
        CHECK(dh != dz);
        int active = 0;
        for (int e = 0; e < B * hidden; ++e) {
            const bool on = z.data()[e] > T(0);
            active += on;
            CHECK(dz[e] == (on ? dh[e] : T(0)));
        }
        CHECK(active > 0);
        CHECK(active < B * hidden);
    }
    CHECK_THROWS_AS(plain.adjoint(h0, 0), std::logic_error);
}

// Tape::skip_param_grad: the skipped (loss, parameter) pairs give zero gradients, and every
// other task gradient and every adjoint is bitwise the full sweep's, though the sweep splits
// its runs where a skip starts or ends (the GEMM contract keeps each element's sum order).
template <class T>
struct SkippedSweep {
    TaskGrads<T> grads;
    std::vector<std::vector<T>> adjoints;  // [node * K + k]: z1's and z2's adjoints, per loss
};

// Sweeps m's K losses with skip[q] as the skip mask of trunk parameter q (linear layout,
// written out to reach the pre-activations z1, z2).
template <class T>
SkippedSweep<T> sweep_with_skips(Model<T>& m, const std::vector<std::uint64_t>& skip) {
    const int K = int(m.heads.size());
    Tape<T> tape;
    const Var<T> z1 = linear(tape.input(m.x, "x"), tape.param(m.W1), tape.param(m.b1));
    const Var<T> z2 = linear(relu(z1), tape.param(m.W2), tape.param(m.b2));
    const Var<T> h = hyda::ad::tanh(z2);
    std::vector<Var<T>> losses;
    for (auto& head : m.heads) losses.push_back(head->loss(tape, head->output(tape, h)));
    const auto trunk = m.trunk_params();
    for (std::size_t q = 0; q < trunk.size(); ++q) tape.skip_param_grad(tape.param(*trunk[q]), skip[q]);
    tape.backward_multi(std::span<const Var<T>>(losses));
    SkippedSweep<T> out{copy_task_grads(m.params(), K), {}};
    for (const Var<T>& z : {z1, z2})
        for (int k = 0; k < K; ++k) out.adjoints.emplace_back(tape.adjoint(z, k), tape.adjoint(z, k) + z.rows() * z.cols());
    return out;
}

TEMPLATE_TEST_CASE("Tape::skip_param_grad zeroes the skipped task gradients and leaves the rest bitwise as they were", "[multi]", float, double) {
    using T = TestType;
    hyda::test::KernelSettingsGuard guard;  // restores the thread count
    const int K = 4;
    Model<T> m(256, 64, 256, K, 83);  // big enough for the GEMMs to split over 2 threads
    // Masks that split the trunk's runs in every way: alternate, one end, a middle pair, all.
    const std::vector<std::uint64_t> skip = {0b1010, 0b0001, 0b0110, 0b1111};
    hyda::set_num_threads(1);
    const SkippedSweep<T> full = sweep_with_skips(m, {0, 0, 0, 0});
    const SkippedSweep<T> skipped = sweep_with_skips(m, skip);
    const std::uint64_t regions = hyda::threaded_regions();
    hyda::set_num_threads(2);
    const SkippedSweep<T> two = sweep_with_skips(m, skip);
    CHECK(hyda::threaded_regions() > regions);  // the 2-thread sweep really split its GEMMs
    for (std::size_t q = 0; q < full.grads.size(); ++q) {
        for (int k = 0; k < K; ++k) {
            INFO("parameter " << m.params()[q]->name() << ", loss " << k);
            const std::vector<T>& g = skipped.grads[q][std::size_t(k)];
            REQUIRE(g.size() == full.grads[q][std::size_t(k)].size());  // skipped or not, the slot is there
            CHECK(g == two.grads[q][std::size_t(k)]);
            if (q < skip.size() && (skip[q] >> k & 1)) {
                CHECK(std::all_of(g.begin(), g.end(), [](T v) { return v == T(0); }));
                CHECK(std::any_of(full.grads[q][std::size_t(k)].begin(), full.grads[q][std::size_t(k)].end(), [](T v) { return v != T(0); }));
            } else {
                CHECK(g == full.grads[q][std::size_t(k)]);
            }
        }
    }
    for (std::size_t a = 0; a < full.adjoints.size(); ++a) {
        INFO("adjoint " << a);
        CHECK(skipped.adjoints[a] == full.adjoints[a]);
        CHECK(two.adjoints[a] == full.adjoints[a]);
    }
}

TEMPLATE_TEST_CASE("Tape::skip_param_grad under every matmul layout and under backward", "[multi]", float, double) {
    using T = TestType;
    const int K = 3;
    for (const Layout layout : {Layout::linear, Layout::matmul_nt, Layout::transposed}) {
        INFO("trunk " << layout_name(layout));
        Model<T> m(9, 5, 6, K, 89, layout);
        Tape<T> tape;
        const std::vector<Var<T>> losses = m.losses(tape);
        tape.backward(losses[1]);
        const std::vector<T> w1(m.W1.grad().data(), m.W1.grad().data() + m.W1.size());
        tape.backward_multi(std::span<const Var<T>>(losses));
        const TaskGrads<T> full = copy_task_grads(m.params(), K);
        tape.skip_param_grad(tape.param(m.W1), 0b010);
        tape.skip_param_grad(tape.param(m.W2), 0b101);
        tape.backward_multi(std::span<const Var<T>>(losses));
        const TaskGrads<T> skipped = copy_task_grads(m.params(), K);
        for (std::size_t q = 0; q < full.size(); ++q) {
            const std::uint64_t mask = m.params()[q] == &m.W1 ? 0b010 : m.params()[q] == &m.W2 ? 0b101 : 0;
            for (int k = 0; k < K; ++k) {
                INFO("parameter " << m.params()[q]->name() << ", loss " << k);
                const std::vector<T>& g = skipped[q][std::size_t(k)];
                if (mask >> k & 1) {
                    REQUIRE(g.size() == full[q][std::size_t(k)].size());
                    CHECK(std::all_of(g.begin(), g.end(), [](T v) { return v == T(0); }));
                } else {
                    CHECK(g == full[q][std::size_t(k)]);
                }
            }
        }
        // backward's loss is loss 0: W2 (bit 0 set) gets zero, W1 (bit 0 clear) its gradient.
        tape.backward(losses[1]);
        CHECK(std::equal(w1.begin(), w1.end(), m.W1.grad().data()));
        CHECK(std::all_of(m.W2.grad().data(), m.W2.grad().data() + m.W2.size(), [](T v) { return v == T(0); }));
        CHECK_THROWS_AS(tape.skip_param_grad(losses[0], 1), std::invalid_argument);  // not a parameter
    }
}
