// Every registered strategy, with its defaults, trains end to end: finite losses and
// coefficients at every step, coefficients non-negative where the method's paper
// guarantees it, and the main task learning something. A strategy added to the registry
// is covered here without a line of its own; one whose paper allows negative
// coefficients must say so in `signed_coefficients` below.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <sstream>
#include <string>
#include <vector>

#include "hyda/mtl/strategy.hpp"
#include "hyda/mtl/trainer.hpp"
#include "strategy_trace.hpp"

using namespace hyda::mtl;

namespace {

// Coefficients that may be negative by construction: fixed weights as given, the
// gradient-surgery combinations (a projection subtracts), IMTL-G's closed form and
// Aligned-MTL's rescaled basis.
const std::vector<std::string> signed_coefficients = {"static", "pcgrad", "cagrad", "gradvac", "imtl", "alignedmtl"};

std::vector<std::string> defaults_for(const std::string& name, int tasks) {
    if (name == "static") return {"weights=1,0.5" + std::string(tasks > 2 ? ",0.25" : "")};
    return {};
}

}  // namespace

TEST_CASE("every strategy trains on synthetic data with finite losses and coefficients, non-negative where its paper says", "[strategies][every]") {
    SyntheticSpec synth;
    synth.rows = 384;
    synth.features = 8;
    synth.main_labelled = 0.5;
    const Dataset<float> data = make_synthetic<float>(synth);
    synth.seed += 1;
    synth.rows = 128;
    const Dataset<float> validation = make_synthetic<float>(synth);
    for (const std::string& name : strategy_names()) {
        INFO("strategy " << name);
        ModelSpec spec;
        spec.inputs = data.features;
        spec.trunk = {16, 16};
        spec.tasks = synthetic_tasks();
        Model<float> model(spec, 5);
        auto strategy = make_strategy(name, model.tasks(), spec.main_task, defaults_for(name, model.tasks()));
        TrainOptions o;
        o.epochs = 6;  // past the warm-up epochs of DWA and STCH
        o.batch_size = 32;
        o.lr = 1e-2;
        std::ostringstream trace;
        trace.precision(17);
        o.trace = &trace;
        Trainer<float> trainer(model, *strategy, o);
        const TrainResult result = trainer.fit(data, &validation);
        const bool may_be_negative = std::find(signed_coefficients.begin(), signed_coefficients.end(), name) != signed_coefficients.end();
        std::stringstream lines(trace.str());
        std::string line;
        std::getline(lines, line);
        const std::vector<std::string> header = hyda::test::split_csv_line(line);
        int steps = 0;
        while (std::getline(lines, line)) {
            const std::vector<std::string> cells = hyda::test::split_csv_line(line);
            ++steps;
            for (std::size_t c = 0; c < cells.size(); ++c) {
                const double value = std::stod(cells[c]);
                const bool coefficient = header[c].rfind("coef_", 0) == 0, loss = header[c].rfind("loss_", 0) == 0;
                if (coefficient || loss) REQUIRE(std::isfinite(value));
                if (coefficient && !may_be_negative) REQUIRE(value >= 0);
            }
        }
        CHECK(steps == 6 * 12);
        // The main task learns: its validation AUC ends above chance.
        REQUIRE(result.best_validation_metric.has_value());
        CHECK(*result.best_validation_metric > 0.6);
    }
}
