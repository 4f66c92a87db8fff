// SLGrad (sample-level weights from each sample's gradient against the main task's
// held-out gradient): its rule on hand-made inner products; the trainer's inner products
// and norms, found with one GEMM per trunk layer, against per-sample gradients
// materialised by running backward on one sample at a time; the reweighted task
// gradients; what it does with a main task whose training labels are partly flipped; and
// whole training runs.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <sstream>
#include <vector>

#include "hyda/mtl/dataset.hpp"
#include "hyda/mtl/trainer.hpp"
#include "sample_gradient.hpp"

using namespace hyda::mtl;

namespace {

using hyda::test::dot;
using hyda::test::sample_gradient;
using hyda::test::Vec;

ModelSpec spec_for(int inputs) {
    ModelSpec spec;
    spec.inputs = inputs;
    spec.trunk = {12, 8};
    spec.tasks = synthetic_tasks();
    return spec;
}

std::vector<int> first_rows(int n) {
    std::vector<int> rows(static_cast<std::size_t>(n));
    std::iota(rows.begin(), rows.end(), 0);
    return rows;
}

}  // namespace

TEST_CASE("SLGrad weights every sample by its clipped inner product with the held-out main gradient, normalised", "[strategies]") {
    auto s = make_strategy("slgrad", 2, 0);
    CHECK(s->name() == "slgrad");
    CHECK(s->needs().sample_weights);
    const Vec dots = {2, -1, 0,  // task 0 (main)
                      6, 0.5, -3};
    const Vec norms = {4, 1, 0, 3, 1, 3};
    SampleContext ctx;
    ctx.tasks = 2;
    ctx.samples = 3;
    ctx.dots = dots;
    ctx.norms = norms;
    ctx.ref_norm = 2;
    Vec w(6, NAN);
    s->sample_weights(ctx, w);
    // Clipped: 2, 0, 0, 6, 0.5, 0; their sum 8.5 is the normaliser.
    CHECK_THAT(w, Catch::Approx(Vec{2 / 8.5, 0, 0, 6 / 8.5, 0.5 / 8.5, 0}));
    Vec c(2, NAN);
    StepContext step;
    step.tasks = 2;
    const Vec losses = {1, 1}, gram = {1, 0, 0, 1};
    step.losses = losses;
    step.gram = gram;
    s->coefficients(step, c);
    CHECK(c == Vec{1, 1});  // the tasks themselves are not reweighted

    // Cosines 2/8, -1/2, 0, 6/6, 0.5/2, -3/6: clipped sum 1.5.
    make_strategy("slgrad", 2, 0, {"score=cosine"})->sample_weights(ctx, w);
    CHECK_THAT(w, Catch::Approx(Vec{0.25 / 1.5, 0, 0, 1 / 1.5, 0.25 / 1.5, 0}));
    // No sample helps: nothing moves.
    const Vec against = {-1, -1, 0, -2, -3, 0};
    ctx.dots = against;
    s->sample_weights(ctx, w);
    CHECK(w == Vec(6, 0.0));
    CHECK_THROWS_WITH(make_strategy("slgrad", 2, 0, {"score=maybe"}), Catch::Contains("score=maybe"));
}

TEST_CASE("SLGrad's weights: what its formula implies, by hand", "[strategies]") {
    // w = max(0, score) / sum max(0, score) over all tasks and samples, score = dot or
    // dot / (norm ref_norm). Two tasks, two samples each.
    auto weights = [](const std::string& score, Vec dots, Vec norms, double ref_norm = 1) {
        SampleContext ctx;
        ctx.tasks = 2;
        ctx.samples = 2;
        ctx.dots = dots;
        ctx.norms = norms;
        ctx.ref_norm = ref_norm;
        Vec w(4, NAN);
        make_strategy("slgrad", 2, 0, {"score=" + score})->sample_weights(ctx, w);
        return w;
    };
    const Vec ones(4, 1.0);
    // Only the signs and ratios of the inner products matter: scaling them all (e.g. the
    // learning rate, or the size of g_ref) changes nothing; a sample's task does not matter.
    CHECK_THAT(weights("dot", {3, -1, 1, 0}, ones), Catch::Approx(Vec{0.75, 0, 0.25, 0}));
    CHECK_THAT(weights("dot", {300, -100, 100, 0}, ones), Catch::Approx(Vec{0.75, 0, 0.25, 0}));
    CHECK_THAT(weights("dot", {1, 0, 3, -1}, ones), Catch::Approx(Vec{0.25, 0, 0.75, 0}));
    // With dot, a sample's weight grows with its gradient's norm; with cosine it does not:
    // sample 0's gradient is sample 2's times 4 (dot and norm both 4x).
    CHECK_THAT(weights("dot", {8, -1, 2, 0}, {4, 1, 1, 1}), Catch::Approx(Vec{0.8, 0, 0.2, 0}));
    CHECK_THAT(weights("cosine", {8, -1, 2, 0}, {4, 1, 1, 1}, 5), Catch::Approx(Vec{0.5, 0, 0.5, 0}));
    // A zero gradient (an unlabelled sample) has no cosine: weight 0, like a zero dot.
    CHECK_THAT(weights("cosine", {0, 1, 2, 0}, {0, 1, 2, 0}, 2), Catch::Approx(Vec{0, 0.5, 0.5, 0}));
    // A single helpful sample takes all the weight, whatever its size.
    CHECK_THAT(weights("dot", {-5, 1e-9, -2, 0}, ones), Catch::Approx(Vec{0, 1, 0, 0}));
}

TEST_CASE("SLGrad's per-sample inner products and norms from one GEMM per layer equal those of materialised per-sample gradients", "[strategies]") {
    SyntheticSpec synth;
    synth.rows = 200;
    synth.main_labelled = 0.5;  // unlabelled main samples: 0
    const Dataset<double> data = make_synthetic<double>(synth);
    ModelSpec spec = spec_for(data.features);
    spec.activation = Activation::tanh;
    Model<double> model(spec, 7);
    // A one-row held-out set: every held-out batch is that row repeated, so the main
    // task's held-out gradient is that row's gradient.
    int held = 0;
    while (std::isnan(data.labels[0][std::size_t(held)])) ++held;
    const Dataset<double> held_out = data.subset(std::vector<int>{held});
    auto strategy = make_strategy("slgrad", 3, 0);
    TrainOptions opt;
    opt.batch_size = 40;
    Trainer<double> trainer(model, *strategy, opt);
    const int B = 40;
    const Introspection r = trainer.inspect(data, first_rows(B), &held_out);
    REQUIRE(r.sample_dots.size() == std::size_t(3 * B));
    REQUIRE(r.sample_norms.size() == std::size_t(3 * B));
    REQUIRE(r.sample_weights.size() == std::size_t(3 * B));

    const Vec G = sample_gradient(model, data, held, 0);
    std::vector<Vec> grads(std::size_t(3 * B));
    double total = 0;  // sum of the clipped inner products: the weights' normaliser
    for (int k = 0; k < 3; ++k) {
        for (int i = 0; i < B; ++i) {
            INFO("task " << k << ", sample " << i);
            const std::size_t at = std::size_t(k * B + i);
            if (std::isnan(data.labels[std::size_t(k)][std::size_t(i)])) {
                CHECK(r.sample_dots[at] == 0.0);
                CHECK(r.sample_norms[at] == 0.0);
                continue;
            }
            grads[at] = sample_gradient(model, data, i, k);
            const double ip = dot(grads[at], G), norm = std::sqrt(dot(grads[at], grads[at]));
            CHECK(r.sample_dots[at] == Approx(ip).margin(1e-12 * norm * std::sqrt(dot(G, G))));
            CHECK(r.sample_norms[at] == Approx(norm));
            total += std::max(ip, 0.0);
        }
    }
    int opposed = 0, helping = 0;
    for (int k = 0; k < 3; ++k) {
        Vec reweighted(G.size(), 0.0);  // sum_i w_ki grad l_ki
        for (int i = 0; i < B; ++i) {
            const std::size_t at = std::size_t(k * B + i);
            if (grads[at].empty()) continue;
            const double ip = dot(grads[at], G), w = r.sample_weights[at];
            INFO("task " << k << ", sample " << i << ": inner product " << ip);
            if (ip < 0) {  // pulls against the main task on held-out data: dropped
                CHECK(w == 0.0);
                ++opposed;
            } else {
                CHECK(w == Approx(ip / total));
                ++helping;
            }
            for (std::size_t e = 0; e < G.size(); ++e) reweighted[e] += w * grads[at][e];
        }
        // The step's task gradient is the second sweep's, with the weights as seeds.
        const Vec& got = r.task_gradients[std::size_t(k)];
        REQUIRE(got.size() == reweighted.size());
        for (std::size_t e = 0; e < got.size(); ++e) CHECK(got[e] == Approx(reweighted[e]).margin(1e-12));
    }
    CHECK(opposed > 0);
    CHECK(helping > 0);
    std::ostringstream json;
    r.write_json(json);
    CHECK_THAT(json.str(), Catch::Contains("\"sample_weights\""));
}

TEST_CASE("SLGrad weights the main task's flipped-label samples below its clean ones", "[strategies]") {
    // The paper's purpose: a sample whose gradient pulls against the main task's gradient on
    // clean held-out data loses weight. Here a quarter of the main task's training labels
    // are flipped; SLGrad sees only per-sample gradients, not which labels are wrong. The
    // flipped samples' inner products with g_ref are more often negative (clipped to 0),
    // while both kinds share one head and so one scale: only the sign statistics separate
    // them. Per seed the ratio of mean weights (flipped / clean) is noisy (over 128 seeds
    // after 2 epochs: median 0.47, 2 seeds above 1); its mean over 16 seeds was 0.44 to
    // 0.56 on 8 disjoint groups of seeds. On the same models a sign-blind weight (|dot|)
    // gives a mean ratio of 0.99, the clipping reversed (max(0, -dot)) 2.3 to 3.
    //
    // (An earlier test compared the related and the noise task: their mean weights track
    // the spread of their per-sample inner products, set by how each randomly initialised
    // head lines up with the main head, not by relatedness; over 64 seeds the ratio ranged
    // from 0.2 to 8.3, median 1.1. See docs/baselines.md.)
    const int seeds = 16, B = 128, batches = 8;
    double ratio_sum = 0;
    for (int seed = 1; seed <= seeds; ++seed) {
        SyntheticSpec synth;
        synth.rows = 2000;
        synth.main_labelled = 1.0;
        synth.seed = std::uint64_t(seed);
        auto parts = make_synthetic<float>(synth).split(0.7, 0.3, std::uint64_t(seed));
        Dataset<float>& train = parts.first;
        std::vector<bool> flipped(std::size_t(train.rows), false);
        for (int r = 0; r < train.rows; r += 4) {
            float& y = train.labels[0][std::size_t(r)];
            y = 1 - y;
            flipped[std::size_t(r)] = true;
        }
        Model<float> model(spec_for(train.features), std::uint64_t(seed) + 1000);
        auto strategy = make_strategy("slgrad", 3, 0);
        TrainOptions opt;
        opt.epochs = 2;
        opt.batch_size = B;
        opt.seed = std::uint64_t(seed);
        Trainer<float> trainer(model, *strategy, opt);
        trainer.fit(train, &parts.second);
        double weight[2] = {0, 0}, count[2] = {0, 0};  // clean, flipped
        for (int b = 0; b < batches; ++b) {
            std::vector<int> rows = first_rows(B);
            for (int& i : rows) i += b * B;
            const Introspection r = trainer.inspect(train, rows, &parts.second);
            for (int i = 0; i < B; ++i) {
                const int f = flipped[std::size_t(rows[std::size_t(i)])] ? 1 : 0;
                weight[f] += r.sample_weights[std::size_t(i)];
                count[f] += 1;
            }
        }
        const double ratio = (weight[1] / count[1]) / (weight[0] / count[0]);
        INFO("seed " << seed << ": mean weight of flipped / clean samples " << ratio);
        CHECK(ratio > 0);
        ratio_sum += ratio;
    }
    INFO("mean ratio over " << seeds << " seeds: " << ratio_sum / seeds);
    CHECK(ratio_sum / seeds < 0.75);
}

TEST_CASE("SLGrad trains end to end and needs held-out data", "[strategies]") {
    SyntheticSpec synth;
    synth.rows = 800;
    const Dataset<float> data = make_synthetic<float>(synth);
    const auto parts = data.split(0.75, 0.25, 1);
    ModelSpec spec = spec_for(data.features);
    spec.dropout = 0.1;
    Model<float> model(spec, 2);
    auto strategy = make_strategy("slgrad", 3, 0);
    TrainOptions opt;
    opt.epochs = 3;
    std::ostringstream trace;
    opt.trace = &trace;
    Trainer<float> trainer(model, *strategy, opt);
    const TrainResult r = trainer.fit(parts.first, &parts.second);
    REQUIRE(r.epochs.size() == 3);
    for (const EpochReport& e : r.epochs) {
        CHECK(e.validation_metric.has_value());
        for (double l : e.train_loss) CHECK(std::isfinite(l));
    }
    for (const auto& p : model.snapshot())
        for (float v : p) REQUIRE(std::isfinite(v));
    CHECK_THAT(trace.str(), Catch::StartsWith("step,epoch,loss_main"));

    Trainer<float> without(model, *strategy, TrainOptions{});
    CHECK_THROWS_WITH(without.fit(parts.first), Catch::Contains("held-out"));
}
