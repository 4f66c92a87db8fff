// Trainer::fit() against references outside the library: learning-rate schedules against
// their closed forms and the SGD steps they drive; the epoch reports against losses of a
// naive long-double forward; SGD, Adam and AdamW steps against the update rules applied
// in the test to finite-difference gradients; hidden head layers; regression and
// multiclass tasks learning a synthetic problem; the CSV and JSON Lines traces.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <numbers>
#include <numeric>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "hyda/autodiff/random.hpp"
#include "hyda/mtl/dataset.hpp"
#include "hyda/mtl/trainer.hpp"
#include "mtl_reference.hpp"

using namespace hyda::mtl;
using namespace hyda::test;

namespace {

constexpr double missing = std::numeric_limits<double>::quiet_NaN();

// Three features; "b" binary [x0 - x1 > 0], "r" regression x0 + x1^2 / 2 - x2, "m" three
// classes [x0 > 0] + [x1 > 0]. With `gaps`, some labels are missing (NaN).
template <class T>
Dataset<T> mixed_data(int rows, std::uint64_t seed, bool gaps = false) {
    hyda::ad::Rng rng(seed);
    Dataset<T> d;
    d.rows = rows;
    d.features = 3;
    d.labels.assign(3, {});
    for (int r = 0; r < rows; ++r) {
        const double x0 = rng.normal(), x1 = rng.normal(), x2 = rng.normal();
        d.x.insert(d.x.end(), {T(x0), T(x1), T(x2)});
        d.labels[0].push_back(T(gaps && r % 4 == 1 ? missing : x0 - x1 > 0 ? 1 : 0));
        d.labels[1].push_back(T(gaps && r % 3 == 2 ? missing : x0 + x1 * x1 / 2 - x2));
        d.labels[2].push_back(T(gaps && r % 5 == 0 ? missing : double(x0 > 0) + double(x1 > 0)));
    }
    return d;
}

ModelSpec mixed_spec(std::vector<int> trunk, std::vector<int> head_b = {}, std::vector<int> head_r = {}) {
    ModelSpec spec;
    spec.inputs = 3;
    spec.trunk = std::move(trunk);
    spec.tasks = {TaskSpec{"b", TaskKind::binary, 2, 0, std::move(head_b)}, TaskSpec{"r", TaskKind::regression, 2, 0, std::move(head_r)},
                  TaskSpec{"m", TaskKind::multiclass, 3, 0, {}}};
    return spec;
}

// One binary task on the mixed data's features (tanh: no relu kinks for the finite differences).
ModelSpec single_spec() {
    ModelSpec spec;
    spec.inputs = 3;
    spec.trunk = {4};
    spec.activation = Activation::tanh;
    spec.init = Init::he_xavier;  // larger weights: every gradient entry stands above float rounding
    spec.tasks = {TaskSpec{"b", TaskKind::binary, 2, 0, {}}};
    return spec;
}

template <class T>
Dataset<T> single_data(int rows, std::uint64_t seed) {
    Dataset<T> d = mixed_data<T>(rows, seed);
    d.labels.resize(1);
    return d;
}

// The gradient of f for every parameter, shaped like the parameters.
Params fd_params(const std::function<long double(const Params&)>& f, const Params& p) {
    Params g;
    for (std::size_t i = 0; i < p.size(); ++i) g.push_back(fd_gradient(f, p, i, i + 1));
    return g;
}

Vec flat(const Params& p) {
    Vec v;
    for (const auto& x : p) v.insert(v.end(), x.begin(), x.end());
    return v;
}

std::vector<int> all_rows(int n) {
    std::vector<int> rows(std::size_t(n), 0);
    std::iota(rows.begin(), rows.end(), 0);
    return rows;
}

template <class T>
double rel_tol() {
    return std::is_same_v<T, float> ? 1e-5 : 1e-10;  // float: its rounding; double: the finite differences' own error (~1e-11)
}

}  // namespace

TEMPLATE_TEST_CASE("learning-rate schedules follow their closed forms and drive the SGD steps", "[trainer][fit]", float, double) {
    // E = 7 epochs of one full-batch step each, plain SGD: after epoch e the parameters
    // must be theta_e - lr_e * grad L(theta_e), grad by finite differences.
    const Schedule schedule = GENERATE(Schedule::constant, Schedule::cosine, Schedule::step);
    INFO("schedule " << int(schedule));
    const int E = 7;
    const double lr0 = 0.3;
    const Dataset<TestType> data = single_data<TestType>(16, 3);
    Model<TestType> model(single_spec(), 2);
    auto strategy = make_strategy("equal", 1, 0);
    TrainOptions opt;
    opt.epochs = E;
    opt.batch_size = 16;
    opt.optimizer = OptimizerKind::sgd;
    opt.momentum = 0;
    opt.lr = lr0;
    opt.schedule = schedule;
    opt.step_gamma = 0.4;
    opt.step_every = 3;
    std::vector<int> epochs;
    std::vector<double> lrs;
    std::vector<Params> thetas = {params_of(model)};
    const Trainer<TestType>* observed = nullptr;
    opt.on_epoch = [&](const EpochReport& r) {
        epochs.push_back(r.epoch);
        lrs.push_back(double(observed->optimizer().lr()));
        thetas.push_back(params_of(model));
    };
    Trainer<TestType> trainer(model, *strategy, opt);
    observed = &trainer;
    const TrainResult result = trainer.fit(data);

    REQUIRE(epochs.size() == std::size_t(E));  // once per epoch, in order
    REQUIRE(result.epochs.size() == std::size_t(E));
    const Table table = Table::of(data);
    for (int e = 0; e < E; ++e) {
        INFO("epoch " << e);
        CHECK(epochs[std::size_t(e)] == e);
        CHECK(result.epochs[std::size_t(e)].epoch == e);
        double want = lr0;
        if (schedule == Schedule::cosine) want = lr0 * 0.5 * (1 + std::cos(std::numbers::pi * e / E));
        if (schedule == Schedule::step) want = lr0 * std::pow(0.4, e / 3);
        CHECK(lrs[std::size_t(e)] == Approx(want).epsilon(1e-7));
        const Params& theta = thetas[std::size_t(e)];
        const Vec g = flat(fd_params([&](const Params& q) { return task_loss(model.spec(), q, table, 0); }, theta));
        Vec expected = flat(theta);
        for (std::size_t i = 0; i < expected.size(); ++i) expected[i] -= want * g[i];
        check_close(flat(thetas[std::size_t(e) + 1]), expected, rel_tol<TestType>());
    }
}

TEMPLATE_TEST_CASE("with lr = 0 every epoch's train loss is the naive loss of the whole training set", "[trainer][fit]", float, double) {
    // Parameters never move, every batch has 8 rows and every label is present: the mean of
    // the batch means is the mean over all rows, whatever the shuffle. A sum instead of a
    // mean, a wrong divisor or a loss booked under the wrong task would show.
    const Dataset<TestType> data = mixed_data<TestType>(24, 5);
    Model<TestType> model(mixed_spec({6}), 4);
    auto strategy = make_strategy("static", 3, 0, {"weights=1,0.5,0.25"});
    TrainOptions opt;
    opt.epochs = 3;
    opt.batch_size = 8;
    opt.optimizer = OptimizerKind::sgd;
    opt.lr = 0;
    int calls = 0;
    opt.on_epoch = [&](const EpochReport&) { ++calls; };
    Trainer<TestType> trainer(model, *strategy, opt);
    const Params p = params_of(model);
    const TrainResult result = trainer.fit(data);
    CHECK(calls == 3);
    REQUIRE(result.epochs.size() == 3);
    Vec want;
    for (int k = 0; k < 3; ++k) want.push_back(double(task_loss(model.spec(), p, Table::of(data), k)));
    for (const EpochReport& r : result.epochs) {
        INFO("epoch " << r.epoch);
        check_close(r.train_loss, want, rel_tol<TestType>());
        check_close(r.mean_coefficients, {1, 0.5, 0.25}, 1e-15);
        CHECK_FALSE(r.validation_metric.has_value());  // no validation data
    }
}

TEMPLATE_TEST_CASE("one full-batch epoch reports the naive loss at the initial parameters, missing labels skipped", "[trainer][fit]", float, double) {
    const Dataset<TestType> data = mixed_data<TestType>(30, 6, true);
    Model<TestType> model(mixed_spec({5}, {3}, {}), 8);
    auto strategy = make_strategy("equal", 3, 0);
    TrainOptions opt;
    opt.epochs = 1;
    opt.batch_size = 30;
    opt.lr = 0.1;
    Trainer<TestType> trainer(model, *strategy, opt);
    const Params p = params_of(model);
    const TrainResult result = trainer.fit(data);
    REQUIRE(result.epochs.size() == 1);
    Vec want;
    for (int k = 0; k < 3; ++k) want.push_back(double(task_loss(model.spec(), p, Table::of(data), k)));
    check_close(result.epochs[0].train_loss, want, rel_tol<TestType>());
    CHECK(params_of(model) != p);  // and the step was taken
}

namespace {

// The optimizers' update rules as their documentation (optim.hpp) states them, per element.
struct ManualOptimizer {
    OptimizerKind kind;
    double lr, momentum, wd;
    Vec m, v;
    int t = 0;

    void step(Vec& theta, const Vec& grad) {
        if (m.empty()) m.assign(theta.size(), 0), v.assign(theta.size(), 0);
        ++t;
        for (std::size_t j = 0; j < theta.size(); ++j) {
            if (kind == OptimizerKind::sgd) {  // L2 into the gradient, heavy ball
                const double g = grad[j] + wd * theta[j];
                m[j] = momentum * m[j] + g;
                theta[j] -= lr * m[j];
                continue;
            }
            const double l2 = kind == OptimizerKind::adam ? wd : 0, decoupled = kind == OptimizerKind::adamw ? wd : 0;
            const double g = grad[j] + l2 * theta[j];
            m[j] = 0.9 * m[j] + 0.1 * g;
            v[j] = 0.999 * v[j] + 0.001 * g * g;
            const double m_hat = m[j] / (1 - std::pow(0.9, t)), v_hat = v[j] / (1 - std::pow(0.999, t));
            theta[j] = (1 - lr * decoupled) * theta[j] - lr * m_hat / (std::sqrt(v_hat) + 1e-8);
        }
    }
};

}  // namespace

TEMPLATE_TEST_CASE("SGD, Adam and AdamW steps inside fit() equal their update rules on finite-difference gradients", "[trainer][fit]", float, double) {
    // One task, equal weights (coefficient 1), one full-batch step per epoch: after each
    // epoch the parameters must be the manual update of the previous ones. Three steps, so
    // momentum and the moments carry over.
    const OptimizerKind kind = GENERATE(OptimizerKind::sgd, OptimizerKind::adam, OptimizerKind::adamw);
    INFO("optimizer " << int(kind));
    const Dataset<TestType> data = single_data<TestType>(16, 9);
    Model<TestType> model(single_spec(), 5);
    auto strategy = make_strategy("equal", 1, 0);
    TrainOptions opt;
    opt.epochs = 3;
    opt.batch_size = 16;
    opt.optimizer = kind;
    opt.lr = kind == OptimizerKind::sgd ? 0.2 : 0.01;
    opt.momentum = 0.9;
    opt.weight_decay = 0.1;
    std::vector<Params> thetas = {params_of(model)};
    opt.on_epoch = [&](const EpochReport&) { thetas.push_back(params_of(model)); };
    Trainer<TestType> trainer(model, *strategy, opt);
    trainer.fit(data);
    REQUIRE(thetas.size() == 4);

    const Table table = Table::of(data);
    ManualOptimizer manual{kind, opt.lr, opt.momentum, opt.weight_decay, {}, {}, 0};
    Vec theta = flat(thetas[0]);
    Params shaped = thetas[0];
    for (int e = 0; e < 3; ++e) {
        INFO("step " << e + 1);
        const Vec g = flat(fd_params([&](const Params& q) { return task_loss(model.spec(), q, table, 0); }, shaped));
        // Adam divides by |g|: the float run can follow only where g stands well above its rounding.
        if (std::is_same_v<TestType, float>)
            for (double x : g) REQUIRE(std::fabs(x) > 1e-4);
        manual.step(theta, g);
        check_close(flat(thetas[std::size_t(e) + 1]), theta, 0, std::is_same_v<TestType, float> ? 2e-6 : 1e-10);
        std::size_t at = 0;  // the reference continues from its own parameters
        for (auto& values : shaped)
            for (double& x : values) x = theta[at++];
    }
}

TEMPLATE_TEST_CASE("an SGD step moves shared parameters by the weighted gradient and each head, hidden layers included, by its own, weighted or not", "[trainer][fit]", float, double) {
    // Static weights 1, 0.5, 0.25: the shared parameters follow grad (L_b + L_r / 2 + L_m / 4),
    // every head grad L_k alone (heads=own) or times its weight (heads=weighted, static's
    // default); the binary head has a hidden layer, the regression head two (Huber loss);
    // labels are missing here and there. All gradients by finite differences.
    const bool weighted = GENERATE(false, true);
    INFO("heads " << (weighted ? "weighted" : "own"));
    const double weights[3] = {1, 0.5, 0.25};
    const Dataset<TestType> data = mixed_data<TestType>(20, 12, true);
    ModelSpec spec = mixed_spec({5, 4}, {3}, {3, 2});
    spec.activation = Activation::tanh;
    spec.tasks[1].huber_delta = 0.5;
    Model<TestType> model(spec, 13);
    auto strategy = make_strategy("static", 3, 0, {"weights=1,0.5,0.25", weighted ? "heads=weighted" : "heads=own"});
    TrainOptions opt;
    opt.epochs = 1;
    opt.batch_size = 20;
    opt.optimizer = OptimizerKind::sgd;
    opt.momentum = 0;
    const double lr = 0.1;
    opt.lr = lr;
    Trainer<TestType> trainer(model, *strategy, opt);
    const Params before = params_of(model);
    const Table table = Table::of(data);
    auto loss = [&](int k) { return [&, k](const Params& q) { return task_loss(spec, q, table, k); }; };

    // inspect(): each task's gradient of the shared parameters.
    const Introspection r = trainer.inspect(data, all_rows(20));
    const std::size_t shared = model.shared_count();
    for (int k = 0; k < 3; ++k) {
        INFO("task " << k);
        check_close(r.task_gradients[std::size_t(k)], fd_gradient(loss(k), before, 0, shared), rel_tol<TestType>() * 10);
    }

    trainer.fit(data);
    const Params after = params_of(model);
    Vec want, got;
    const Vec shared_g = fd_gradient([&](const Params& q) { return task_loss(spec, q, table, 0) + task_loss(spec, q, table, 1) / 2 + task_loss(spec, q, table, 2) / 4; },
                                     before, 0, shared);
    for (std::size_t i = 0, at = 0; i < shared; ++i)
        for (std::size_t e = 0; e < before[i].size(); ++e) want.push_back(before[i][e] - lr * shared_g[at++]), got.push_back(after[i][e]);
    check_close(got, want, rel_tol<TestType>());
    for (int k = 0; k < 3; ++k) {
        const auto [first, last] = model.head_range(k);
        const Vec g = fd_gradient(loss(k), before, first, last);
        // The hidden layers' gradients are not trivially zero.
        if (!spec.tasks[std::size_t(k)].head_hidden.empty()) CHECK(max_abs(Vec(g.begin(), g.begin() + std::ptrdiff_t(before[first].size()))) > 1e-3);
        want.clear(), got.clear();
        for (std::size_t i = first, at = 0; i < last; ++i)
            for (std::size_t e = 0; e < before[i].size(); ++e) want.push_back(before[i][e] - lr * (weighted ? weights[k] : 1.0) * g[at++]), got.push_back(after[i][e]);
        INFO("head " << spec.tasks[std::size_t(k)].name);
        check_close(got, want, rel_tol<TestType>());
    }
}

TEMPLATE_TEST_CASE("regression, multiclass and binary tasks with hidden heads learn a synthetic problem", "[trainer][fit]", float, double) {
    // Validation metrics from the naive forward at the trained parameters, against the best
    // trivial predictors: the mean (RMSE = standard deviation), the majority class (1 of 3
    // classes, about half of the samples), a constant score (AUC 1/2).
    const Dataset<TestType> train = mixed_data<TestType>(600, 21), valid = mixed_data<TestType>(300, 22);
    ModelSpec spec = mixed_spec({32}, {8}, {8});
    spec.main_task = 1;
    Model<TestType> model(spec, 23);
    auto strategy = make_strategy("equal", 3, 1);
    TrainOptions opt;
    opt.epochs = 40;
    opt.batch_size = 32;
    opt.lr = 0.01;
    Trainer<TestType> trainer(model, *strategy, opt);
    const Params initial = params_of(model);
    const TrainResult result = trainer.fit(train, &valid);
    REQUIRE(result.epochs.size() == 40);
    const Params p = params_of(model);
    const Table t = Table::of(train), v = Table::of(valid);

    for (int k = 0; k < 3; ++k) {
        INFO("task " << spec.tasks[std::size_t(k)].name);
        CHECK(task_loss(spec, p, t, k) < 0.5 * task_loss(spec, initial, t, k));
    }
    double mean = 0, ss = 0, sq = 0, majority = 0, correct = 0;
    std::vector<double> counts(3, 0);
    for (int r = 0; r < v.rows; ++r) mean += v.labels[1][std::size_t(r)] / v.rows;
    for (int r = 0; r < v.rows; ++r) {
        const double y = v.labels[1][std::size_t(r)];
        const double pred = double(task_output(spec, p, v.row(r), 1)[0]);
        ss += (y - mean) * (y - mean), sq += (pred - y) * (pred - y);
        const LVec z = task_output(spec, p, v.row(r), 2);
        const int cls = int(v.labels[2][std::size_t(r)]);
        counts[std::size_t(cls)] += 1;
        correct += int(std::max_element(z.begin(), z.end()) - z.begin()) == cls;
    }
    const double rmse = std::sqrt(sq / v.rows), sd = std::sqrt(ss / v.rows);
    majority = *std::max_element(counts.begin(), counts.end()) / v.rows;
    INFO("validation RMSE " << rmse << " (sd " << sd << "), accuracy " << correct / v.rows << " (majority " << majority << ")");
    CHECK(rmse < 0.3 * sd);
    CHECK(correct / v.rows > majority + 0.3);
    // The main task is the regression: its metric is minus the RMSE, the best epoch's.
    CHECK(main_metric_value(model, valid, 1) == Approx(-rmse).epsilon(1e-5));
    const auto metrics = evaluate(model, valid);
    CHECK(metric(metrics[2], "accuracy") == Approx(correct / v.rows).epsilon(1e-12));
    CHECK(metric(metrics[0], "roc_auc") > 0.9);
}

namespace {

std::vector<std::string> split(const std::string& line, char sep) {
    std::vector<std::string> out;
    std::string field;
    std::istringstream in(line);
    while (std::getline(in, field, sep)) out.push_back(field);
    return out;
}

std::vector<std::string> lines_of(const std::string& text) { return split(text, '\n'); }

// Traced values are printed with the stream's precision (6 significant digits by default).
void check_printed(const Vec& printed, const Vec& want) {
    REQUIRE(printed.size() == want.size());
    for (std::size_t i = 0; i < want.size(); ++i) {
        INFO("value " << i << ": traced " << printed[i] << ", want " << want[i]);
        CHECK(std::fabs(printed[i] - want[i]) <= 1e-5 * std::fabs(want[i]) + 1e-300);
    }
}

}  // namespace

TEMPLATE_TEST_CASE("the CSV and JSON Lines traces hold one row per step with what inspect() reports", "[trainer][trace]", float, double) {
    const TraceFormat format = GENERATE(TraceFormat::csv, TraceFormat::jsonl);
    const std::string strategy_name = GENERATE("hydalearn", "equal");  // with and without gains
    const bool full_gram = GENERATE(false, true);
    INFO("format " << int(format) << ", " << strategy_name << ", full gram " << full_gram);
    const Dataset<TestType> data = mixed_data<TestType>(24, 31, true);
    ModelSpec spec = mixed_spec({6}, {3});
    spec.main_task = 2;  // the main row of G is then row 2
    Model<TestType> model(spec, 32);
    auto strategy = make_strategy(strategy_name, 3, 2);
    const bool gains = strategy_name == "hydalearn";
    std::ostringstream trace;
    TrainOptions opt;
    opt.lr = 0.05;
    opt.trace = &trace;
    opt.trace_format = format;
    opt.trace_full_gram = full_gram;
    Trainer<TestType> trainer(model, *strategy, opt);

    // Three steps on known batches; before each, inspect() on the same batch at the same
    // parameters, and the naive losses there.
    std::vector<Introspection> seen;
    std::vector<Vec> naive;
    for (int s = 0; s < 3; ++s) {
        std::vector<int> rows(8);
        std::iota(rows.begin(), rows.end(), 8 * s);
        seen.push_back(trainer.inspect(data, rows));
        Vec l;
        for (int k = 0; k < 3; ++k) l.push_back(double(task_loss(spec, params_of(model), Table::of(data), k, rows)));
        naive.push_back(l);
        trainer.step(data, rows);
    }

    const std::vector<std::string> names = {"b", "r", "m"};
    auto expected_values = [&](const Introspection& r, const Vec& losses) {
        Vec v = losses;
        v.insert(v.end(), r.coefficients.begin(), r.coefficients.end());
        if (gains) v.insert(v.end(), r.gains.begin(), r.gains.end());
        v.insert(v.end(), r.grad_norms.begin(), r.grad_norms.end());
        for (int i = 0; i < 3; ++i)
            for (int j = 0; j < 3; ++j)
                if (full_gram || i == 2) v.push_back(r.gram[std::size_t(i * 3 + j)]);
        return v;
    };
    const std::vector<std::string> lines = lines_of(trace.str());
    if (format == TraceFormat::csv) {
        REQUIRE(lines.size() == 4);  // the header, then one row per step
        std::string header = "step,epoch";
        for (const char* what : {"loss", "coef", "gain", "gnorm"})
            for (const auto& n : names)
                if (std::string(what) != "gain" || gains) header += std::string(",") + what + "_" + n;
        for (int i = 0; i < 3; ++i)
            for (int j = 0; j < 3; ++j)
                if (full_gram || i == 2) header += ",G_" + names[std::size_t(i)] + "_" + names[std::size_t(j)];
        CHECK(lines[0] == header);
        for (int s = 0; s < 3; ++s) {
            INFO("step " << s);
            const std::vector<std::string> fields = split(lines[std::size_t(s) + 1], ',');
            REQUIRE(fields.size() == split(header, ',').size());
            CHECK(fields[0] == std::to_string(s));
            CHECK(fields[1] == "0");
            Vec printed;
            for (std::size_t f = 2; f < fields.size(); ++f) printed.push_back(std::stod(fields[f]));
            check_printed(printed, expected_values(seen[std::size_t(s)], naive[std::size_t(s)]));
        }
    } else {
        REQUIRE(lines.size() == 3);
        for (int s = 0; s < 3; ++s) {
            INFO("step " << s << ": " << lines[std::size_t(s)]);
            const nlohmann::json j = nlohmann::json::parse(lines[std::size_t(s)]);
            std::vector<std::string> keys;
            for (const auto& item : j.items()) keys.push_back(item.key());
            std::vector<std::string> want_keys = {"step", "epoch", "losses", "coefficients", "grad_norms", full_gram ? "gram" : "gram_main_row"};
            if (gains) want_keys.push_back("gains");
            std::sort(keys.begin(), keys.end());
            std::sort(want_keys.begin(), want_keys.end());
            CHECK(keys == want_keys);
            CHECK(j.at("step").get<int>() == s);
            CHECK(j.at("epoch").get<int>() == 0);
            Vec printed;
            for (const char* key : {"losses", "coefficients", "gains", "grad_norms", full_gram ? "gram" : "gram_main_row"}) {
                if (std::string(key) == "gains" && !gains) continue;
                for (const auto& x : j.at(key)) printed.push_back(x.get<double>());
            }
            check_printed(printed, expected_values(seen[std::size_t(s)], naive[std::size_t(s)]));
        }
    }
}

TEST_CASE("fit() traces one row per step, numbered across epochs", "[trainer][trace]") {
    // 20 rows in batches of 8: steps of 8, 8 and 4 rows, three per epoch.
    const TraceFormat format = GENERATE(TraceFormat::csv, TraceFormat::jsonl);
    const Dataset<double> data = mixed_data<double>(20, 41);
    Model<double> model(mixed_spec({4}), 42);
    auto strategy = make_strategy("hydalearn", 3, 0);
    std::ostringstream trace;
    TrainOptions opt;
    opt.epochs = 2;
    opt.batch_size = 8;
    opt.trace = &trace;
    opt.trace_format = format;
    Trainer<double> trainer(model, *strategy, opt);
    trainer.fit(data);
    std::vector<std::string> lines = lines_of(trace.str());
    if (format == TraceFormat::csv) lines.erase(lines.begin());
    REQUIRE(lines.size() == 6);
    for (int s = 0; s < 6; ++s) {
        INFO(lines[std::size_t(s)]);
        if (format == TraceFormat::csv) {
            const auto fields = split(lines[std::size_t(s)], ',');
            CHECK(fields[0] == std::to_string(s));
            CHECK(fields[1] == std::to_string(s / 3));
        } else {
            const nlohmann::json j = nlohmann::json::parse(lines[std::size_t(s)]);
            CHECK(j.at("step").get<int>() == s);
            CHECK(j.at("epoch").get<int>() == s / 3);
        }
    }
}

TEMPLATE_TEST_CASE("a batch without any label of a task does not count toward the task's epoch loss", "[trainer][fit]", float, double) {
    // A batch with no label for a task has a loss of 0 (every mask entry 0), which is no
    // measurement: the epoch's loss is the mean over labelled rows. Here task "b" is
    // labelled in one row of 16, batches of 8, lr = 0: one batch per epoch sees that row,
    // the other none, and a plain mean over batches would report half that row's loss.
    Dataset<TestType> data = mixed_data<TestType>(16, 51);
    for (int r = 1; r < 16; ++r) data.labels[0][std::size_t(r)] = TestType(missing);
    Model<TestType> model(mixed_spec({4}), 52);
    auto strategy = make_strategy("equal", 3, 0);
    TrainOptions opt;
    opt.epochs = 2;
    opt.batch_size = 8;
    opt.optimizer = OptimizerKind::sgd;
    opt.lr = 0;
    Trainer<TestType> trainer(model, *strategy, opt);
    const Params p = params_of(model);
    const TrainResult result = trainer.fit(data);
    const double want = double(task_loss(model.spec(), p, Table::of(data), 0));  // row 0's loss: the only label
    for (const EpochReport& r : result.epochs) {
        INFO("epoch " << r.epoch << ": train loss of b " << r.train_loss[0] << ", its only labelled row's loss " << want);
        CHECK(r.train_loss[0] == Approx(want).epsilon(rel_tol<TestType>()));
    }
}
