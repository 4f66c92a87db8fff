// The trainer's support for strategies that need more than the whole trunk's G: per-layer
// Gram matrices and coefficients (Needs::layer_grams, GradVac per layer) and tracked task
// gradients (Needs::tracked_gradients, MoCo). A test strategy records what the trainer
// gives it; the statistics are checked against the task gradients inspect() returns, and
// the steps against plain whole-trunk steps, bit for bit where the arithmetic is the same.
#include <catch2/catch.hpp>

#include <cmath>
#include <numeric>
#include <string>
#include <vector>

#include "hyda/mtl/dataset.hpp"
#include "hyda/mtl/trainer.hpp"

namespace {

using namespace hyda::mtl;
using Vec = std::vector<double>;

// Fixed coefficients (with layer_grams: on layer l, (l + 1)^layer_power times them), a
// fixed tracking rate and scales; records every G it is given.
class Recorder final : public Strategy {
public:
    Recorder(Needs needs, Vec c, double rate = 1, Vec scale = {}) : needs_(needs), c_(std::move(c)), rate_(rate), scale_(std::move(scale)) {}
    int layer_power = 0;
    std::string name() const override { return "recorder"; }
    Needs needs() const override { return needs_; }

    std::vector<Vec> grams, layer_grams, tracked_grams;

private:
    void do_coefficients(const StepContext& ctx, std::span<double> c) override {
        grams.emplace_back(ctx.gram.begin(), ctx.gram.end());
        tracked_grams.emplace_back(ctx.tracked_gram.begin(), ctx.tracked_gram.end());
        std::copy(c_.begin(), c_.end(), c.begin());
    }
    void do_layer_coefficients(const StepContext& ctx, std::span<double> c, std::span<double> per_layer) override {
        grams.emplace_back(ctx.gram.begin(), ctx.gram.end());
        layer_grams.emplace_back(ctx.layer_grams.begin(), ctx.layer_grams.end());
        for (std::size_t l = 0; l < std::size_t(ctx.layers); ++l)
            for (std::size_t k = 0; k < c_.size(); ++k) per_layer[l * c_.size() + k] = std::pow(double(l + 1), layer_power) * c_[k];
        std::copy(c_.begin(), c_.end(), c.begin());
    }
    double do_track(const StepContext&, std::span<double> scale) override {
        for (std::size_t k = 0; k < scale.size(); ++k) scale[k] = scale_.empty() ? 1.0 : scale_[k];
        return rate_;
    }

    Needs needs_;
    Vec c_;
    double rate_;
    Vec scale_;
};

Needs layer_grams() {
    Needs n;
    n.layer_grams = true;
    return n;
}

Needs tracked() {
    Needs n;
    n.tracked_gradients = true;
    return n;
}

template <class T>
struct Setup {
    Dataset<T> data;
    ModelSpec spec;
    TrainOptions options;

    Setup() {
        SyntheticSpec synth;
        synth.rows = 128;
        synth.features = 6;
        data = make_synthetic<T>(synth);
        spec.inputs = data.features;
        spec.trunk = {7, 5, 4};  // three shared layers
        spec.tasks = synthetic_tasks();
        options.epochs = 2;
        options.batch_size = 32;
        options.lr = 1e-2;
    }
};

// Every parameter value of a model, flattened.
template <class T>
std::vector<T> values(const Model<T>& m) {
    std::vector<T> out;
    for (const auto* p : m.parameters()) out.insert(out.end(), p->value().data(), p->value().data() + p->size());
    return out;
}

// The Gram matrix of the task gradients' entries [first, last).
Vec gram_of(const std::vector<Vec>& g, std::size_t first, std::size_t last) {
    Vec G;
    for (const Vec& a : g)
        for (const Vec& b : g) G.push_back(std::inner_product(a.begin() + std::ptrdiff_t(first), a.begin() + std::ptrdiff_t(last), b.begin() + std::ptrdiff_t(first), 0.0));
    return G;
}

void check_near(const Vec& got, const Vec& want, double relative) {
    REQUIRE(got.size() == want.size());
    double scale = 0;
    for (double x : want) scale = std::max(scale, std::abs(x));
    for (std::size_t e = 0; e < want.size(); ++e) CHECK(got[e] == Approx(want[e]).margin(relative * scale));
}

}  // namespace

TEST_CASE("the trainer gives each shared layer's Gram matrix, and they sum to G", "[trainer][layer_grams]") {
    Setup<double> s;
    Model<double> model(s.spec, 5);
    REQUIRE(model.shared_layers() == 3);
    Recorder r(layer_grams(), {1, 1, 1});
    Trainer<double> trainer(model, r, s.options);
    std::vector<int> rows(32);
    std::iota(rows.begin(), rows.end(), 0);
    const Introspection in = trainer.inspect(s.data, rows);
    REQUIRE(r.layer_grams.size() == 1);
    const std::size_t K = 3;
    Vec sum(K * K, 0.0);
    std::size_t first = 0;
    for (std::size_t l = 0; l < 3; ++l) {
        // Layer l: the trunk's linear map l, its weight and its bias.
        const std::size_t last = first + model.parameters()[2 * l]->size() + model.parameters()[2 * l + 1]->size();
        CHECK(model.shared_layer_of(2 * l) == l);
        CHECK(model.shared_layer_of(2 * l + 1) == l);
        const Vec got(r.layer_grams[0].begin() + std::ptrdiff_t(l * K * K), r.layer_grams[0].begin() + std::ptrdiff_t((l + 1) * K * K));
        check_near(got, gram_of(in.task_gradients, first, last), 1e-13);
        for (std::size_t e = 0; e < K * K; ++e) sum[e] += got[e];
        first = last;
    }
    CHECK(first == in.task_gradients[0].size());
    check_near(r.grams[0], sum, 1e-15);
    check_near(in.gram, gram_of(in.task_gradients, 0, first), 1e-13);
}

TEST_CASE("per-layer coefficients all equal reproduce the whole-trunk step bit for bit", "[trainer][layer_grams]") {
    Setup<float> s;
    Model<float> per_layer(s.spec, 5), whole(s.spec, 5);
    Recorder r(layer_grams(), {0.7, 1.3, 0.4});
    auto fixed = make_strategy("static", 3, 0, {"weights=0.7,1.3,0.4", "heads=own"});
    const TrainResult a = Trainer<float>(per_layer, r, s.options).fit(s.data);
    const TrainResult b = Trainer<float>(whole, *fixed, s.options).fit(s.data);
    CHECK(r.layer_grams.size() == 8);
    CHECK(values(per_layer) == values(whole));
    CHECK(a.epochs.back().train_loss == b.epochs.back().train_loss);
}

TEST_CASE("each shared layer moves along its own coefficients", "[trainer][layer_grams]") {
    // Plain SGD: theta_layer <- theta_layer - lr sum_k (l + 1) c_k g_k over the layer's
    // weight and bias, with the task gradients inspect() returns (the model unchanged).
    Setup<double> s;
    s.options.optimizer = OptimizerKind::sgd;
    s.options.momentum = 0;
    Model<double> model(s.spec, 5);
    const Vec c = {0.7, 1.3, 0.4};
    Recorder r(layer_grams(), c);
    r.layer_power = 1;
    Trainer<double> trainer(model, r, s.options);
    std::vector<int> rows(32);
    std::iota(rows.begin(), rows.end(), 0);
    const Introspection in = trainer.inspect(s.data, rows);
    const std::vector<double> before = values(model);
    trainer.step(s.data, rows);
    const std::vector<double> after = values(model);
    const std::size_t n = in.task_gradients[0].size();
    Vec moved(n), want(n, 0.0);
    for (std::size_t e = 0, i = 0, end = model.parameters()[0]->size(); e < n; ++e) {
        if (e == end) end += model.parameters()[++i]->size();
        moved[e] = (before[e] - after[e]) / s.options.lr;
        for (std::size_t k = 0; k < 3; ++k) want[e] += double(model.shared_layer_of(i) + 1) * c[k] * in.task_gradients[k][e];
    }
    check_near(moved, want, 1e-9);
}

TEST_CASE("tracked gradients at rate 1 are the current ones: the same G, the same step bit for bit", "[trainer][tracked]") {
    Setup<float> s;
    Model<float> with_tracking(s.spec, 5), plain(s.spec, 5);
    Recorder r(tracked(), {0.7, 1.3, 0.4}, 1.0);
    auto fixed = make_strategy("static", 3, 0, {"weights=0.7,1.3,0.4", "heads=own"});
    Trainer<float>(with_tracking, r, s.options).fit(s.data);
    Trainer<float>(plain, *fixed, s.options).fit(s.data);
    REQUIRE(r.grams.size() == 8);
    for (std::size_t t = 0; t < r.grams.size(); ++t) CHECK(r.tracked_grams[t] == r.grams[t]);
    CHECK(values(with_tracking) == values(plain));
}

TEST_CASE("tracked gradients follow y <- y + b (s g - y) from 0, and the shared step is sum_k c_k y_k", "[trainer][tracked]") {
    // Two batches A and B. inspect() leaves the model unchanged, so the task gradients it
    // returns on A and B are those the steps see. Trainer 1 reads them; trainer 2 (same
    // model, same strategy) tracks A, then steps on B with plain SGD:
    //   y = (1 - b) b s gA + b s gB,   theta <- theta - lr sum_k c_k y_k.
    Setup<double> s;
    s.options.optimizer = OptimizerKind::sgd;
    s.options.momentum = 0;
    const double b = 0.3, lr = s.options.lr;
    const Vec scale = {1, 2, 0.5}, c = {0.7, 1.3, 0.4};
    std::vector<int> A(32), B(32);
    std::iota(A.begin(), A.end(), 0);
    std::iota(B.begin(), B.end(), 32);
    Model<double> m1(s.spec, 5), m2(s.spec, 5);
    Recorder r1(tracked(), c, b, scale), r2(tracked(), c, b, scale);
    Trainer<double> t1(m1, r1, s.options), t2(m2, r2, s.options);
    const Introspection a = t1.inspect(s.data, A), bb = t1.inspect(s.data, B);
    t2.inspect(s.data, A);
    const std::vector<double> before = values(m2);
    t2.step(s.data, B);
    const std::size_t K = 3, n = a.task_gradients[0].size();
    std::vector<Vec> y1(K, Vec(n)), y2(K, Vec(n));
    for (std::size_t k = 0; k < K; ++k)
        for (std::size_t e = 0; e < n; ++e) {
            y1[k][e] = b * scale[k] * a.task_gradients[k][e];
            y2[k][e] = (1 - b) * y1[k][e] + b * scale[k] * bb.task_gradients[k][e];
        }
    check_near(r1.tracked_grams[0], gram_of(y1, 0, n), 1e-13);
    check_near(r1.tracked_grams[1], gram_of(y2, 0, n), 1e-13);
    check_near(r2.tracked_grams[1], gram_of(y2, 0, n), 1e-13);
    // The shared parameters come first in values().
    const std::vector<double> after = values(m2);
    Vec moved(n), want(n, 0.0);
    for (std::size_t e = 0; e < n; ++e) {
        moved[e] = (before[e] - after[e]) / lr;
        for (std::size_t k = 0; k < K; ++k) want[e] += c[k] * y2[k][e];
    }
    check_near(moved, want, 1e-9);
}

TEST_CASE("the trainer rejects a tracking rate outside [0, 1] and a non-finite scale", "[trainer][tracked]") {
    Setup<float> s;
    std::vector<int> rows(32);
    std::iota(rows.begin(), rows.end(), 0);
    Model<float> model(s.spec, 5);
    Recorder too_fast(tracked(), {1, 1, 1}, 1.5), nan_scale(tracked(), {1, 1, 1}, 0.5, {1, NAN, 1});
    CHECK_THROWS_WITH(Trainer<float>(model, too_fast, s.options).step(s.data, rows),
                      Catch::Contains("strategy 'recorder' returned the tracking rate 1.500000, outside [0, 1], at step 0"));
    CHECK_THROWS_WITH(Trainer<float>(model, nan_scale, s.options).step(s.data, rows), Catch::Contains("strategy 'recorder' returned a non-finite tracking scale at step 0"));
}
