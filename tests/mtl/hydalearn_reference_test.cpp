// HydaLearn's gains and coefficients against references computed outside the trainer
// (tests/mtl/hydalearn_test.cpp takes its expected gains from inspect() itself):
//   (a) first-order gains lr * <g_main, g_k>, each g_k by finite differences of a naive
//       long-double forward;
//   (b) exact gains L_main(theta) - L_main(theta - lr g_k), both losses by the naive
//       forward at parameter values set in the test;
//   (c) the coefficients, by the rule docs/hydalearn.md states, from those gains;
//   (d) a two-layer case small enough to work out on paper.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <string>
#include <vector>

#include "hyda/autodiff/random.hpp"
#include "hyda/mtl/dataset.hpp"
#include "hyda/mtl/trainer.hpp"
#include "mtl_reference.hpp"

using namespace hyda::mtl;
using namespace hyda::test;

namespace {

// Main: binary y = [x0 + x1 > 0]. "related": regression on x0 + x1. "against": the main
// labels flipped, its head a copy of the main head, so that its gradient pulls the trunk
// the other way (a negative gain, which the rule must clip).
ModelSpec gain_spec() {
    ModelSpec spec;
    spec.inputs = 3;
    spec.trunk = {4, 3};
    // The cases below (a held-out row that reaches the main head, a task whose gain is
    // negative) were worked out on these initial weights with model seed 3.
    spec.init = Init::he_xavier;
    spec.tasks = {TaskSpec{"main", TaskKind::binary, 2, 0, {}}, TaskSpec{"related", TaskKind::regression, 2, 0, {}},
                  TaskSpec{"against", TaskKind::binary, 2, 0, {}}};
    return spec;
}

template <class T>
Dataset<T> gain_data(int rows, std::uint64_t seed) {
    hyda::ad::Rng rng(seed);
    Dataset<T> d;
    d.rows = rows;
    d.features = 3;
    d.labels.assign(3, {});
    for (int r = 0; r < rows; ++r) {
        const double x0 = rng.normal(), x1 = rng.normal(), x2 = rng.normal();
        d.x.insert(d.x.end(), {T(x0), T(x1), T(x2)});
        const double y = x0 + x1 > 0 ? 1 : 0;
        d.labels[0].push_back(T(y));
        d.labels[1].push_back(T(x0 + x1));
        d.labels[2].push_back(T(1 - y));
    }
    return d;
}

// Nonzero biases: with the initial zero biases, a row that no first-layer unit passes
// puts the next layer exactly on the relu's kink, where finite differences see half a
// slope. Then the "against" head becomes a copy of the main head.
template <class T>
void prepare_gain_model(Model<T>& model) {
    Params p = params_of(model);
    for (std::size_t i = 1; i < p.size(); i += 2)
        for (std::size_t e = 0; e < p[i].size(); ++e) p[i][e] = 0.05 * double(1 + (i + e) % 3) * ((i + e) % 2 ? -1 : 1);
    const std::size_t main_first = model.head_range(0).first, against_first = model.head_range(2).first;
    for (std::size_t i = 0; i < 2; ++i) p[against_first + i] = p[main_first + i];
    set_params(model, p);
}

// HydaLearn's rule as docs/hydalearn.md states it: w_k = max(delta_k, 0); the main task
// keeps the largest auxiliary weight if its own is 0, all the weight if every one is;
// then normalised: sum K ("sum"), sum 1 ("one") or main weight 1 ("main").
Vec documented_rule(const Vec& gains, int main, const std::string& normalize) {
    Vec w(gains.size());
    for (std::size_t k = 0; k < gains.size(); ++k) w[k] = std::max(gains[k], 0.0);
    if (w[std::size_t(main)] <= 0) w[std::size_t(main)] = *std::max_element(w.begin(), w.end());
    if (w[std::size_t(main)] <= 0) w[std::size_t(main)] = 1;
    const double total = std::accumulate(w.begin(), w.end(), 0.0);
    const double scale = normalize == "sum" ? double(gains.size()) / total : normalize == "one" ? 1 / total : 1 / w[std::size_t(main)];
    for (double& v : w) v *= scale;
    return w;
}

// Per task, the gradient of its loss on `data` over the shared parameters, by central
// differences of the naive forward.
std::vector<Vec> fd_task_gradients(const ModelSpec& spec, const Params& p, std::size_t shared, const Table& data) {
    std::vector<Vec> g;
    for (int k = 0; k < int(spec.tasks.size()); ++k)
        g.push_back(fd_gradient([&](const Params& q) { return task_loss(spec, q, data, k); }, p, 0, shared));
    return g;
}

// theta - lr * g over the shared parameters (flattened in order), heads untouched.
Params shared_step(Params p, std::size_t shared, double lr, const Vec& g) {
    std::size_t at = 0;
    for (std::size_t i = 0; i < shared; ++i)
        for (double& v : p[i]) v -= lr * g[at++];
    return p;
}

template <class T>
constexpr double gain_tolerance() {
    return std::is_same_v<T, float> ? 2e-4 : 1e-8;
}

// The held-out set of the batch=held_out variant: one row, so that the trainer's draw
// (rows with replacement) can only be that row, repeated: the mean loss is that row's.
template <class T>
Dataset<T> one_row_of(const Dataset<T>& d, int row) {
    const int rows[] = {row};
    return d.subset(rows);
}

}  // namespace

TEMPLATE_TEST_CASE("HydaLearn's first-order gains are lr <g_main, g_k> with g_k from finite differences", "[hydalearn][reference]", float, double) {
    // P = lr * I for SGD, with or without momentum, and for Adam before its first step.
    const OptimizerKind kind = GENERATE(OptimizerKind::sgd, OptimizerKind::adam);
    const double momentum = GENERATE(0.0, 0.9);
    const bool held_out = GENERATE(false, true);
    INFO("optimizer " << int(kind) << ", momentum " << momentum << ", held_out " << held_out);
    Model<TestType> model(gain_spec(), 3);
    prepare_gain_model(model);
    const Dataset<TestType> data = gain_data<TestType>(24, 1);
    const Dataset<TestType> held = one_row_of(gain_data<TestType>(8, 2), 5);
    const double lr = 0.05;
    auto strategy = make_strategy("hydalearn", 3, 0, {held_out ? "batch=held_out" : "batch=train"});
    TrainOptions opt;
    opt.optimizer = kind;
    opt.momentum = momentum;
    opt.lr = lr;
    Trainer<TestType> trainer(model, *strategy, opt);
    std::vector<int> rows(24);
    std::iota(rows.begin(), rows.end(), 0);
    const Introspection r = trainer.inspect(data, rows, &held);

    const ModelSpec& spec = model.spec();
    const Params p = params_of(model);
    const std::size_t shared = model.shared_count();
    const std::vector<Vec> g = fd_task_gradients(spec, p, shared, Table::of(data));
    const Vec g_ref = held_out ? fd_task_gradients(spec, p, shared, Table::of(held))[0] : g[0];
    const double tol = gain_tolerance<TestType>();

    // The inputs of the gains first: losses, per-task gradients and G.
    Vec losses;
    for (int k = 0; k < 3; ++k) losses.push_back(double(task_loss(spec, p, Table::of(data), k)));
    check_close(r.losses, losses, tol);
    for (int k = 0; k < 3; ++k) {
        INFO("task " << k);
        check_close(r.task_gradients[std::size_t(k)], g[std::size_t(k)], tol);
    }
    Vec gram;
    for (int i = 0; i < 3; ++i)
        for (int j = 0; j < 3; ++j) gram.push_back(dot(g[std::size_t(i)], g[std::size_t(j)]));
    check_close(r.gram, gram, tol);

    Vec gains;
    for (int k = 0; k < 3; ++k) gains.push_back(lr * dot(g_ref, g[std::size_t(k)]));
    INFO("reference gains " << gains[0] << " " << gains[1] << " " << gains[2]);
    check_close(r.gains, gains, tol);
    // (c) The coefficients follow the documented rule on these gains; the flipped task's
    // gain is negative here, so the clipping is exercised.
    CHECK(gains[2] < 0);
    check_close(r.coefficients, documented_rule(gains, 0, "sum"), tol);
}

TEMPLATE_TEST_CASE("HydaLearn's exact gains are L_main(theta) - L_main(theta - lr g_k) by a naive forward", "[hydalearn][reference]", float, double) {
    const bool held_out = GENERATE(false, true);
    const char* normalize = GENERATE("sum", "one", "main");
    INFO("held_out " << held_out << ", normalize=" << normalize);
    Model<TestType> model(gain_spec(), 3);
    prepare_gain_model(model);
    const Dataset<TestType> data = gain_data<TestType>(24, 1);
    const Dataset<TestType> held = one_row_of(gain_data<TestType>(8, 2), 5);
    // A large step, so that the exact gains differ clearly from the first-order ones.
    const double lr = 0.5;
    auto strategy = make_strategy("hydalearn", 3, 0, {"gain=exact", held_out ? "batch=held_out" : "batch=train", std::string("normalize=") + normalize});
    TrainOptions opt;
    opt.optimizer = OptimizerKind::sgd;
    opt.lr = lr;
    Trainer<TestType> trainer(model, *strategy, opt);
    std::vector<int> rows(24);
    std::iota(rows.begin(), rows.end(), 0);
    const Params before = params_of(model);
    const Introspection r = trainer.inspect(data, rows, &held);
    CHECK(params_of(model) == before);  // the look-aheads are undone

    const ModelSpec& spec = model.spec();
    const std::size_t shared = model.shared_count();
    const std::vector<Vec> g = fd_task_gradients(spec, before, shared, Table::of(data));
    const Table on = Table::of(held_out ? held : data);  // where the main loss is measured
    const double main_before = double(task_loss(spec, before, on, 0));
    Vec exact, first_order;
    const Vec g_main = held_out ? fd_task_gradients(spec, before, shared, on)[0] : g[0];
    for (int k = 0; k < 3; ++k) {
        exact.push_back(main_before - double(task_loss(spec, shared_step(before, shared, lr, g[std::size_t(k)]), on, 0)));
        first_order.push_back(lr * dot(g_main, g[std::size_t(k)]));
    }
    INFO("reference exact gains " << exact[0] << " " << exact[1] << " " << exact[2] << ", first-order " << first_order[0] << " "
                                  << first_order[1] << " " << first_order[2]);
    const double tol = gain_tolerance<TestType>();
    check_close(r.gains, exact, tol, 1e-6);
    // The reference tells the two kinds apart: a first-order implementation would fail.
    double apart = 0;
    for (int k = 0; k < 3; ++k) apart = std::max(apart, std::fabs(exact[std::size_t(k)] - first_order[std::size_t(k)]));
    CHECK(apart > 20 * (tol * max_abs(exact) + 1e-6));
    CHECK(exact[2] < 0);
    check_close(r.coefficients, documented_rule(exact, 0, normalize), tol, 1e-6);
}

TEMPLATE_TEST_CASE("HydaLearn on a two-layer network worked out by hand", "[hydalearn][reference]", float, double) {
    // x = (1, 2); one trunk unit h = relu(a x + c), a = 1, c = 0, so h = x; two regression
    // heads z = u h + v (MSE): main u = 1, v = 0, labels (0, 1); aux u = 2, v = -1.
    //   main: z = (1, 2), r = z - y = (1, 1), L = 1,
    //         g = (dL/da, dL/dc) = (mean 2 r u x, mean 2 r u) = ((2 + 4) / 2, 2) = (3, 2).
    // Aux labels (2, 2): z = (1, 3), r = (-1, 1), L = 1, g = ((-4 + 8) / 2, (-4 + 4) / 2) = (2, 0).
    // Aux labels (4, 6): r = (-3, -3), L = 9, g = ((-12 - 24) / 2, -12) = (-18, -12) = -6 g_main.
    // With lr = 0.1:
    //   first-order gains lr <g_main, g_k>: main 1.3; aux 0.6 or -7.8.
    //   exact gains: main step (a, c) = (0.7, -0.2), h = (0.5, 1.2), r = (0.5, 0.2),
    //     L = (0.25 + 0.04) / 2 = 0.145, gain 0.855;
    //     aux (2, 0): (a, c) = (0.8, 0), h = (0.8, 1.6), L = (0.64 + 0.36) / 2 = 0.5, gain 0.5;
    //     aux (-18, -12): (a, c) = (2.8, 1.2), h = (4, 6.8), L = (16 + 33.64) / 2 = 24.82, gain -23.82.
    //   coefficients (sum 2): (26/19, 12/19) first-order, 2 (0.855, 0.5) / 1.355 exact; (2, 0)
    //     whenever the aux gain is negative.
    //   One SGD step (first-order coefficients): shared (a, c) -= lr (c_main g_main + c_aux g_aux);
    //     main head (u, v) -= lr (mean 2 r h, mean 2 r) = lr (3, 2) -> (0.7, -0.2);
    //     aux head: lr (1, 0) -> (1.9, -1), or lr (-9, -6) -> (2.9, -0.4).
    const bool helps = GENERATE(true, false);
    INFO((helps ? "aux labels (2, 2)" : "aux labels (4, 6)"));
    ModelSpec spec;
    spec.inputs = 1;
    spec.trunk = {1};
    spec.tasks = {TaskSpec{"main", TaskKind::regression, 2, 0, {}}, TaskSpec{"aux", TaskKind::regression, 2, 0, {}}};
    Dataset<TestType> data;
    data.rows = 2;
    data.features = 1;
    data.x = {1, 2};
    data.labels = {{0, 1}, helps ? std::vector<TestType>{2, 2} : std::vector<TestType>{4, 6}};
    const Params theta = {{1}, {0}, {1}, {0}, {2}, {-1}};
    const std::vector<int> rows = {0, 1};
    const double tol = std::is_same_v<TestType, float> ? 1e-5 : 1e-12;

    for (const char* gain : {"gain=first_order", "gain=exact"}) {
        INFO(gain);
        const bool exact = std::string(gain) == "gain=exact";
        Model<TestType> model(spec, 1);
        set_params(model, theta);
        auto strategy = make_strategy("hydalearn", 2, 0, {gain});
        TrainOptions opt;
        opt.optimizer = OptimizerKind::sgd;
        opt.momentum = 0;
        opt.lr = 0.1;
        Trainer<TestType> trainer(model, *strategy, opt);
        const Introspection r = trainer.inspect(data, rows);
        check_close(r.losses, {1, helps ? 1.0 : 9.0}, tol);
        check_close(r.task_gradients[0], {3, 2}, tol);
        check_close(r.task_gradients[1], helps ? Vec{2, 0} : Vec{-18, -12}, tol);
        check_close(r.gram, helps ? Vec{13, 6, 6, 4} : Vec{13, -78, -78, 468}, tol);
        if (!exact) {
            check_close(r.gains, {1.3, helps ? 0.6 : -7.8}, tol);
            check_close(r.coefficients, helps ? Vec{26.0 / 19, 12.0 / 19} : Vec{2, 0}, tol);
        } else {
            check_close(r.gains, {0.855, helps ? 0.5 : -23.82}, tol);
            check_close(r.coefficients, helps ? Vec{2 * 0.855 / 1.355, 2 * 0.5 / 1.355} : Vec{2, 0}, tol);
        }
        if (exact) continue;
        trainer.step(data, rows);
        const Params after = params_of(model);
        const double c0 = helps ? 26.0 / 19 : 2, c1 = helps ? 12.0 / 19 : 0;
        const Vec g1 = helps ? Vec{2, 0} : Vec{-18, -12};
        check_close({after[0][0], after[1][0]}, {1 - 0.1 * (3 * c0 + g1[0] * c1), 0 - 0.1 * (2 * c0 + g1[1] * c1)}, tol);
        check_close({after[2][0], after[3][0]}, {0.7, -0.2}, tol);
        check_close({after[4][0], after[5][0]}, helps ? Vec{1.9, -1} : Vec{2.9, -0.4}, tol);
    }
}

TEMPLATE_TEST_CASE("HydaLearn keeps the main task when its own exact step overshoots, worked out by hand", "[hydalearn][reference]", float, double) {
    // The network of the case above, main labels (3, 4), aux labels (1.5, 3.5), lr = 0.5.
    //   main: z = (1, 2), r = (-2, -2), L = 4, g = ((-4 - 8) / 2, -4) = (-6, -4).
    //   aux: z = (1, 3), r = (-0.5, -0.5), L = 0.25, g = ((-2 - 4) / 2, -2) = (-3, -2).
    //   first-order gains 0.5 (36 + 16) = 26 and 0.5 (18 + 8) = 13: coefficients (4/3, 2/3).
    //   exact: the main step overshoots, (a, c) = (4, 2), h = (6, 10), r = (3, 6),
    //     L = (9 + 36) / 2 = 22.5, gain -18.5; the aux step (2.5, 1), h = (3.5, 6),
    //     r = (0.5, 2), L = 2.125, gain 1.875. The main task is clipped to 0, then keeps
    //     the largest auxiliary weight: (1.875, 1.875), normalised to (1, 1).
    ModelSpec spec;
    spec.inputs = 1;
    spec.trunk = {1};
    spec.tasks = {TaskSpec{"main", TaskKind::regression, 2, 0, {}}, TaskSpec{"aux", TaskKind::regression, 2, 0, {}}};
    Dataset<TestType> data;
    data.rows = 2;
    data.features = 1;
    data.x = {1, 2};
    data.labels = {{3, 4}, {1.5, 3.5}};
    const std::vector<int> rows = {0, 1};
    const double tol = std::is_same_v<TestType, float> ? 1e-5 : 1e-12;
    for (const bool exact : {false, true}) {
        INFO((exact ? "exact" : "first-order"));
        Model<TestType> model(spec, 1);
        set_params(model, {{1}, {0}, {1}, {0}, {2}, {-1}});
        auto strategy = make_strategy("hydalearn", 2, 0, {exact ? "gain=exact" : "gain=first_order"});
        TrainOptions opt;
        opt.optimizer = OptimizerKind::sgd;
        opt.lr = 0.5;
        Trainer<TestType> trainer(model, *strategy, opt);
        const Introspection r = trainer.inspect(data, rows);
        check_close(r.losses, {4, 0.25}, tol);
        check_close(r.gains, exact ? Vec{-18.5, 1.875} : Vec{26, 13}, tol);
        check_close(r.coefficients, exact ? Vec{1, 1} : Vec{4.0 / 3, 2.0 / 3}, tol);
    }
}

TEST_CASE("HydaLearn's first-order gains after an Adam step use Adam's second moments", "[hydalearn][reference]") {
    // One HydaLearn step with Adam from theta_0, then the gains at theta_1, all rebuilt in
    // the test: g_k by finite differences; gains_0 = lr <g_main, g_k> (no moments yet);
    // coefficients by the documented rule; the shared gradient G = sum_k c_k g_k and each
    // head its own; Adam's first update theta_1 = theta_0 - lr G / (|G| + eps) (m_hat = G,
    // v_hat = G^2); at theta_1, P = lr / (sqrt(v_hat) + eps) = lr / (|G| + eps) and
    // gains_1 = <g_main', P g_k'>. Double only: Adam's first step divides by |G|, which
    // float gradients do not give to the digits the comparison needs. tanh: no dead units,
    // so no element of G is zero or near it.
    ModelSpec spec = gain_spec();
    spec.activation = Activation::tanh;
    Model<double> model(spec, 3);
    prepare_gain_model(model);
    const Dataset<double> data = gain_data<double>(24, 1);
    const Table table = Table::of(data);
    auto strategy = make_strategy("hydalearn", 3, 0);
    TrainOptions opt;
    opt.optimizer = OptimizerKind::adam;
    const double lr = 0.01, eps = 1e-8;
    opt.lr = lr;
    Trainer<double> trainer(model, *strategy, opt);
    std::vector<int> rows(24);
    std::iota(rows.begin(), rows.end(), 0);

    const Params theta0 = params_of(model);
    const std::size_t shared = model.shared_count();
    const std::vector<Vec> g0 = fd_task_gradients(spec, theta0, shared, table);
    Vec gains0, G(g0[0].size(), 0.0);
    for (int k = 0; k < 3; ++k) gains0.push_back(lr * dot(g0[0], g0[std::size_t(k)]));
    const Vec c0 = documented_rule(gains0, 0, "sum");
    for (int k = 0; k < 3; ++k)
        for (std::size_t e = 0; e < G.size(); ++e) G[e] += c0[std::size_t(k)] * g0[std::size_t(k)][e];
    for (double x : G) REQUIRE(std::fabs(x) > 1e-6);

    trainer.step(data, rows);
    const Params theta1 = params_of(model);
    Vec want, got;
    for (std::size_t i = 0, at = 0; i < shared; ++i)
        for (std::size_t e = 0; e < theta0[i].size(); ++e, ++at) {
            want.push_back(theta0[i][e] - lr * G[at] / (std::fabs(G[at]) + eps));
            got.push_back(theta1[i][e]);
        }
    check_close(got, want, 0, 1e-12);

    const Introspection r = trainer.inspect(data, rows);
    const std::vector<Vec> g1 = fd_task_gradients(spec, theta1, shared, table);
    Vec gains1;
    for (int k = 0; k < 3; ++k) {
        long double s = 0;
        for (std::size_t e = 0; e < G.size(); ++e) s += (long double)g1[0][e] * (lr / (std::fabs(G[e]) + eps)) * g1[std::size_t(k)][e];
        gains1.push_back(double(s));
    }
    INFO("reference gains after the step " << gains1[0] << " " << gains1[1] << " " << gains1[2]);
    check_close(r.gains, gains1, 1e-7);
    check_close(r.coefficients, documented_rule(gains1, 0, "sum"), 1e-7);
}
