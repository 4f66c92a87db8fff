// Per-task row weights (Dataset::weights): the loss against a weighted mean computed from
// predict()'s probabilities; weights 1 against no weights, bit for bit; weight 0 against
// the same rows unlabelled; the reported coefficient against c_k times each batch's mean
// row weight; validation and subset.
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <numeric>
#include <sstream>
#include <string>
#include <vector>

#include "hyda/autodiff/random.hpp"
#include "hyda/mtl/dataset.hpp"
#include "hyda/mtl/trainer.hpp"
#include "strategy_trace.hpp"

using namespace hyda::mtl;

namespace {

// make_synthetic's three binary tasks (main, related, noise), the main task half labelled.
template <class T>
Dataset<T> data(int rows, std::uint64_t seed = 3) {
    SyntheticSpec s;
    s.rows = rows;
    s.features = 4;
    s.main_labelled = 0.5;
    s.seed = seed;
    return make_synthetic<T>(s);
}

ModelSpec spec() {
    ModelSpec m;
    m.inputs = 4;
    m.trunk = {8};
    m.tasks = synthetic_tasks();
    return m;
}

// Weights drawn uniformly from [low, high) for every row of task k.
template <class T>
std::vector<T> uniform_weights(int rows, double low, double high, std::uint64_t seed) {
    hyda::ad::Rng rng(seed);
    std::vector<T> w(static_cast<std::size_t>(rows));
    for (T& v : w) v = T(low + (high - low) * rng.uniform());
    return w;
}

std::vector<int> all_rows(int rows) {
    std::vector<int> r(static_cast<std::size_t>(rows));
    std::iota(r.begin(), r.end(), 0);
    return r;
}

TrainOptions options(int epochs) {
    TrainOptions o;
    o.epochs = epochs;
    o.batch_size = 16;
    o.lr = 0.01;
    o.seed = 4;
    return o;
}

template <class T>
struct Trained {
    std::vector<std::vector<T>> parameters;
    std::string trace;
    TrainResult result;
};

template <class T>
Trained<T> train(const std::string& strategy_name, const Dataset<T>& d, int epochs = 3) {
    Model<T> model(spec(), 7);
    const auto strategy = make_strategy(strategy_name, 3, 0);
    std::ostringstream trace;
    trace.precision(17);
    TrainOptions o = options(epochs);
    o.trace = &trace;
    Trainer<T> trainer(model, *strategy, o);
    Trained<T> out;
    out.result = trainer.fit(d);
    out.parameters = model.snapshot();
    out.trace = trace.str();
    return out;
}

}  // namespace

TEST_CASE("row weights: each task's loss is sum_i m_i w_i l_i / sum_i m_i, from predict()'s probabilities", "[row_weights]") {
    Dataset<double> d = data<double>(40);
    d.weights = {uniform_weights<double>(40, 0, 2, 11), {}, uniform_weights<double>(40, 0, 2, 12)};
    Model<double> model(spec(), 7);
    const auto strategy = make_strategy("equal", 3, 0);
    Trainer<double> trainer(model, *strategy, options(1));
    const std::vector<int> rows = all_rows(40);
    const Introspection r = trainer.inspect(d, rows);
    const std::vector<std::vector<double>> p = predict(model, d);
    for (int k = 0; k < 3; ++k) {
        double sum = 0, labelled = 0;
        for (int i = 0; i < 40; ++i) {
            const double y = d.labels[std::size_t(k)][std::size_t(i)];
            if (std::isnan(y)) continue;
            const double pi = p[std::size_t(k)][std::size_t(i)];
            const double w = d.weights[std::size_t(k)].empty() ? 1.0 : d.weights[std::size_t(k)][std::size_t(i)];
            sum += w * -(y * std::log(pi) + (1 - y) * std::log(1 - pi));
            labelled += 1;
        }
        INFO("task " << k);
        REQUIRE(labelled > 0);
        CHECK(r.losses[std::size_t(k)] == Approx(sum / labelled).epsilon(1e-12));
    }
}

TEMPLATE_TEST_CASE("row weights: all 1 train bit for bit as no row weights", "[row_weights]", float, double) {
    const Dataset<TestType> plain = data<TestType>(64);
    Dataset<TestType> ones = plain;
    ones.weights = {{}, std::vector<TestType>(64, TestType(1)), std::vector<TestType>(64, TestType(1))};
    for (const char* name : {"equal", "hydalearn", "famo"}) {
        INFO(name);
        const Trained<TestType> a = train(name, plain), b = train(name, ones);
        CHECK(a.parameters == b.parameters);
        CHECK(a.trace == b.trace);
        CHECK(a.result.epochs.back().train_loss == b.result.epochs.back().train_loss);
        CHECK(a.result.epochs.back().mean_coefficients == b.result.epochs.back().mean_coefficients);
    }
}

TEST_CASE("row weights: weight 0 on every row of a task trains as that task without labels", "[row_weights]") {
    Dataset<double> zero = data<double>(64), unlabelled = zero;
    zero.weights = {{}, {}, std::vector<double>(64, 0.0)};
    unlabelled.labels[2].assign(64, std::numeric_limits<double>::quiet_NaN());
    for (const char* name : {"equal", "hydalearn"}) {
        INFO(name);
        const Trained<double> a = train(name, zero), b = train(name, unlabelled);
        REQUIRE(a.parameters.size() == b.parameters.size());
        for (std::size_t i = 0; i < a.parameters.size(); ++i)
            for (std::size_t j = 0; j < a.parameters[i].size(); ++j) CHECK(a.parameters[i][j] == Approx(b.parameters[i][j]).margin(1e-12));
    }
}

TEST_CASE("row weights: weight 0 on some rows gives the loss and gradient of those rows unlabelled, times the labelled share", "[row_weights]") {
    const int rows = 30, k = 1;
    Dataset<double> zero = data<double>(rows), unlabelled = zero;
    zero.weights = {{}, std::vector<double>(rows, 1.0), {}};
    int silenced = 0;
    for (int i = 0; i < rows; i += 3, ++silenced) {
        zero.weights[k][std::size_t(i)] = 0;
        unlabelled.labels[k][std::size_t(i)] = std::numeric_limits<double>::quiet_NaN();
    }
    // sum_i w_i l_i / n over all n rows = (n - s) / n times the mean over the n - s others.
    const double share = double(rows - silenced) / rows;
    Model<double> model(spec(), 7);
    const auto strategy = make_strategy("equal", 3, 0);
    Trainer<double> trainer(model, *strategy, options(1));
    const std::vector<int> batch = all_rows(rows);
    const Introspection a = trainer.inspect(zero, batch), b = trainer.inspect(unlabelled, batch);
    CHECK(a.losses[k] == Approx(share * b.losses[k]).epsilon(1e-12));
    REQUIRE(a.task_gradients[k].size() == b.task_gradients[k].size());
    for (std::size_t j = 0; j < a.task_gradients[k].size(); ++j) CHECK(a.task_gradients[k][j] == Approx(share * b.task_gradients[k][j]).margin(1e-14));
    for (int other : {0, 2}) CHECK(a.task_gradients[std::size_t(other)] == b.task_gradients[std::size_t(other)]);
}

TEST_CASE("row weights: the reported coefficient is c_k times the batch's mean row weight over task k's labelled rows", "[row_weights]") {
    const int rows = 64;
    Dataset<double> d = data<double>(rows);
    d.weights = {uniform_weights<double>(rows, 0, 1, 21), {}, uniform_weights<double>(rows, 0, 1, 22)};
    Model<double> model(spec(), 7);
    const auto strategy = make_strategy("static", 3, 0, {"weights=1,0.5,2"});
    const double c[3] = {1, 0.5, 2};
    const TrainOptions o = options(2);
    const hyda::test::TracedRun run = hyda::test::fit_traced(model, *strategy, d, o);
    std::size_t step = 0;
    for (int epoch = 0; epoch < o.epochs; ++epoch) {
        double mean[3] = {0, 0, 0};
        const auto batches = epoch_batches(d, o.batching, o.batch_size, o.seed, epoch);
        for (const std::vector<int>& batch : batches) {
            REQUIRE(step < run.steps.size());
            for (int k = 0; k < 3; ++k) {
                double sum = 0, labelled = 0;
                for (int i : batch) {
                    if (std::isnan(d.labels[std::size_t(k)][std::size_t(i)])) continue;
                    sum += d.weights[std::size_t(k)].empty() ? 1.0 : d.weights[std::size_t(k)][std::size_t(i)];
                    labelled += 1;
                }
                const double want = c[k] * (labelled > 0 ? sum / labelled : 1.0);
                INFO("step " << step << " task " << k);
                CHECK(run.steps[step].coefficients[std::size_t(k)] == Approx(want).epsilon(1e-12));
                mean[k] += want / double(batches.size());
            }
            ++step;
        }
        for (int k = 0; k < 3; ++k) CHECK(run.result.epochs[std::size_t(epoch)].mean_coefficients[std::size_t(k)] == Approx(mean[k]).epsilon(1e-12));
    }
    CHECK(step == run.steps.size());
}

TEST_CASE("row weights: validate names the task and row of a bad weight, check_shapes a bad size; subset carries them", "[row_weights]") {
    const ModelSpec s = spec();
    Dataset<double> d = data<double>(10);
    d.weights = {{}, std::vector<double>(10, 1.0), {}};
    d.validate(s);
    for (const double bad : {-0.5, std::numeric_limits<double>::quiet_NaN(), std::numeric_limits<double>::infinity()}) {
        Dataset<double> e = d;
        e.weights[1][3] = bad;
        CHECK_THROWS_WITH(e.validate(s, "training data"), Catch::Contains("training data: task 'related' row 3: invalid row weight"));
        Model<double> model(s, 1);
        const auto strategy = make_strategy("equal", 3, 0);
        Trainer<double> trainer(model, *strategy, options(1));
        CHECK_THROWS_WITH(trainer.fit(e), Catch::Contains("task 'related' row 3"));
    }
    Dataset<double> short_column = d;
    short_column.weights[2] = std::vector<double>(9, 1.0);
    CHECK_THROWS_WITH(short_column.check_shapes(s, "data"), Catch::Contains("row weights of task 'noise' have 9 values for 10 rows"));
    Dataset<double> two_tasks = d;
    two_tasks.weights.pop_back();
    CHECK_THROWS_WITH(two_tasks.validate(s), Catch::Contains("row weights for 2 tasks, the model has 3"));

    d.weights[1] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9};
    const std::vector<int> index = {7, 2, 2};
    const Dataset<double> sub = d.subset(index);
    REQUIRE(sub.weights.size() == 3);
    CHECK(sub.weights[0].empty());
    CHECK(sub.weights[1] == std::vector<double>{7, 2, 2});
    CHECK(sub.weights[2].empty());
}
