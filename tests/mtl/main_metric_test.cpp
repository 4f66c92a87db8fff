// evaluate() reports a metric the labels leave undefined as nullopt, decided from the
// labels; TaskMetrics::value and main_metric pick metrics by name.
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>

#include "hyda/mtl/dataset.hpp"
#include "hyda/mtl/trainer.hpp"
#include "throws.hpp"

using namespace hyda::mtl;
using Catch::Contains;
using hyda::test::invalid_argument_message;

namespace {

constexpr double NaN = std::numeric_limits<double>::quiet_NaN();

// Three tasks on 4 features: a binary main task, a regression and a 3-class task.
ModelSpec mixed_spec() {
    ModelSpec spec;
    spec.inputs = 4;
    spec.trunk = {8};
    spec.tasks = {{"click", TaskKind::binary, 2, 0, {}}, {"price", TaskKind::regression, 2, 0, {}}, {"kind", TaskKind::multiclass, 3, 0, {}}};
    return spec;
}

Dataset<double> mixed_data(std::vector<double> click, std::vector<double> price, std::vector<double> kind) {
    Dataset<double> d;
    d.rows = int(click.size());
    d.features = 4;
    for (int i = 0; i < d.rows * 4; ++i) d.x.push_back(std::sin(0.7 * i));
    d.labels = {std::move(click), std::move(price), std::move(kind)};
    return d;
}

}  // namespace

TEST_CASE("main_metric_name names the metric of each task kind", "[metrics]") {
    CHECK(main_metric_name(TaskKind::binary) == "roc_auc");
    CHECK(main_metric_name(TaskKind::multiclass) == "accuracy");
    CHECK(main_metric_name(TaskKind::regression) == "rmse");
}

TEST_CASE("evaluate reports metrics the labels leave undefined as nullopt", "[metrics]") {
    const Model<double> model(mixed_spec(), 1);
    SECTION("every metric defined") {
        const auto m = evaluate(model, mixed_data({0, 1, 1, 0}, {0.5, 1.5, -2, 3}, {0, 2, 1, 1}));
        for (const TaskMetrics& t : m)
            for (const auto& [name, v] : t.values) {
                INFO(t.task << " " << name);
                CHECK(v.has_value());
            }
    }
    SECTION("one class, equal targets, no labels") {
        const auto m = evaluate(model, mixed_data({1, 1, NaN, 1}, {2, 2, 2, NaN}, {NaN, NaN, NaN, NaN}));
        CHECK_FALSE(m[0].value("roc_auc"));  // a single class
        CHECK(m[0].value("pr_auc") == 1.0);  // every positive ranked above no negative
        CHECK(m[0].value("log_loss").has_value());
        CHECK(m[1].value("rmse").has_value());
        CHECK_FALSE(m[1].value("r2"));  // SS_tot = 0
        CHECK_FALSE(m[2].value("accuracy"));
        CHECK_FALSE(m[2].value("log_loss"));
        CHECK_FALSE(main_metric(model, mixed_data({0, 0, 0, 0}, {1, 2, 3, 4}, {0, 1, 2, 0}), 0));
    }
}

TEST_CASE("main_metric picks the main metric by name, regression as minus RMSE", "[metrics]") {
    const Model<double> model(mixed_spec(), 2);
    const auto data = mixed_data({0, 1, 1, 0}, {0.5, 1.5, -2, 3}, {0, 2, 1, 1});
    const auto m = evaluate(model, data);
    CHECK(main_metric(model, data, 0) == m[0].value("roc_auc"));
    CHECK(main_metric(model, data, 1) == -*m[1].value("rmse"));
    CHECK(main_metric(model, data, 2) == m[2].value("accuracy"));
    CHECK_THAT(invalid_argument_message([&] { (void)m[1].value("roc_auc"); }),
               Contains("task 'price' has no metric 'roc_auc'") && Contains("rmse, mae, r2"));
    CHECK_THAT(invalid_argument_message([&] { (void)main_metric(model, data, 3); }), Contains("task index 3"));
}
