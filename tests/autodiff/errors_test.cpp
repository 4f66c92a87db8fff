// Bad use of the tape and the ops raises std::invalid_argument with a message that names
// the op, the nodes involved and their shapes.
#include <catch2/catch.hpp>

#include "throws.hpp"

#include <cmath>
#include <functional>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

#include "hyda/autodiff/ops.hpp"

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
    Tape<float> tape;
    CHECK_THAT(invalid_argument_message([&] { tape.input(nullptr, 2, 2, "features"); }), Contains("'features'") && Contains("[2 x 2]"));
    CHECK_THAT(invalid_argument_message([&] { tape.input(nullptr, -1, 2, "features"); }), Contains("'features'"));
}
