// IMTL, Nash-MTL, FairGrad, Aligned-MTL, UPGrad and DualProj through the trainer: the Gram
// matrix over the trunk output that the upper-bound variants read, against per-task
// gradients computed separately; head weights reaching the heads; and every method
// training on the synthetic data, each step checked against the property its paper
// guarantees, replayed from the trace.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <sstream>
#include <string>
#include <vector>

#include "hyda/mtl/dataset.hpp"
#include "hyda/mtl/trainer.hpp"
#include "random_gradients.hpp"
#include "strategy_trace.hpp"

using namespace hyda::mtl;

namespace {

using Vec = std::vector<double>;

Dataset<double> synthetic(int rows, double main_labelled = 0.5) {
    SyntheticSpec s;
    s.rows = rows;
    s.features = 8;
    s.main_labelled = main_labelled;
    return make_synthetic<double>(s);
}

ModelSpec small_spec(int features) {
    ModelSpec spec;
    spec.inputs = features;
    spec.trunk = {12, 10};
    spec.tasks = synthetic_tasks();
    spec.tasks[1].head_hidden = {6};  // a hidden head layer between h and the output
    return spec;
}

// (G c)_k for the tasks x tasks G.
Vec times(const Vec& G, const Vec& c) {
    const std::size_t K = c.size();
    Vec out(K, 0.0);
    for (std::size_t i = 0; i < K; ++i)
        for (std::size_t j = 0; j < K; ++j) out[i] += G[i * K + j] * c[j];
    return out;
}

}  // namespace

TEST_CASE("the trunk output's Gram matrix: each task's dL_k/dh computed on its own, summed over the batch", "[strategies][feature_gram]") {
    const Dataset<double> data = synthetic(40);
    const ModelSpec spec = small_spec(data.features);
    Model<double> model(spec, 5);
    std::vector<int> rows(24);
    std::iota(rows.begin(), rows.end(), 7);
    const int B = int(rows.size()), K = model.tasks();

    // Reference: h from the trunk, then per task a separate tape where h is a parameter.
    hyda::ad::Tape<double> tape;
    std::vector<double> x, labels, mask;
    for (int r : rows) x.insert(x.end(), data.x.begin() + std::ptrdiff_t(r) * data.features, data.x.begin() + std::ptrdiff_t(r + 1) * data.features);
    std::vector<hyda::ad::Var<double>> outputs(std::size_t(model.tasks()));
    hyda::ad::Var<double> h;
    model.forward(tape, tape.input(x.data(), B, data.features, "x"), true, outputs, nullptr, &h);
    hyda::ad::Parameter<double> H("h", h.rows(), h.cols());
    std::copy_n(h.data(), H.size(), H.value().data());
    std::vector<Vec> dh;
    for (int k = 0; k < K; ++k) {
        labels.clear(), mask.clear();
        for (int r : rows) {
            const double y = data.labels[std::size_t(k)][std::size_t(r)];
            labels.push_back(y), mask.push_back(std::isnan(y) ? 0 : 1);
        }
        hyda::ad::Tape<double> head_tape;
        // Task k's head on H: its linear layers, ReLU between them (model.hpp's layout).
        const auto [first, last] = model.head_range(k);
        hyda::ad::Var<double> out = head_tape.param(H);
        for (std::size_t i = first; i < last; i += 2) {
            out = hyda::ad::linear(out, head_tape.param(*model.parameters()[i]), head_tape.param(*model.parameters()[i + 1]));
            if (i + 2 < last) out = hyda::ad::relu(out);
        }
        head_tape.backward(Model<double>::loss(spec.tasks[std::size_t(k)], out, head_tape.input(labels.data(), B, 1), head_tape.input(mask.data(), B, 1)));
        dh.emplace_back(H.grad().data(), H.grad().data() + H.size());
    }
    CHECK(std::count(mask.begin(), mask.end(), 0.0) == 0);  // the noise task: every row labelled
    Vec want;
    for (const Vec& a : dh)
        for (const Vec& b : dh) want.push_back(hyda::test::dot(a, b));

    auto ub = make_strategy("alignedmtl", K, 0, {"ub=on"});
    Trainer<double> trainer(model, *ub, TrainOptions{});
    const Introspection got = trainer.inspect(data, rows);
    REQUIRE(got.feature_gram.size() == want.size());
    for (std::size_t e = 0; e < want.size(); ++e) CHECK(got.feature_gram[e] == Approx(want[e]).epsilon(1e-12));
    // The coefficients are Aligned-MTL's on that matrix ...
    auto fresh = make_strategy("alignedmtl", K, 0, {"ub=on"});
    StepContext ctx;
    ctx.tasks = K;
    ctx.losses = got.losses;
    ctx.gram = got.gram;
    ctx.feature_gram = want;
    Vec c(static_cast<std::size_t>(K));
    fresh->coefficients(ctx, c);
    for (int k = 0; k < K; ++k) CHECK(got.coefficients[std::size_t(k)] == Approx(c[std::size_t(k)]).epsilon(1e-9));
    // ... and keeping h's adjoints changes no gradient of the shared parameters.
    auto plain = make_strategy("alignedmtl", K, 0);
    Trainer<double> other(model, *plain, TrainOptions{});
    const Introspection base = other.inspect(data, rows);
    CHECK(base.feature_gram.empty());
    CHECK(base.task_gradients == got.task_gradients);
    CHECK(base.gram == got.gram);
}

TEST_CASE("head weights reach the heads: Nash-MTL's a, unclipped, while the shared step is clipped", "[strategies][feature_gram]") {
    // One SGD step with nashmtl (heads weighted by a, the shared step clipped to norm 1e-3)
    // moves every head as static weights a with heads=weighted do, from the same model
    // and batch; the shared parameters move less.
    const Dataset<double> data = synthetic(32);
    const ModelSpec spec = small_spec(data.features);
    std::vector<int> rows(32);
    std::iota(rows.begin(), rows.end(), 0);
    Model<double> probe(spec, 9);
    auto unclipped = make_strategy("nashmtl", 3, 0, {"max_norm=0"});
    const Vec a = Trainer<double>(probe, *unclipped, TrainOptions{}).inspect(data, rows).coefficients;
    std::ostringstream weights;
    weights.precision(17);
    weights << "weights=" << a[0] << "," << a[1] << "," << a[2];

    TrainOptions o;
    o.optimizer = OptimizerKind::sgd;
    o.momentum = 0;
    o.lr = 0.1;
    auto run = [&](Strategy& s) {
        Model<double> m(spec, 9);
        Trainer<double>(m, s, o).step(data, rows);
        return m.snapshot();
    };
    auto nash = make_strategy("nashmtl", 3, 0, {"max_norm=1e-3"});
    auto fixed = make_strategy("static", 3, 0, {weights.str(), "heads=weighted"});
    const auto got = run(*nash), want = run(*fixed), before = probe.snapshot();
    const std::size_t shared = probe.shared_count();
    for (std::size_t i = shared; i < got.size(); ++i) {
        INFO("parameter " << probe.parameters()[i]->name());
        CHECK(got[i] == want[i]);
        CHECK(got[i] != before[i]);
    }
    double moved = 0, moved_static = 0;
    for (std::size_t i = 0; i < shared; ++i)
        for (std::size_t e = 0; e < got[i].size(); ++e) moved += std::pow(got[i][e] - before[i][e], 2), moved_static += std::pow(want[i][e] - before[i][e], 2);
    CHECK(std::sqrt(moved) == Approx(0.1 * 1e-3).epsilon(1e-6));  // lr times the clipped norm
    CHECK(moved_static > 100 * moved);
}

TEST_CASE("every Gram-matrix method trains on the synthetic data, each step keeping its paper's property", "[strategies][training]") {
    SyntheticSpec synth;
    synth.rows = 256;
    synth.features = 8;
    const Dataset<float> data = make_synthetic<float>(synth);
    auto run = [&](const std::string& name, const std::vector<std::string>& options) {
        hyda::test::TracedRun r = hyda::test::traced_synthetic_run(data, name, options, 4);
        for (const auto& step : r.steps) {
            for (double x : step.losses) CHECK(std::isfinite(x));
            for (double x : step.coefficients) CHECK(std::isfinite(x));
        }
        auto total = [](const EpochReport& e) { return std::accumulate(e.train_loss.begin(), e.train_loss.end(), 0.0); };
        INFO("epoch losses " << total(r.result.epochs.front()) << " -> " << total(r.result.epochs.back()));
        CHECK(total(r.result.epochs.back()) < total(r.result.epochs.front()));
        return r;
    };
    const std::size_t K = 3;
    // The same number for every task, up to rel (relative to the largest).
    auto check_equal = [](const Vec& v, double rel) {
        double largest = 0;
        for (double x : v) largest = std::max(largest, std::abs(x));
        for (double x : v) CHECK(x == Approx(v[0]).margin(rel * largest));
    };

    SECTION("imtl: equal projections on the unit gradients (and sum 1 under mode=gradient)") {
        for (const char* mode : {"mode=gradient", "mode=hybrid", "mode=loss"}) {
            INFO(mode);
            for (const auto& step : run("imtl", {mode}).steps) {
                if (std::string(mode) == "mode=loss") continue;  // no gradient balance
                Vec projection = times(step.gram, step.coefficients);
                for (std::size_t k = 0; k < K; ++k) projection[k] /= std::sqrt(step.gram[k * K + k]);
                check_equal(projection, 1e-9);
                if (std::string(mode) == "mode=gradient") CHECK(std::accumulate(step.coefficients.begin(), step.coefficients.end(), 0.0) == Approx(1));
            }
        }
        run("imtl", {"ub=on"});
    }
    SECTION("nashmtl: c = kappa a with G a = 1 / a, so c_k (G c)_k = kappa^2 for every task, kappa <= 1") {
        for (const auto& step : run("nashmtl", {}).steps) {
            double f = 0;
            for (double x : step.gram) f += x * x;
            const Vec Gc = times(step.gram, step.coefficients);
            Vec products(K);
            for (std::size_t k = 0; k < K; ++k) products[k] = step.coefficients[k] * Gc[k] / std::sqrt(f);
            check_equal(products, 1e-6);
            CHECK(products[0] <= 1 + 1e-9);
        }
    }
    SECTION("fairgrad: c = kappa w with G w = w^(-1/alpha): c_k^(1/alpha) (G c)_k is the same for every task") {
        for (const auto& step : run("fairgrad", {"alpha=2"}).steps) {
            const Vec Gc = times(step.gram, step.coefficients);
            Vec products(K);
            for (std::size_t k = 0; k < K; ++k) products[k] = std::sqrt(step.coefficients[k]) * Gc[k];
            check_equal(products, 1e-6);
        }
    }
    SECTION("alignedmtl: c = B 1, so B 1 replayed on the traced G; the upper bound variant trains") {
        for (const auto& step : run("alignedmtl", {}).steps) {
            auto fresh = make_strategy("alignedmtl", int(K), 0);
            StepContext ctx;
            ctx.tasks = int(K);
            ctx.losses = step.losses;
            ctx.gram = step.gram;
            Vec c(K);
            fresh->coefficients(ctx, c);
            for (std::size_t k = 0; k < K; ++k) CHECK(step.coefficients[k] == Approx(c[k]).epsilon(1e-12));
        }
        run("alignedmtl", {"ub=on"});
    }
    SECTION("upgrad, dualproj: no task's gradient conflicts with the update") {
        for (const char* name : {"upgrad", "dualproj"}) {
            INFO(name);
            for (const auto& step : run(name, {}).steps) {
                const Vec Gc = times(step.gram, step.coefficients);
                double scale = 0;
                for (std::size_t k = 0; k < K; ++k) scale = std::max(scale, step.gram[k * K + k]);
                for (double x : Gc) CHECK(x >= -1e-9 * scale);
            }
        }
    }
}
