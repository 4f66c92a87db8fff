// The values of predict(), evaluate() and main_metric() against references outside the
// library: a tiny model whose every parameter is set by hand, its outputs worked out by
// hand (and by the naive long-double forward of tests/support/mtl_reference.hpp), and
// metrics counted pair by pair, threshold by threshold, sample by sample in the test.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <vector>

#include "hyda/autodiff/random.hpp"
#include "hyda/mtl/dataset.hpp"
#include "hyda/mtl/trainer.hpp"
#include "mtl_reference.hpp"

using namespace hyda::mtl;
using namespace hyda::test;

namespace {

constexpr double nan_label = std::numeric_limits<double>::quiet_NaN();

// 2 inputs, trunk {2}; "b" binary with a hidden head layer {2}, "r" regression, "m"
// multiclass with 3 classes. Every value is a multiple of 1/20 or 1/4, so the float
// model holds the same numbers up to one rounding.
ModelSpec hand_spec() {
    ModelSpec spec;
    spec.inputs = 2;
    spec.trunk = {2};
    spec.tasks = {TaskSpec{"b", TaskKind::binary, 2, 0, {2}}, TaskSpec{"r", TaskKind::regression, 2, 0, {}},
                  TaskSpec{"m", TaskKind::multiclass, 3, 0, {}}};
    return spec;
}

const Params hand_params = {
    {0.5, -1.0, 0.25, 0.75},       // trunk0.W [2 x 2], rows = inputs
    {0.1, -0.2},                   // trunk0.b
    {1.0, -0.5, 0.5, 2.0},         // b.hidden0.W [2 x 2]
    {0.0, 0.25},                   // b.hidden0.b
    {1.5, -1.0},                   // b.out.W [2 x 1]
    {0.3},                         // b.out.b
    {2.0, -3.0},                   // r.out.W [2 x 1]
    {0.5},                         // r.out.b
    {1.0, -1.0, 0.5, -0.5, 2.0, 0.0},  // m.out.W [2 x 3]
    {0.0, 0.1, -0.1},              // m.out.b
};

template <class T>
Dataset<T> features_only(const Vec& x, int features) {
    Dataset<T> d;
    d.features = features;
    d.rows = int(x.size()) / features;
    d.x.assign(x.begin(), x.end());
    return d;
}

double tolerance_for(double tol, double want) { return tol * std::max(1.0, std::fabs(want)); }

}  // namespace

TEMPLATE_TEST_CASE("predict() of a hand-set model equals outputs worked out by hand", "[mtl][predict]", float, double) {
    Model<TestType> model(hand_spec(), 1);
    set_params(model, hand_params);
    // Row 1: x = (1, 2).  trunk z = x W + b = (0.5 + 0.5 + 0.1, -1 + 1.5 - 0.2) = (1.1, 0.3), h = relu(z).
    //   b: hidden (1.1 + 0.15, -0.55 + 0.6 + 0.25) = (1.25, 0.3), logit 1.875 - 0.3 + 0.3 = 1.875
    //   r: 2.2 - 0.9 + 0.5 = 1.8
    //   m: logits (1.1 - 0.15, -1.1 + 0.6 + 0.1, 0.55 - 0.1) = (0.95, -0.4, 0.45)
    // Row 2: x = (-1, 1). z = (-0.15, 1.55): the first trunk unit is cut by the relu, h = (0, 1.55).
    //   b: hidden (0.775, 3.35), logit 1.1625 - 3.35 + 0.3 = -1.8875
    //   r: -4.65 + 0.5 = -4.15
    //   m: (-0.775, 3.1 + 0.1, -0.1) = (-0.775, 3.2, -0.1)
    // Row 3: x = (2, -1). z = (0.85, -2.95), h = (0.85, 0).
    //   b: hidden (0.85, -0.425 + 0.25 = -0.175) -> relu (0.85, 0): the head's own relu cuts; logit 1.275 + 0.3 = 1.575
    //   r: 1.7 + 0.5 = 2.2
    //   m: (0.85, -0.85 + 0.1, 0.425 - 0.1) = (0.85, -0.75, 0.325)
    const Dataset<TestType> data = features_only<TestType>({1, 2, -1, 1, 2, -1}, 2);
    const auto out = predict(model, data);
    REQUIRE(out.size() == 3);
    REQUIRE(out[0].size() == 3);
    REQUIRE(out[1].size() == 3);
    REQUIRE(out[2].size() == 9);

    auto sig = [](double z) { return 1 / (1 + std::exp(-z)); };
    auto softmax3 = [](double a, double b, double c) {
        const double s = std::exp(a) + std::exp(b) + std::exp(c);
        return Vec{std::exp(a) / s, std::exp(b) / s, std::exp(c) / s};
    };
    const double tol = tight<TestType>();
    check_close(out[0], {sig(1.875), sig(-1.8875), sig(1.575)}, tol, tol);
    check_close(out[1], {1.8, -4.15, 2.2}, tol, tol);
    Vec m;
    for (const Vec& row : {softmax3(0.95, -0.4, 0.45), softmax3(-0.775, 3.2, -0.1), softmax3(0.85, -0.75, 0.325)}) m.insert(m.end(), row.begin(), row.end());
    check_close(out[2], m, tol, tol);
}

TEMPLATE_TEST_CASE("predict() matches a naive forward for every activation, past one 1024-row chunk", "[mtl][predict]", float, double) {
    // Random (He/Xavier) parameters, a two-layer trunk and hidden head layers; 1030 rows so
    // that predict's second chunk (rows 1024..1029) must land at the right offset.
    const Activation act = GENERATE(Activation::relu, Activation::leaky_relu, Activation::tanh, Activation::gelu);
    ModelSpec spec;
    spec.inputs = 3;
    spec.trunk = {5, 4};
    spec.activation = act;
    spec.tasks = {TaskSpec{"b", TaskKind::binary, 2, 0, {3}}, TaskSpec{"r", TaskKind::regression, 2, 0, {3, 2}},
                  TaskSpec{"m", TaskKind::multiclass, 4, 0, {}}};
    const Model<TestType> model(spec, 7);
    const Params p = params_of(model);

    hyda::ad::Rng rng(11);
    Vec x(1030 * 3);
    for (double& v : x) v = 2 * rng.normal();
    const Dataset<TestType> data = features_only<TestType>(x, 3);
    const Table table = Table::of(data);  // the features as the model sees them (rounded to T)
    const auto out = predict(model, data);

    const double tol = tight<TestType>();
    for (int k = 0; k < 3; ++k) {
        const TaskSpec& task = spec.tasks[std::size_t(k)];
        Vec want;
        for (int r = 0; r < data.rows; ++r) {
            const LVec z = task_output(spec, p, table.row(r), k);
            if (task.kind == TaskKind::binary) want.push_back(double(sigmoid(z[0])));
            if (task.kind == TaskKind::regression) want.push_back(double(z[0]));
            if (task.kind == TaskKind::multiclass)
                for (long double q : softmax(z)) want.push_back(double(q));
        }
        INFO("activation " << int(act) << ", task " << task.name);
        REQUIRE(out[std::size_t(k)].size() == want.size());
        double worst = 0;
        for (std::size_t i = 0; i < want.size(); ++i) worst = std::max(worst, std::fabs(out[std::size_t(k)][i] - want[i]) / tolerance_for(1, want[i]));
        CHECK(worst <= tol);
    }
}

namespace {

// A model that passes its one input through: trunk W = 1, b = 0 (inputs >= 0, so relu
// is the identity), h = x. Binary logit x - 2; regression value x; multiclass logits
// (1 - x, 0, x - 3): class 0 below x = 1, class 1 up to x = 3, class 2 beyond.
ModelSpec pass_spec() {
    ModelSpec spec;
    spec.inputs = 1;
    spec.trunk = {1};
    spec.tasks = {TaskSpec{"b", TaskKind::binary, 2, 0, {}}, TaskSpec{"r", TaskKind::regression, 2, 0, {}},
                  TaskSpec{"m", TaskKind::multiclass, 3, 0, {}}};
    return spec;
}

const Params pass_params = {{1}, {0}, {1}, {-2}, {1}, {0}, {-1, 0, 1}, {1, 0, -3}};

// Ten rows, two tied at x = 2, one label missing per task (NaN), labelled by hand.
const Vec pass_x = {0, 0.5, 1.5, 2, 2, 2.5, 3.5, 4, 5, 0.25};
const Vec pass_binary = {0, 0, 1, 0, 1, nan_label, 1, 0, 1, 0};
const Vec pass_regression = {0.5, 0, 2.5, 2, 1, nan_label, 3, 4, 7, -0.75};
const Vec pass_classes = {0, 0, 1, 1, 2, 1, nan_label, 2, 0, 0};

template <class T>
Dataset<T> pass_data() {
    Dataset<T> d = features_only<T>(pass_x, 1);
    for (const Vec* y : {&pass_binary, &pass_regression, &pass_classes}) d.labels.emplace_back(y->begin(), y->end());
    return d;
}

// ROC AUC the slow way: every (positive, negative) pair, a tie counting 1/2.
double pairwise_auc(const Vec& s, const Vec& y) {
    double wins = 0, pairs = 0;
    for (std::size_t i = 0; i < s.size(); ++i)
        for (std::size_t j = 0; j < s.size(); ++j)
            if (y[i] == 1 && y[j] == 0) wins += s[i] > s[j] ? 1 : s[i] == s[j] ? 0.5 : 0, pairs += 1;
    return wins / pairs;
}

// Average precision the slow way: for each distinct score t from the top, precision and
// recall of "predict positive iff s >= t" counted over all labelled samples.
double naive_average_precision(const Vec& s, const Vec& y) {
    Vec thresholds = s;
    std::sort(thresholds.begin(), thresholds.end(), std::greater<>());
    thresholds.erase(std::unique(thresholds.begin(), thresholds.end()), thresholds.end());
    double positives = 0;
    for (double v : y) positives += v;
    double ap = 0, previous_recall = 0;
    for (double t : thresholds) {
        double tp = 0, predicted = 0;
        for (std::size_t i = 0; i < s.size(); ++i)
            if (s[i] >= t) predicted += 1, tp += y[i];
        const double recall = tp / positives;
        ap += (recall - previous_recall) * (tp / predicted);
        previous_recall = recall;
    }
    return ap;
}

}  // namespace

TEMPLATE_TEST_CASE("evaluate() and main_metric() give the metrics counted by hand", "[mtl][evaluate]", float, double) {
    Model<TestType> model(pass_spec(), 1);
    set_params(model, pass_params);
    const Dataset<TestType> data = pass_data<TestType>();

    // The labelled samples of each task and the model's outputs for them, from the naive forward.
    Vec bs, by, rp, ry, mp, my;
    for (std::size_t i = 0; i < pass_x.size(); ++i) {
        const double x = pass_x[i];
        if (!std::isnan(pass_binary[i])) bs.push_back(1 / (1 + std::exp(-(x - 2)))), by.push_back(pass_binary[i]);
        if (!std::isnan(pass_regression[i])) rp.push_back(x), ry.push_back(pass_regression[i]);
        if (!std::isnan(pass_classes[i])) {
            const LVec p = softmax({1 - x, 0, x - 3});
            for (long double q : p) mp.push_back(double(q));
            my.push_back(pass_classes[i]);
        }
    }

    const auto metrics = evaluate(model, data);
    REQUIRE(metrics.size() == 3);
    CHECK(metrics[0].task == "b");
    CHECK(metrics[1].task == "r");
    CHECK(metrics[2].task == "m");
    const double tol = std::is_same_v<TestType, float> ? 1e-6 : 1e-12;

    // Binary. Positives at x = 1.5, 2, 3.5, 5; negatives at 0, 0.25, 0.5, 2, 4. Negatives
    // below each positive: 3, 3 + 1/2 (the tie at 2), 4, 5: AUC = 15.5 / 20.
    CHECK(metric(metrics[0], "roc_auc") == Approx(15.5 / 20).epsilon(1e-12));
    CHECK(pairwise_auc(bs, by) == Approx(15.5 / 20).epsilon(1e-12));
    // From the top: 5 (+) P 1; 4 (-); 3.5 (+) P 2/3; 2 (+ and - together) P 3/5; 1.5 (+) P 4/6;
    // each positive adds 1/4 of recall: AP = (1 + 2/3 + 3/5 + 2/3) / 4 = 11/15.
    CHECK(metric(metrics[0], "pr_auc") == Approx(11.0 / 15).epsilon(1e-12));
    CHECK(naive_average_precision(bs, by) == Approx(11.0 / 15).epsilon(1e-12));
    // p >= 0.5 iff x >= 2: wrong at x = 1.5 (+), 2 (-), 4 (-): 6 of 9.
    CHECK(metric(metrics[0], "accuracy") == Approx(6.0 / 9).epsilon(1e-12));
    double ll = 0, br = 0;
    for (std::size_t i = 0; i < bs.size(); ++i) {
        ll -= by[i] == 1 ? std::log(bs[i]) : std::log(1 - bs[i]);
        br += (bs[i] - by[i]) * (bs[i] - by[i]);
    }
    CHECK(metric(metrics[0], "log_loss") == Approx(ll / 9).epsilon(tol));
    CHECK(metric(metrics[0], "brier") == Approx(br / 9).epsilon(tol));

    // Regression: residuals p - y = -0.5, 0.5, -1, 0, 1, (missing), 0.5, 0, -2, 1.
    CHECK(metric(metrics[1], "rmse") == Approx(std::sqrt(7.75 / 9)).epsilon(1e-12));
    CHECK(metric(metrics[1], "mae") == Approx(6.5 / 9).epsilon(1e-12));
    double mean = 0, ss_tot = 0;
    for (double y : ry) mean += y / double(ry.size());
    for (double y : ry) ss_tot += (y - mean) * (y - mean);
    CHECK(metric(metrics[1], "r2") == Approx(1 - 7.75 / ss_tot).epsilon(1e-12));

    // Multiclass: argmax is class 0 below x = 1, 1 up to 3, 2 beyond; wrong at x = 2
    // (label 2) and x = 5 (label 0): 7 of 9.
    CHECK(metric(metrics[2], "accuracy") == Approx(7.0 / 9).epsilon(1e-12));
    double mll = 0;
    for (std::size_t i = 0; i < my.size(); ++i) mll -= std::log(mp[i * 3 + std::size_t(my[i])]);
    CHECK(metric(metrics[2], "log_loss") == Approx(mll / 9).epsilon(tol));

    // The main metric of each kind, higher is better.
    CHECK(main_metric_value(model, data, 0) == Approx(15.5 / 20).epsilon(1e-12));
    CHECK(main_metric_value(model, data, 1) == Approx(-std::sqrt(7.75 / 9)).epsilon(1e-12));
    CHECK(main_metric_value(model, data, 2) == Approx(7.0 / 9).epsilon(1e-12));
}
