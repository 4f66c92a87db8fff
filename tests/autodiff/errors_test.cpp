// Bad use of the tape and the ops raises std::invalid_argument with a message that names
// the op, the nodes involved and their shapes. A mutator that throws leaves its object as
// it was (tensors, parameters, the tape and its last sweep, optimizers), and copies and
// moves never leave two objects sharing state or one in a broken state.
#include <catch2/catch.hpp>

#include "throws.hpp"

#include <climits>
#include <cmath>
#include <functional>
#include <limits>
#include <memory>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include "hyda/autodiff/gradcheck.hpp"
#include "hyda/autodiff/ops.hpp"
#include "hyda/autodiff/optim.hpp"
#include "tensor_state.hpp"

namespace {

using namespace hyda::ad;
using hyda::Trans;
using Catch::Contains;
using V = Var<double>;

using hyda::test::invalid_argument_message;

// Zero-filled inputs of a given shape and name, kept alive for the test.
struct Inputs {
    Tape<double>& tape;
    std::vector<std::vector<double>> storage;
    explicit Inputs(Tape<double>& t) : tape(t) { storage.reserve(64); }
    V operator()(const char* name, int rows, int cols, double fill = 0) {
        storage.emplace_back(std::size_t(rows) * cols, fill);
        return tape.input(storage.back().data(), rows, cols, name);
    }
};

}  // namespace

TEST_CASE("shape mismatches name the op, the nodes and their shapes", "[errors]") {
    Tape<double> tape;
    Inputs in(tape);
    const V A = in("A", 2, 3), B = in("B", 4, 5);

    SECTION("matmul") {
        CHECK_THAT(invalid_argument_message([&] { matmul(A, B); }),
                   Contains("matmul") && Contains("'A' [2 x 3]") && Contains("'B' [4 x 5]") && Contains("inner dimensions"));
        // With transposes the op's shapes are checked: A^T is 3 x 2, B 4 x 5.
        CHECK_THAT(invalid_argument_message([&] { matmul(A, B, Trans::T, Trans::N); }), Contains("matmul") && Contains("'A' [2 x 3]"));
        const V C = in("C", 5, 3);
        CHECK_NOTHROW(matmul(A, C, Trans::N, Trans::T));  // [2 x 3] [3 x 5]
        CHECK_THAT(invalid_argument_message([&] { matmul(A, C, Trans::N, Trans::N); }), Contains("'C' [5 x 3]"));
    }
    SECTION("linear") {
        const V x = in("x", 8, 3), W = in("W", 4, 2), W3 = in("W3", 3, 2), b = in("b", 1, 2), b_bad = in("b_bad", 2, 1);
        CHECK_THAT(invalid_argument_message([&] { linear(x, W, b); }),
                   Contains("linear") && Contains("'x' [8 x 3]") && Contains("'W' [4 x 2]"));
        CHECK_THAT(invalid_argument_message([&] { linear(x, W3, b_bad); }),
                   Contains("linear") && Contains("bias") && Contains("'b_bad' [2 x 1]") && Contains("[1 x 2]"));
        CHECK_NOTHROW(linear(x, W3, b));
    }
    SECTION("add, sub, mul, div broadcast") {
        struct Op { const char* name; V (*f)(V, V); };
        const Op ops[] = {{"add", [](V a, V b) { return a + b; }},
                          {"sub", [](V a, V b) { return a - b; }},
                          {"mul", [](V a, V b) { return a * b; }},
                          {"div", [](V a, V b) { return a / b; }}};
        const V a = in("a", 3, 4);
        // Wrong, and right but in the wrong operand (only b broadcasts).
        const V bad[] = {in("b", 2, 2), in("b", 4, 3), in("b", 1, 3), in("b", 3, 2), in("b", 4, 1)};
        for (const Op& op : ops) {
            for (const V& b : bad) {
                INFO(op.name << " with b " << b.rows() << " x " << b.cols());
                CHECK_THAT(invalid_argument_message([&] { op.f(a, b); }),
                           Contains(op.name) && Contains("'a' [3 x 4]") &&
                               Contains("'b' [" + std::to_string(b.rows()) + " x " + std::to_string(b.cols()) + "]"));
            }
            CHECK_THAT(invalid_argument_message([&] { op.f(in("row", 1, 4), a); }), Contains(op.name) && Contains("'a' [3 x 4]"));
            for (const V& ok : {in("same", 3, 4), in("row", 1, 4), in("col", 3, 1), in("scalar", 1, 1, 1.0)}) CHECK_NOTHROW(op.f(a, ok));
        }
    }
    SECTION("concat") {
        const V a = in("a", 2, 3), b = in("b", 3, 2);
        CHECK_THAT(invalid_argument_message([&] { concat(a, b, Axis::rows); }),
                   Contains("concat") && Contains("'a' [2 x 3]") && Contains("'b' [3 x 2]") && Contains("rows"));
        CHECK_THAT(invalid_argument_message([&] { concat(a, b, Axis::cols); }),
                   Contains("concat") && Contains("'a' [2 x 3]") && Contains("'b' [3 x 2]") && Contains("columns"));
        CHECK_NOTHROW(concat(a, in("c", 5, 3), Axis::rows));
        CHECK_NOTHROW(concat(a, in("c", 2, 7), Axis::cols));
    }
    SECTION("slice range") {
        const V x = in("x", 4, 6);
        struct Case { Axis axis; int begin, end; };
        for (const Case c : {Case{Axis::rows, -1, 2}, Case{Axis::rows, 0, 5}, Case{Axis::rows, 2, 2}, Case{Axis::rows, 3, 1},
                             Case{Axis::cols, 0, 7}, Case{Axis::cols, 6, 6}, Case{Axis::cols, -2, 0}}) {
            INFO(c.begin << ", " << c.end);
            CHECK_THAT(invalid_argument_message([&] { slice(x, c.axis, c.begin, c.end); }),
                       Contains("slice") && Contains("'x' [4 x 6]") &&
                           Contains("[" + std::to_string(c.begin) + ", " + std::to_string(c.end) + ")") &&
                           Contains(c.axis == Axis::rows ? "rows" : "columns"));
        }
        CHECK_NOTHROW(slice(x, Axis::rows, 0, 4));
        CHECK_NOTHROW(slice(x, Axis::cols, 5, 6));
    }
    SECTION("mix_add") {
        const V x = in("x", 4, 6), w = in("w", 4, 3), acc = in("acc", 4, 6);
        CHECK_THAT(invalid_argument_message([&] { mix_add(acc, x, in("w5", 5, 3), 0); }),
                   Contains("mix_add") && Contains("'w5' [5 x 3]") && Contains("'x' [4 x 6]"));
        for (const int column : {-1, 3})
            CHECK_THAT(invalid_argument_message([&] { mix_add(acc, x, w, column); }),
                       Contains("mix_add") && Contains("column " + std::to_string(column)) && Contains("'w' [4 x 3]"));
        CHECK_THAT(invalid_argument_message([&] { mix_add(in("acc", 4, 5), x, w, 0); }),
                   Contains("mix_add") && Contains("'acc' [4 x 5]") && Contains("'x' [4 x 6]"));
        CHECK_NOTHROW(mix_add(acc, x, w, 2));
        CHECK_NOTHROW(mix_add(V{}, x, w, 0));
    }
    SECTION("loss label and option shapes") {
        const V p = in("pred", 4, 2), t_bad = in("target", 4, 3), t = in("target", 4, 2);
        CHECK_THAT(invalid_argument_message([&] { mse(p, t_bad); }),
                   Contains("mse") && Contains("'target' [4 x 3]") && Contains("'pred' [4 x 2]"));
        CHECK_THAT(invalid_argument_message([&] { huber(p, t_bad); }), Contains("huber") && Contains("'target' [4 x 3]"));
        const V logits1 = in("logits", 4, 1), y_bad = in("labels", 3, 1), y_wide = in("labels", 4, 2);
        CHECK_THAT(invalid_argument_message([&] { bce_with_logits(logits1, y_bad); }),
                   Contains("bce_with_logits") && Contains("'labels' [3 x 1]") && Contains("[4 x 1]"));
        CHECK_THAT(invalid_argument_message([&] { bce_with_logits(p, in("labels", 4, 1)); }),
                   Contains("bce_with_logits") && Contains("'pred' [4 x 2]") && Contains("one column"));
        CHECK_THAT(invalid_argument_message([&] { softmax_cross_entropy(p, y_wide); }),
                   Contains("softmax_cross_entropy") && Contains("'labels' [4 x 2]") && Contains("[4 x 1]"));
        // Per-sample weights and masks: one entry per sample.
        CHECK_THAT(invalid_argument_message([&] { mse(p, t, {in("w", 3, 1), {}}); }),
                   Contains("mse") && Contains("weight") && Contains("'w' [3 x 1]") && Contains("[4 x 1]"));
        CHECK_THAT(invalid_argument_message([&] { bce_with_logits(logits1, in("labels", 4, 1), {{}, in("m", 1, 4)}); }),
                   Contains("bce_with_logits") && Contains("mask") && Contains("'m' [1 x 4]"));
        // No samples at all.
        CHECK_THAT(invalid_argument_message([&] { mse(in("empty", 0, 2), in("t0", 0, 2)); }),
                   Contains("mse") && Contains("'empty' [0 x 2]"));
    }
}

TEST_CASE("options and labels that must not depend on parameters", "[errors]") {
    Tape<double> tape;
    Inputs in(tape);
    Parameter<double> w("w", 4, 1), z("z", 4, 1);
    const V logits = in("logits", 4, 1), y = in("y", 4, 1);
    CHECK_THAT(invalid_argument_message([&] { bce_with_logits(logits, y, {tape.param(w), {}}); }),
               Contains("bce_with_logits") && Contains("'w' [4 x 1]") && Contains("parameters"));
    CHECK_THAT(invalid_argument_message([&] { bce_with_logits(logits, tape.param(z)); }),
               Contains("bce_with_logits") && Contains("'z' [4 x 1]") && Contains("parameters"));
    CHECK_THAT(invalid_argument_message([&] { softmax_cross_entropy(in("logits3", 4, 3), tape.param(z)); }),
               Contains("softmax_cross_entropy") && Contains("'z' [4 x 1]"));
}

TEST_CASE("backward of a loss that is not [1 x 1]", "[errors]") {
    Tape<double> tape;
    Inputs in(tape);
    Parameter<double> W("W", 3, 2);
    const V y = matmul(in("x", 5, 3), tape.param(W));
    CHECK_THAT(invalid_argument_message([&] { tape.backward(y); }),
               Contains("backward") && Contains("must be [1 x 1]") && Contains("'matmul'") && Contains("[5 x 2]"));
    const V ok = sum(y);
    const V losses[] = {ok, y};
    CHECK_THAT(invalid_argument_message([&] { tape.backward_multi(losses); }),
               Contains("backward_multi") && Contains("loss 1") && Contains("must be [1 x 1]") && Contains("[5 x 2]"));
    CHECK_THAT(invalid_argument_message([&] { y.item(); }), Contains("item") && Contains("'matmul'") && Contains("[5 x 2]"));
    CHECK_NOTHROW(tape.backward(ok));
}

TEST_CASE("a Var of another tape, or recorded before reset()", "[errors]") {
    Tape<double> t1, t2;
    Inputs in1(t1), in2(t2);
    Parameter<double> W("W", 2, 2);
    const V a = in1("a", 2, 2), b = in2("b", 2, 2);

    SECTION("operands from two tapes") {
        CHECK_THAT(invalid_argument_message([&] { a + b; }),
                   Contains("add") && Contains("different tapes") && Contains("'a'") && Contains("'b'"));
        CHECK_THAT(invalid_argument_message([&] { matmul(a, b); }), Contains("matmul") && Contains("different tapes"));
        CHECK_THAT(invalid_argument_message([&] { concat(a, b, Axis::rows); }), Contains("concat") && Contains("different tapes"));
        CHECK_THAT(invalid_argument_message([&] { mse(a, b); }), Contains("mse") && Contains("different tapes"));
        CHECK_THAT(invalid_argument_message([&] { linear(a, t2.param(W), in2("bias", 1, 2)); }),
                   Contains("linear") && Contains("different tapes"));
        // A loss option from the other tape.
        CHECK_THAT(invalid_argument_message([&] { mse(a, in1("t", 2, 2), {in2("w", 2, 1), {}}); }), Contains("another tape"));
    }
    SECTION("backward of another tape's loss") {
        const V loss = sum(t2.param(W) * b);
        CHECK_THAT(invalid_argument_message([&] { t1.backward(loss); }), Contains("another tape"));
        const V losses[] = {sum(a), loss};
        CHECK_THAT(invalid_argument_message([&] { t1.backward_multi(losses); }), Contains("another tape"));
        CHECK_NOTHROW(t2.backward(loss));
    }
    SECTION("a Var recorded before reset()") {
        const V p = t1.param(W);
        const V loss = sum(p * a);
        t1.reset();
        const V fresh = in1("fresh", 2, 2);
        CHECK_THAT(invalid_argument_message([&] { relu(a); }), Contains("reset"));
        CHECK_THAT(invalid_argument_message([&] { fresh + a; }), Contains("reset"));
        CHECK_THAT(invalid_argument_message([&] { t1.backward(loss); }), Contains("reset"));
        CHECK_THAT(invalid_argument_message([&] { loss.item(); }), Contains("reset"));
        // relu(a) above: a stale Var whose id is in range on the new recording (fresh is
        // node 0 again); p's id is past the end of it.
        REQUIRE(fresh.id == a.id);
        REQUIRE(p.id >= int(t1.size()));
        CHECK_THAT(invalid_argument_message([&] { sum(p); }), Contains("reset"));
    }
    SECTION("an empty Var") {
        CHECK_THAT(invalid_argument_message([&] { a + V{}; }), Contains("add") && Contains("empty"));
        CHECK_THAT(invalid_argument_message([&] { relu(V{}); }), Contains("relu") && Contains("empty"));
        CHECK_THAT(invalid_argument_message([&] { sum(V{}); }), Contains("sum") && Contains("empty"));
        CHECK_THAT(invalid_argument_message([&] { t1.backward(V{}); }), Contains("empty"));
    }
}

TEST_CASE("backward_multi: seeds on a non-loss node, seed count, number of losses", "[errors]") {
    Tape<double> tape;
    Inputs in(tape);
    Parameter<double> z("z", 3, 1);
    const V p = tape.param(z);
    const V L = bce_with_logits(p, in("y", 3, 1));
    const V S = sum(p);
    std::vector<double> seed{1, 2, 3};

    const V losses[] = {L, S};
    const double* seed_on_sum[] = {nullptr, seed.data()};
    CHECK_THAT(invalid_argument_message([&] { tape.backward_multi(losses, seed_on_sum); }),
               Contains("backward_multi") && Contains("per-sample seeds") && Contains("loss 1") && Contains("'sum'"));
    // A loss of a loss (L * 2) is no longer a loss function either.
    const V scaled = L * in("two", 1, 1, 2.0);
    const V one[] = {scaled};
    const double* seeds1[] = {seed.data()};
    CHECK_THAT(invalid_argument_message([&] { tape.backward_multi(one, seeds1); }), Contains("per-sample seeds") && Contains("'mul'"));

    const double* three_seeds[] = {seed.data(), nullptr, nullptr};
    CHECK_THAT(invalid_argument_message([&] { tape.backward_multi(losses, three_seeds); }),
               Contains("backward_multi") && Contains("3 per-sample seeds for 2 losses"));

    std::vector<V> many(65, L);
    CHECK_THAT(invalid_argument_message([&] { tape.backward_multi(many); }),
               Contains("backward_multi") && Contains("1 to 64") && Contains("65"));
    CHECK_THAT(invalid_argument_message([&] { tape.backward_multi(std::span<const V>{}); }),
               Contains("backward_multi") && Contains("got 0"));
    many.resize(64);
    CHECK_NOTHROW(tape.backward_multi(many));
    CHECK(z.task_grad(63) != nullptr);

    const double* seed_on_loss[] = {seed.data(), nullptr};
    CHECK_NOTHROW(tape.backward_multi(losses, seed_on_loss));

    // combine() takes at most 64 weights.
    std::vector<double> w(65, 1.0);
    CHECK_THAT(invalid_argument_message([&] { z.combine(w.data(), 65); }), Contains("combine") && Contains("65"));
}

TEST_CASE("invalid labels", "[errors]") {
    Tape<double> tape;
    Inputs in(tape);
    const double nan = std::numeric_limits<double>::quiet_NaN();
    SECTION("class index out of range or not an integer") {
        const V logits = in("logits", 3, 4);
        // Also beyond int's range (1e10, -3e9): rejected without an undefined conversion.
        for (const double bad : {4.0, -1.0, 1.5, -0.5, 3.999, 100.0, 1e10, -3e9}) {
            INFO("label " << bad);
            std::vector<double> y{0, bad, 3};
            CHECK_THAT(invalid_argument_message([&] { softmax_cross_entropy(logits, tape.input(y.data(), 3, 1, "labels")); }),
                       Contains("softmax_cross_entropy") && Contains("'labels' [3 x 1]") && Contains("row 1") && Contains("[0, 4)"));
        }
    }
    SECTION("BCE labels other than 0 and 1") {
        std::vector<double> y{0, 1, 0.5};
        CHECK_THAT(invalid_argument_message([&] { bce_with_logits(in("logits", 3, 1), tape.input(y.data(), 3, 1, "labels")); }),
                   Contains("bce_with_logits") && Contains("'labels' [3 x 1]") && Contains("row 2") && Contains("not 0 or 1"));
    }
    SECTION("NaN or infinite label in an unmasked row") {
        for (const double bad : {nan, std::numeric_limits<double>::infinity()}) {
            INFO("label " << bad);
            std::vector<double> y{1, 0, bad, 1}, target{0, 0, 0, 0, bad, 0, 0, 0};
            std::vector<double> mask_other{1, 1, 1, 0}, mask_it{1, 1, 0, 1};
            const V labels = tape.input(y.data(), 4, 1, "labels"), t = tape.input(target.data(), 4, 2, "target");
            const V m_other = tape.input(mask_other.data(), 4, 1, "m"), m_it = tape.input(mask_it.data(), 4, 1, "m");
            CHECK_THAT(invalid_argument_message([&] { bce_with_logits(in("logits", 4, 1), labels); }),
                       Contains("bce_with_logits") && Contains("'labels' [4 x 1]") && Contains("row 2") && Contains("mask"));
            CHECK_THAT(invalid_argument_message([&] { softmax_cross_entropy(in("logits", 4, 2), labels); }),
                       Contains("softmax_cross_entropy") && Contains("'labels' [4 x 1]") && Contains("row 2") && Contains("mask"));
            CHECK_THAT(invalid_argument_message([&] { bce_with_logits(in("logits", 4, 1), labels, {{}, m_other}); }), Contains("row 2"));
            CHECK_THAT(invalid_argument_message([&] { mse(in("pred", 4, 2), t); }),
                       Contains("mse") && Contains("'target' [4 x 2]") && Contains("row 2"));
            CHECK_THAT(invalid_argument_message([&] { huber(in("pred", 4, 2), t); }), Contains("huber") && Contains("row 2"));
            // Masked: accepted.
            CHECK_NOTHROW(bce_with_logits(in("logits", 4, 1), labels, {{}, m_it}));
            CHECK_NOTHROW(softmax_cross_entropy(in("logits", 4, 2), labels, {{}, m_it}));
            CHECK_NOTHROW(mse(in("pred", 4, 2), t, {{}, m_it}));
        }
    }
    SECTION("masks other than 0 and 1, weights NaN, infinite or negative") {
        std::vector<double> y{1, 0, 1, 0};
        const V labels = tape.input(y.data(), 4, 1, "labels");
        for (const double bad : {nan, 0.5, -1.0, 2.0}) {
            INFO("mask value " << bad);
            std::vector<double> m{1, 1, bad, 1};
            CHECK_THAT(invalid_argument_message([&] { bce_with_logits(in("logits", 4, 1), labels, {{}, tape.input(m.data(), 4, 1, "m")}); }),
                       Contains("bce_with_logits") && Contains("mask 'm' [4 x 1] row 2") && Contains("0 or 1"));
        }
        for (const double bad : {nan, std::numeric_limits<double>::infinity(), -0.5}) {
            INFO("weight " << bad);
            std::vector<double> w{1, bad, 2, 1}, m_out{1, 0, 1, 1};
            const V weights = tape.input(w.data(), 4, 1, "w");
            CHECK_THAT(invalid_argument_message([&] { mse(in("pred", 4, 1), labels, {weights, {}}); }),
                       Contains("mse") && Contains("weight 'w' [4 x 1] row 1") && Contains(">= 0"));
            CHECK_NOTHROW(mse(in("pred", 4, 1), labels, {weights, tape.input(m_out.data(), 4, 1, "m")}));  // masked row: not read
        }
    }
}

TEST_CASE("op parameters out of range", "[errors]") {
    Tape<double> tape;
    Inputs in(tape);
    const V x = in("x", 3, 3);
    for (const double p : {1.0, 1.5, -0.1, std::numeric_limits<double>::quiet_NaN()}) {
        INFO("p = " << p);
        CHECK_THAT(invalid_argument_message([&] { dropout(x, p); }), Contains("dropout") && Contains("[0, 1)"));
    }
    CHECK_NOTHROW(dropout(x, 0.0));
    CHECK_NOTHROW(dropout(x, 0.999));
    for (const double delta : {0.0, -1.0}) {
        CHECK_THAT(invalid_argument_message([&] { huber(x, in("t", 3, 3), delta); }), Contains("huber") && Contains("delta"));
    }
}

TEST_CASE("invalid tensors and inputs", "[errors]") {
    CHECK_THAT(invalid_argument_message([] { Tensor<float>(-1, 3); }), Contains("[-1 x 3]"));
    CHECK_THAT(invalid_argument_message([] { Tensor<double>(INT_MAX, INT_MAX); }), Contains("Tensor") && Contains("more elements"));
    Tape<float> tape;
    CHECK_THAT(invalid_argument_message([&] { tape.input(nullptr, 2, 2, "features"); }), Contains("'features'") && Contains("[2 x 2]"));
    CHECK_THAT(invalid_argument_message([&] { tape.input(nullptr, -1, 2, "features"); }), Contains("'features'"));
    // rows * cols overflows an int (65536^2 = 2^32): still a non-empty shape without data.
    CHECK_THAT(invalid_argument_message([&] { tape.input(nullptr, 1 << 16, 1 << 16, "huge"); }), Contains("'huge'"));
    CHECK(tape.size() == 0);
}

// ---- The state after a throw ----

using hyda::test::elements;
using hyda::test::fill_ramp;

TEST_CASE("Tensor::resize checks the shape before it changes anything", "[errors]") {
    Tensor<float> t(2, 3);
    fill_ramp(t, 1);
    const std::vector<float> before = elements(t.data(), t.size());
    auto unchanged = [&] { return t.rows() == 2 && t.cols() == 3 && elements(t.data(), t.size()) == before; };

    CHECK_THAT(invalid_argument_message([&] { t.resize(-1, 3); }), Contains("[-1 x 3]"));
    CHECK(unchanged());
    CHECK_THAT(invalid_argument_message([&] { t.resize(3, -2); }), Contains("[3 x -2]"));
    CHECK(unchanged());
    // More elements than a vector can hold (rows * cols itself fits in a size_t).
    CHECK_THAT(invalid_argument_message([&] { t.resize(INT_MAX, INT_MAX); }), Contains("more elements"));
    CHECK(unchanged());

    t.resize(3, 2);  // same storage, another shape
    CHECK((t.rows() == 3 && t.cols() == 2 && elements(t.data(), t.size()) == before));
    t.resize(0, 5);
    CHECK((t.rows() == 0 && t.cols() == 5 && t.size() == 0));
}

// A two-task tape: a shared hidden layer h = tanh(pre) and two heads, with one good sweep
// done.
struct SweptTape {
    Tape<double> tape{3};
    Parameter<double> W{"W", 3, 4}, V0{"V0", 4, 1}, V1{"V1", 4, 1};
    std::vector<double> x = std::vector<double>(15), y = {1, 0, 1, 1, 0};
    Var<double> pre, h, L0, L1, wide;

    SweptTape() {
        for (std::size_t i = 0; i < x.size(); ++i) x[i] = std::sin(double(i));
        fill_ramp(W.value(), -1), fill_ramp(V0.value(), -0.5), fill_ramp(V1.value(), 0.3);
        pre = matmul(tape.input(x.data(), 5, 3, "x"), tape.param(W));
        h = tanh(pre);
        const Var<double> labels = tape.input(y.data(), 5, 1, "y");
        L0 = bce_with_logits(matmul(h, tape.param(V0)), labels);
        L1 = bce_with_logits(matmul(h, tape.param(V1)), labels);
        wide = h * h;  // not [1 x 1]
        const Var<double> losses[] = {L0, L1};
        tape.backward_multi(losses);
    }

    // Everything the last sweep left: task gradients, masks, grad() and adjoints.
    std::vector<std::vector<double>> results() const {
        std::vector<std::vector<double>> out;
        for (const Parameter<double>* p : {&W, &V0, &V1}) {
            out.push_back({double(p->task_mask())});
            for (int k = 0; k < 2; ++k) out.push_back(elements(p->task_grad(k), p->size()));
            out.push_back(elements(p->grad().data(), p->size()));
        }
        for (const Var<double>& v : {pre, L0, L1}) {
            for (int k = 0; k < 2; ++k) out.push_back(elements(tape.adjoint(v, k), std::size_t(v.rows() * v.cols())));
        }
        return out;
    }
};

TEST_CASE("a backward with bad arguments leaves the last sweep's results", "[errors]") {
    SweptTape s;
    const auto before = s.results();
    REQUIRE(!before[1].empty());  // W's gradient for loss 0 exists

    Tape<double> other;
    Parameter<double> z("z", 1, 1);
    const Var<double> foreign = sum(other.param(z));
    const double seed[5] = {1, 1, 1, 1, 1};
    const double* seeds_on_h[] = {nullptr, seed};

    const std::vector<std::pair<const char*, std::function<void()>>> bad = {
        {"a loss that is not [1 x 1]", [&] { s.tape.backward(s.wide); }},
        {"an empty Var", [&] { s.tape.backward(Var<double>{}); }},
        {"another tape's loss second", [&] { const Var<double> l[] = {s.L0, foreign}; s.tape.backward_multi(l); }},
        {"a non-scalar loss second", [&] { const Var<double> l[] = {s.L1, s.wide}; s.tape.backward_multi(l); }},
        {"per-sample seeds on a non-loss", [&] { const Var<double> l[] = {s.L0, sum(s.h)}; s.tape.backward_multi(l, seeds_on_h); }},
        {"3 seeds for 2 losses", [&] { const Var<double> l[] = {s.L0, s.L1}; const double* t[] = {seed, seed, seed}; s.tape.backward_multi(l, t); }},
        {"65 losses", [&] { const std::vector<Var<double>> l(65, s.L0); s.tape.backward_multi(l); }},
    };
    for (const auto& [what, f] : bad) {
        INFO(what);
        CHECK_FALSE(invalid_argument_message(f).empty());
        CHECK(s.results() == before);
    }
}

TEST_CASE("ops that throw record nothing", "[errors]") {
    Tape<double> tape;
    Inputs in(tape);
    const V a = in("a", 2, 3), labels = in("labels", 2, 1, 7.0);
    const std::size_t recorded = tape.size();
    CHECK_FALSE(invalid_argument_message([&] { matmul(a, a); }).empty());
    CHECK_FALSE(invalid_argument_message([&] { softmax_cross_entropy(a, labels); }).empty());  // class 7 of 3
    CHECK_FALSE(invalid_argument_message([&] { dropout(a, 2.0); }).empty());
    CHECK(tape.size() == recorded);
}

TEST_CASE("a parameter resized against its contract is refused before anything changes", "[errors]") {
    Parameter<double> W("W", 2, 2);
    fill_ramp(W.value(), 1);

    SECTION("Tape::param: value and grad of different shapes") {
        Tape<double> tape;
        W.grad().resize(3, 3);
        CHECK_THAT(invalid_argument_message([&] { tape.param(W); }), Contains("param") && Contains("'W'") && Contains("[3 x 3]"));
        CHECK(tape.size() == 0);
    }
    SECTION("backward: the parameter was resized after it was recorded") {
        Tape<double> tape;
        const V loss = sum(tape.param(W));
        tape.backward(loss);
        W.value().resize(3, 3), W.grad().resize(3, 3);  // larger: the old code wrote inside it
        fill_ramp(W.grad(), 5);
        const std::vector<double> grad = elements(W.grad().data(), W.size());
        CHECK_THAT(invalid_argument_message([&] { tape.backward(loss); }), Contains("backward") && Contains("'W'") && Contains("[2 x 2]"));
        CHECK(elements(W.grad().data(), W.size()) == grad);
    }
    SECTION("combine") {
        Tape<double> tape;
        const V losses[] = {sum(tape.param(W))};
        tape.backward_multi(losses);
        W.grad().resize(3, 3);
        fill_ramp(W.grad(), 5);
        const std::vector<double> grad = elements(W.grad().data(), W.grad().size());
        const double one = 1;
        CHECK_THAT(invalid_argument_message([&] { W.combine(&one, 1); }), Contains("combine") && Contains("'W'"));
        CHECK(elements(W.grad().data(), W.grad().size()) == grad);
    }
}

TEST_CASE("optimizers check every parameter before they update any", "[errors]") {
    Parameter<double> a("a", 3, 3), b("b", 1, 1);
    fill_ramp(a.value(), 1), fill_ramp(a.grad(), 2), fill_ramp(b.value(), 3), fill_ramp(b.grad(), 4);
    const std::vector<double> a_before = elements(a.value().data(), a.size());

    SECTION("SGD: the second parameter was resized") {
        SGD<double> sgd({&a, &b}, 0.1);
        b.value().resize(2, 2), b.grad().resize(2, 2);
        CHECK_THAT(invalid_argument_message([&] { sgd.step(); }), Contains("'b'") && Contains("4 elements") && Contains("built for 1"));
        CHECK(elements(a.value().data(), a.size()) == a_before);
    }
    SECTION("Adam: the step count stays") {
        Adam<double> adam({&b, &a}, 0.1);
        b.value().resize(2, 2), b.grad().resize(2, 2);  // b's state still fits: the old code ran
        CHECK_THAT(invalid_argument_message([&] { adam.step(); }), Contains("'b'"));
        CHECK(adam.steps() == 0);
        std::vector<double> diag(4);
        CHECK_THAT(invalid_argument_message([&] { adam.preconditioner(0, diag.data()); }), Contains("preconditioner") && Contains("'b'"));
        CHECK(elements(a.value().data(), a.size()) == a_before);
    }
    SECTION("grad and value of different shapes") {
        AdamW<double> adamw({&a, &b}, 0.1);
        b.grad().resize(1, 2);
        CHECK_THAT(invalid_argument_message([&] { adamw.step(); }), Contains("'b'") && Contains("[1 x 2]"));
        CHECK(adamw.steps() == 0);
        CHECK(elements(a.value().data(), a.size()) == a_before);
        CHECK_THAT(invalid_argument_message([&] { SGD<double>({&b}, 0.1); }), Contains("'b'"));
        std::vector<Parameter<double>*> both = {&a, &b};
        CHECK_THAT(invalid_argument_message([&] { clip_grad_norm(std::span<Parameter<double>* const>(both), 1e-3); }),
                   Contains("clip_grad_norm") && Contains("'b'"));
        CHECK(elements(a.grad().data(), a.size()) != std::vector<double>(a.size(), 0.0));  // not clipped
    }
    SECTION("a parameter listed twice, a null parameter, a bad learning rate") {
        CHECK_THAT(invalid_argument_message([&] { SGD<double>({&a, &b, &a}, 0.1); }), Contains("'a'") && Contains("twice"));
        std::vector<Parameter<double>*> with_null = {&a, nullptr};
        const std::vector<double> grad = elements(a.grad().data(), a.size());
        CHECK_THAT(invalid_argument_message([&] { clip_grad_norm(std::span<Parameter<double>* const>(with_null), 1e-3); }),
                   Contains("clip_grad_norm") && Contains("null"));
        CHECK(elements(a.grad().data(), a.size()) == grad);
        SGD<double> sgd({&a}, 0.1);
        CHECK_FALSE(invalid_argument_message([&] { sgd.set_lr(-1); }).empty());
        CHECK_FALSE(invalid_argument_message([&] { sgd.set_lr(std::numeric_limits<double>::quiet_NaN()); }).empty());
        CHECK(sgd.lr() == 0.1);
    }
}

TEST_CASE("gradcheck puts the parameters back when the function throws", "[errors]") {
    Parameter<double> W("W", 2, 2);
    fill_ramp(W.value(), 1);
    int calls = 0;
    auto f = [&](Tape<double>& tape) {
        if (++calls == 3) throw std::runtime_error("third call");  // the second perturbed evaluation
        return sum(tape.param(W) * tape.param(W));
    };
    Parameter<double>* params[] = {&W};
    CHECK_THROWS_AS(gradcheck(f, params), std::runtime_error);
    CHECK(elements(W.value().data(), W.size()) == std::vector<double>{1, 1.25, 1.5, 1.75});
}

// ---- Copies and moves ----

TEST_CASE("optimizers and tapes are neither copied nor moved; Var is a plain handle", "[errors]") {
    // An optimizer holds its parameters' addresses and per-element state for them: a copy
    // would step the same parameters with a second state.
    STATIC_REQUIRE_FALSE(std::is_copy_constructible_v<SGD<float>>);
    STATIC_REQUIRE_FALSE(std::is_copy_assignable_v<Adam<double>>);
    STATIC_REQUIRE_FALSE(std::is_copy_constructible_v<AdamW<float>>);
    STATIC_REQUIRE_FALSE(std::is_move_constructible_v<SGD<double>>);
    STATIC_REQUIRE_FALSE(std::is_copy_assignable_v<Optimizer<float>>);
    // Every Var holds its tape's address.
    STATIC_REQUIRE_FALSE(std::is_copy_constructible_v<Tape<float>>);
    STATIC_REQUIRE_FALSE(std::is_move_constructible_v<Tape<float>>);
    STATIC_REQUIRE_FALSE(std::is_move_assignable_v<Tape<double>>);
    STATIC_REQUIRE(noexcept(std::declval<Tape<float>&>().reset()));
    STATIC_REQUIRE(std::is_trivially_copyable_v<Var<float>>);
    // Containers of these move them when they grow.
    STATIC_REQUIRE(std::is_nothrow_move_constructible_v<Tensor<float>>);
    STATIC_REQUIRE(std::is_nothrow_move_constructible_v<Parameter<double>>);
}

TEST_CASE("tensor copies are independent and a moved-from tensor is empty", "[errors]") {
    Tensor<double> a(2, 3);
    fill_ramp(a, 1);
    Tensor<double> copy = a;
    copy(0, 0) = 42;
    CHECK(a(0, 0) == 1);

    Tensor<double> moved = std::move(a);
    CHECK((moved.rows() == 2 && moved.cols() == 3 && moved(1, 2) == 2.25));
    CHECK((a.rows() == 0 && a.cols() == 0 && a.size() == 0));  // NOLINT(bugprone-use-after-move)
    Tensor<double> target(4, 4);
    target = std::move(moved);
    CHECK((target.rows() == 2 && target.cols() == 3 && target(1, 2) == 2.25));
    CHECK((moved.rows() == 0 && moved.cols() == 0 && moved.size() == 0));  // NOLINT(bugprone-use-after-move)
}

TEST_CASE("parameter copies are independent and a moved-from parameter has no task gradients", "[errors]") {
    Tape<double> tape;
    Parameter<double> W("W", 2, 2);
    fill_ramp(W.value(), 1);
    const V losses[] = {sum(tape.param(W)), mean(tape.param(W))};
    tape.backward_multi(losses);
    REQUIRE(W.task_mask() == 3);

    Parameter<double> copy = W;
    REQUIRE(copy.task_grad(1) != nullptr);
    CHECK(copy.task_grad(1) != W.task_grad(1));  // its own storage
    W.task_grad(1)[0] = 42, W.value()(0, 0) = 42;
    CHECK(copy.task_grad(1)[0] == 0.25);
    CHECK(copy.value()(0, 0) == 1);

    Parameter<double> assigned("other", 3, 1);
    assigned = copy;
    CHECK((assigned.name() == "W" && assigned.rows() == 2 && assigned.task_mask() == 3 && assigned.task_grad(0)[3] == 1));

    Parameter<double> moved = std::move(W);
    CHECK((moved.task_mask() == 3 && moved.task_grad(1)[0] == 42));
    // NOLINTBEGIN(bugprone-use-after-move)
    CHECK((W.size() == 0 && W.rows() == 0 && W.task_mask() == 0));
    CHECK(W.task_grad(0) == nullptr);
    // NOLINTEND(bugprone-use-after-move)
    assigned = std::move(moved);
    CHECK((assigned.task_mask() == 3 && moved.task_mask() == 0 && moved.task_grad(1) == nullptr));  // NOLINT(bugprone-use-after-move)
}
