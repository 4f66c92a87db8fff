// Every registered strategy, with its defaults, trains end to end: finite losses and
// coefficients at every step, coefficients non-negative where the method's paper
// guarantees it, and the main task learning something. A strategy added to the registry
// is covered here without a line of its own; one whose paper allows negative
// coefficients must say so in `signed_coefficients` below.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "hyda/mtl/strategy.hpp"
#include "strategy_trace.hpp"

using namespace hyda::mtl;

namespace {

// Coefficients that may be negative by construction: fixed weights as given, the
// gradient-surgery combinations (a projection subtracts), IMTL-G's closed form and
// Aligned-MTL's rescaled basis.
const std::vector<std::string> signed_coefficients = {"static", "pcgrad", "cagrad", "gradvac", "imtl", "alignedmtl"};

// Every strategy's defaults; static has none for its weights.
std::vector<std::string> options_for(const std::string& name) { return name == "static" ? std::vector<std::string>{"weights=1,0.5,0.25"} : std::vector<std::string>{}; }

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
        const hyda::test::TracedRun run = hyda::test::traced_synthetic_run(data, name, options_for(name), 6, &validation);  // past DWA's and STCH's warm-up
        const bool may_be_negative = std::find(signed_coefficients.begin(), signed_coefficients.end(), name) != signed_coefficients.end();
        for (const hyda::test::TracedStep& step : run.steps) {
            for (double L : step.losses) REQUIRE(std::isfinite(L));
            for (double c : step.coefficients) {
                REQUIRE(std::isfinite(c));
                if (!may_be_negative) REQUIRE(c >= 0);
            }
        }
        // The main task learns: its validation AUC ends above chance.
        REQUIRE(run.result.best_validation_metric.has_value());
        CHECK(*run.result.best_validation_metric > 0.6);
    }
}
