// Bad input to the mtl layer: each error is std::invalid_argument (or out_of_range for a
// row index) and its message names the dataset, task, parameter, option or row at fault.
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <numeric>

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
    spec.trunk = {8};
    spec.tasks = synthetic_tasks();
    return spec;
}

Dataset<float> small_data(int rows = 40) {
    SyntheticSpec synth;
    synth.rows = rows;
    synth.features = 4;
    return make_synthetic<float>(synth);
}

}  // namespace

TEST_CASE("model specs reject meaningless settings", "[input]") {
    ModelSpec spec = spec_for(4);
    spec.tasks[1].kind = TaskKind::regression;
    spec.tasks[1].huber_delta = std::numeric_limits<double>::quiet_NaN();
    CHECK_THAT(invalid_argument_message([&] { spec.validate(); }), Contains("task 'related'") && Contains("huber_delta"));
    spec.tasks[1].huber_delta = -1;
    CHECK_THAT(invalid_argument_message([&] { spec.validate(); }), Contains("huber_delta"));
    spec = spec_for(4);
    spec.trunk = {8, 0};
    CHECK_THAT(invalid_argument_message([&] { spec.validate(); }), Contains("trunk layer sizes"));
}

TEST_CASE("datasets are checked against the model, naming task and row", "[input]") {
    const ModelSpec spec = spec_for(4);
    CHECK_NOTHROW(small_data().validate(spec));
    {
        Dataset<float> d = small_data();
        d.labels[1].pop_back();
        CHECK_THAT(invalid_argument_message([&] { d.validate(spec, "training data"); }),
                   Contains("training data: task 'related' has 39 values for 40 rows"));
    }
    {
        Dataset<float> d = small_data();
        d.labels[2][7] = 0.5f;
        CHECK_THAT(invalid_argument_message([&] { d.validate(spec); }), Contains("task 'noise' row 7: invalid label"));
    }
    {
        Dataset<float> d = small_data();
        d.x[3 * 4 + 2] = std::numeric_limits<float>::infinity();
        CHECK_THAT(invalid_argument_message([&] { d.validate(spec); }), Contains("feature 2 of row 3 is not finite"));
    }
    {
        Dataset<float> d = small_data();
        d.x.pop_back();
        CHECK_THAT(invalid_argument_message([&] { d.validate(spec); }), Contains("feature matrix has 159 values for 40 rows of 4"));
        CHECK_THAT(invalid_argument_message([&] { (void)d.subset(std::vector<int>{0, 1}); }), Contains("Dataset::subset"));
    }
    CHECK_THAT(invalid_argument_message([&] { small_data().validate(spec_for(5)); }), Contains("4 features, the model expects 5"));
}

TEST_CASE("split never hands out more rows than there are", "[input]") {
    const Dataset<float> d = small_data(10);
    for (double first : {0.05, 0.25, 0.35, 0.45}) {
        INFO("first " << first);
        const auto parts = d.split(first, 1 - first, 3);  // each fraction rounds up alone
        CHECK(parts.first.rows + parts.second.rows + parts.rest.rows == 10);
        CHECK(parts.first.rows == int(std::lround(first * 10)));
    }
    CHECK_THAT(invalid_argument_message([&] { (void)d.split(0.6, 0.5, 1); }), Contains("sum to <= 1"));
}

TEST_CASE("the trainer rejects mismatched strategies, options, data and rows", "[input]") {
    const Dataset<float> data = small_data();
    Model<float> model(spec_for(4), 1);
    auto other = make_strategy("equal", 2, 0);
    CHECK_THAT(invalid_argument_message([&] { Trainer<float>(model, *other, TrainOptions{}); }),
               Contains("strategy 'equal' was made for 2 tasks with main task 0, the model has 3 tasks"));
    auto other_main = make_strategy("single", 3, 1);
    CHECK_THAT(invalid_argument_message([&] { Trainer<float>(model, *other_main, TrainOptions{}); }), Contains("main task 1"));

    auto strategy = make_strategy("hydalearn", 3, 0, {"batch=held_out"});
    auto options_with = [](auto set) {
        TrainOptions o;
        set(o);
        return o;
    };
    CHECK_THAT(invalid_argument_message([&] { Trainer<float>(model, *strategy, options_with([](TrainOptions& o) { o.lr = -1; })); }),
               Contains("lr must be finite and >= 0"));
    CHECK_THAT(invalid_argument_message([&] { Trainer<float>(model, *strategy, options_with([](TrainOptions& o) { o.clip_norm = std::nan(""); })); }),
               Contains("clip_norm"));
    CHECK_THAT(invalid_argument_message([&] { Trainer<float>(model, *strategy, options_with([](TrainOptions& o) { o.step_every = 0; })); }),
               Contains("step_every must be >= 1"));
    CHECK_THAT(invalid_argument_message([&] { Trainer<float>(model, *strategy, options_with([](TrainOptions& o) { o.patience = -2; })); }),
               Contains("patience"));

    Trainer<float> trainer(model, *strategy, TrainOptions{});
    std::vector<int> rows(8);
    std::iota(rows.begin(), rows.end(), 0);
    SyntheticSpec wide;
    wide.rows = 20;
    wide.features = 6;
    const Dataset<float> wrong_width = make_synthetic<float>(wide);
    CHECK_THAT(invalid_argument_message([&] { trainer.step(data, rows, &wrong_width); }), Contains("held-out data: 6 features, the model expects 4"));
    CHECK_THAT(invalid_argument_message([&] { (void)trainer.inspect(wrong_width, rows, &data); }), Contains("training data: 6 features"));
    rows.back() = 40;
    CHECK_THROWS_AS(trainer.step(data, rows, &data), std::out_of_range);
    rows.back() = 7;
    CHECK_NOTHROW(trainer.step(data, rows, &data));
}

TEST_CASE("restore and predict reject data of another shape", "[input]") {
    Model<float> model(spec_for(4), 1);
    auto values = model.snapshot();
    values[1].pop_back();
    CHECK_THAT(invalid_argument_message([&] { model.restore(values); }), Contains("parameter 'trunk0.b'"));
    values.pop_back();
    CHECK_THAT(invalid_argument_message([&] { model.restore(values); }), Contains("parameters for a model of"));
    Dataset<float> d = small_data();
    d.x.resize(d.x.size() - 4);
    CHECK_THAT(invalid_argument_message([&] { (void)predict(model, d); }), Contains("predict: data: feature matrix"));
    d = small_data();
    d.labels.pop_back();
    CHECK_NOTHROW(predict(model, d));  // predictions read no labels
    CHECK_THAT(invalid_argument_message([&] { (void)evaluate(model, d); }), Contains("evaluate: data: 2 label columns for 3 tasks"));
}

TEST_CASE("evaluate and main_metric reject invalid and empty data, naming task and row", "[input]") {
    const Model<float> model(spec_for(4), 1);
    Dataset<float> d = small_data();
    d.labels[2][7] = 0.5f;
    CHECK_THAT(invalid_argument_message([&] { (void)evaluate(model, d); }), Contains("evaluate: data: task 'noise' row 7: invalid label"));
    CHECK_THAT(invalid_argument_message([&] { (void)main_metric(model, d, 0); }), Contains("main_metric: data: task 'noise' row 7"));
    d = small_data();
    d.x[5 * 4 + 1] = std::numeric_limits<float>::quiet_NaN();
    CHECK_THAT(invalid_argument_message([&] { (void)evaluate(model, d); }), Contains("evaluate: data: feature 1 of row 5 is not finite"));
    const Dataset<float> empty = small_data().subset({});
    CHECK_THAT(invalid_argument_message([&] { (void)evaluate(model, empty); }), Contains("evaluate: data: no rows"));
    CHECK_THAT(invalid_argument_message([&] { (void)main_metric(model, empty, 0); }), Contains("main_metric: data: no rows"));
}
