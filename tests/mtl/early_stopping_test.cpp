// fit() with validation data: early stopping and restore_best follow the main task's
// main metric, which must be defined on the validation labels; a diverged model stops
// fit() with the epoch named, instead of comparing NaN.
#include <catch2/catch.hpp>

#include <limits>
#include <stdexcept>
#include <vector>

#include "hyda/mtl/dataset.hpp"
#include "hyda/mtl/trainer.hpp"
#include "throws.hpp"

using namespace hyda::mtl;
using Catch::Contains;
using hyda::test::invalid_argument_message;

namespace {

ModelSpec spec_for(int inputs) {
    ModelSpec spec;
    spec.inputs = inputs;
    spec.trunk = {16};
    spec.tasks = synthetic_tasks();
    return spec;
}

// Training and validation rows from one synthetic problem, the main task labelled
// everywhere; with `flip`, the validation labels of the main task are inverted, so that
// the better the model learns, the worse its validation metric.
Dataset<float>::Split problem(bool flip) {
    SyntheticSpec synth;
    synth.rows = 600;
    synth.features = 6;
    synth.main_labelled = 1.0;
    auto parts = make_synthetic<float>(synth).split(0.6, 0.4, 5);
    if (flip)
        for (float& y : parts.second.labels[0]) y = 1 - y;
    return parts;
}

TrainOptions options(int epochs, int patience) {
    TrainOptions opt;
    opt.epochs = epochs;
    opt.patience = patience;
    opt.batch_size = 32;
    opt.lr = 1e-2;
    opt.seed = 3;
    return opt;
}

}  // namespace

TEST_CASE("patience stops at the epoch the validation metric last improved plus patience", "[fit]") {
    const auto data = problem(true);
    Model<float> model(spec_for(data.first.features), 1);
    auto strategy = make_strategy("equal", 3, 0);
    Trainer<float> trainer(model, *strategy, options(30, 3));
    const TrainResult r = trainer.fit(data.first, &data.second);

    // The stop the rule implies on the reported metrics: the first epoch `patience`
    // epochs after the best so far.
    double best = -1;
    int best_epoch = -1, stop = -1;
    for (const EpochReport& e : r.epochs) {
        REQUIRE(e.validation_metric.has_value());
        if (*e.validation_metric > best) best = *e.validation_metric, best_epoch = e.epoch;
        CHECK(e.best == (best_epoch == e.epoch));
        if (e.epoch - best_epoch >= 3) {
            stop = e.epoch;
            break;
        }
    }
    INFO("validation AUC after epoch 0: " << *r.epochs[0].validation_metric << ", after the last: " << *r.epochs.back().validation_metric);
    CHECK(stop >= 0);  // the metric worsens as the model learns: training stops early
    CHECK(int(r.epochs.size()) == stop + 1);
    CHECK(r.best_epoch == best_epoch);
    CHECK(r.best_validation_metric == best);
}

TEST_CASE("restore_best ends with exactly the best epoch's parameters", "[fit]") {
    const bool flip = GENERATE(false, true);
    INFO((flip ? "metric worsening" : "metric improving, then noisy"));
    const auto data = problem(flip);
    Model<float> model(spec_for(data.first.features), 1);
    auto strategy = make_strategy("hydalearn", 3, 0);
    std::vector<std::vector<float>> at_best, at_last;
    TrainOptions opt = options(12, 0);
    opt.on_epoch = [&](const EpochReport& e) {
        at_last = model.snapshot();
        if (e.best) at_best = at_last;
    };
    Trainer<float> trainer(model, *strategy, opt);
    const TrainResult r = trainer.fit(data.first, &data.second);
    REQUIRE(r.epochs.size() == 12);
    REQUIRE(!at_best.empty());
    CHECK(model.snapshot() == at_best);  // bitwise
    if (r.best_epoch != 11) CHECK(at_best != at_last);
}

TEST_CASE("fit rejects validation data on which the main metric is undefined, before training", "[fit][input]") {
    auto data = problem(false);
    Model<float> model(spec_for(data.first.features), 1);
    const auto untrained = model.snapshot();
    auto strategy = make_strategy("equal", 3, 0);
    Trainer<float> trainer(model, *strategy, options(3, 2));
    SECTION("one class only") {
        for (float& y : data.second.labels[0]) y = y == 1 ? std::numeric_limits<float>::quiet_NaN() : y;
        CHECK_THAT(invalid_argument_message([&] { trainer.fit(data.first, &data.second); }),
                   Contains("validation data") && Contains("main task 'main'") && Contains("roc_auc") &&
                       Contains("only one class is present") && Contains("are negative") && Contains("early stopping"));
    }
    SECTION("no labelled rows") {
        for (float& y : data.second.labels[0]) y = std::numeric_limits<float>::quiet_NaN();
        CHECK_THAT(invalid_argument_message([&] { trainer.fit(data.first, &data.second); }),
                   Contains("main task 'main'") && Contains("roc_auc") && Contains("no labeled samples"));
    }
    SECTION("no rows") {
        const Dataset<float> empty = data.second.subset({});
        CHECK_THAT(invalid_argument_message([&] { trainer.fit(data.first, &empty); }), Contains("roc_auc: no samples"));
    }
    CHECK(model.snapshot() == untrained);
}

TEST_CASE("fit rejects a regression main task without validation labels", "[fit][input]") {
    auto data = problem(false);
    ModelSpec spec = spec_for(data.first.features);
    spec.tasks[0].kind = TaskKind::regression;
    for (float& y : data.second.labels[0]) y = std::numeric_limits<float>::quiet_NaN();
    Model<float> model(spec, 1);
    auto strategy = make_strategy("equal", 3, 0);
    Trainer<float> trainer(model, *strategy, options(3, 2));
    CHECK_THAT(invalid_argument_message([&] { trainer.fit(data.first, &data.second); }),
               Contains("main task 'main'") && Contains("rmse: no labeled samples"));
}

TEST_CASE("fit names the epoch at which the model's predictions stopped being finite", "[fit]") {
    const auto data = problem(false);
    ModelSpec spec = spec_for(data.first.features);
    spec.tasks[0].kind = TaskKind::regression;
    Model<float> model(spec, 1);
    auto strategy = make_strategy("equal", 3, 0);
    TrainOptions opt = options(5, 2);
    opt.optimizer = OptimizerKind::sgd;
    opt.lr = 1e30;  // diverges within the first epoch
    opt.on_nan = NanPolicy::skip;  // with stop, the next step's non-finite loss would stop it first
    Trainer<float> trainer(model, *strategy, opt);
    try {
        trainer.fit(data.first, &data.second);
        FAIL("fit returned");
    } catch (const std::runtime_error& e) {
        CHECK_THAT(e.what(), Contains("fit: validation data after epoch 0: task 'main' row 0: the prediction is not finite"));
    }
}
