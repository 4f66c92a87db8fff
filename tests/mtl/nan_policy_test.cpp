// The numerical-fault policy (TrainOptions::on_nan): a NaN planted in a trunk or head
// weight makes that step's losses non-finite; stop throws naming the task, step and
// epoch, skip leaves every such batch out with the parameters bitwise unchanged, and on
// finite training skip changes nothing.
#include <catch2/catch.hpp>

#include <cstring>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

#include "hyda/autodiff/random.hpp"
#include "hyda/mtl/dataset.hpp"
#include "hyda/mtl/strategy.hpp"
#include "hyda/mtl/trainer.hpp"

using namespace hyda::mtl;
using Catch::Contains;

namespace {

// Two features; "b" binary [x0 > x1], "r" regression x0 - x1 / 2.
Dataset<double> two_task_data(int rows) {
    hyda::ad::Rng rng(7);
    Dataset<double> d;
    d.rows = rows;
    d.features = 2;
    d.labels.assign(2, {});
    for (int r = 0; r < rows; ++r) {
        const double x0 = rng.normal(), x1 = rng.normal();
        d.x.insert(d.x.end(), {x0, x1});
        d.labels[0].push_back(x0 > x1 ? 1 : 0);
        d.labels[1].push_back(x0 - x1 / 2);
    }
    return d;
}

ModelSpec two_task_spec() {
    ModelSpec spec;
    spec.inputs = 2;
    spec.trunk = {8};
    spec.activation = Activation::tanh;  // relu would map a NaN pre-activation to 0, hiding the planted NaN
    spec.tasks = {TaskSpec{"b", TaskKind::binary, 2, 0, {}}, TaskSpec{"r", TaskKind::regression, 2, 0, {}}};
    return spec;
}

TrainOptions options(NanPolicy on_nan) {
    TrainOptions o;
    o.epochs = 2;
    o.batch_size = 16;  // 3 batches of 40 rows per epoch
    o.on_nan = on_nan;
    return o;
}

void plant_nan(Model<double>& model, std::size_t parameter) {
    model.parameters()[parameter]->value().data()[0] = std::numeric_limits<double>::quiet_NaN();
}

// Bitwise equality, NaN included.
bool same_bits(const std::vector<std::vector<double>>& a, const std::vector<std::vector<double>>& b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (a[i].size() != b[i].size() || std::memcmp(a[i].data(), b[i].data(), a[i].size() * sizeof(double)) != 0) return false;
    return true;
}

}  // namespace

TEST_CASE("on_nan=stop: a NaN trunk weight stops training at step 0, naming a task", "[nan]") {
    const Dataset<double> data = two_task_data(40);
    Model<double> model(two_task_spec(), 3);
    plant_nan(model, 0);  // the trunk's first weight: every task's loss is NaN
    const auto strategy = make_strategy("hydalearn", 2, 0);
    Trainer<double> trainer(model, *strategy, options(NanPolicy::stop));
    CHECK_THROWS_WITH(trainer.fit(data), Contains("non-finite loss of task 'b' at step 0 (epoch 0)") && Contains("on_nan=stop"));
}

TEST_CASE("on_nan=stop: a NaN in one task's head names that task", "[nan]") {
    const Dataset<double> data = two_task_data(40);
    Model<double> model(two_task_spec(), 3);
    plant_nan(model, model.head_range(1).first);  // task "r"'s head: the other task stays finite
    const auto strategy = make_strategy("equal", 2, 0);
    Trainer<double> trainer(model, *strategy, options(NanPolicy::stop));
    CHECK_THROWS_WITH(trainer.fit(data), Contains("of task 'r' at step 0 (epoch 0)"));
    // inspect() has nothing to skip: it throws whatever the policy.
    const auto other = make_strategy("equal", 2, 0);
    Trainer<double> skipping(model, *other, options(NanPolicy::skip));
    const std::vector<int> rows = {0, 1, 2, 3};
    CHECK_THROWS_WITH(skipping.inspect(data, rows), Contains("of task 'r' at step 0"));
}

TEST_CASE("on_nan=skip: every faulty batch is left out, the parameters bitwise unchanged", "[nan]") {
    const Dataset<double> data = two_task_data(40);
    for (const char* name : {"equal", "hydalearn", "famo", "uncertainty"}) {
        Model<double> model(two_task_spec(), 3);
        plant_nan(model, 0);
        const std::vector<std::vector<double>> before = model.snapshot();
        const auto strategy = make_strategy(name, 2, 0);
        Trainer<double> trainer(model, *strategy, options(NanPolicy::skip));
        const TrainResult result = trainer.fit(data);
        INFO(name);
        REQUIRE(result.epochs.size() == 2);
        for (const EpochReport& e : result.epochs) {
            CHECK(e.skipped_steps == 3);
            for (double l : e.train_loss) CHECK(l == 0);  // no batch counted
        }
        CHECK(same_bits(model.snapshot(), before));
    }
}

TEST_CASE("on_nan=skip on finite training is bitwise the same as stop", "[nan]") {
    const Dataset<double> data = two_task_data(40);
    std::vector<std::vector<double>> trained[2];
    for (int i = 0; i < 2; ++i) {
        Model<double> model(two_task_spec(), 3);
        const auto strategy = make_strategy("hydalearn", 2, 0);
        Trainer<double> trainer(model, *strategy, options(i == 0 ? NanPolicy::stop : NanPolicy::skip));
        const TrainResult result = trainer.fit(data);
        for (const EpochReport& e : result.epochs) CHECK(e.skipped_steps == 0);
        trained[i] = model.snapshot();
    }
    CHECK(same_bits(trained[0], trained[1]));
    CHECK(!same_bits(trained[0], Model<double>(two_task_spec(), 3).snapshot()));  // it trained
}

TEST_CASE("on_nan: validate refuses a value outside the enum", "[nan]") {
    TrainOptions o;
    o.on_nan = NanPolicy(7);
    CHECK_THROWS_WITH(o.validate(), Contains("on_nan"));
}
