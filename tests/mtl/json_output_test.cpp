// The trainer's text output parses back: Introspection::write_json and the JSON Lines
// trace as JSON (task names escaped, NaN and infinities as null), the CSV trace per
// RFC 4180; numbers read back exactly, and the caller's stream keeps its state.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdlib>
#include <limits>
#include <numeric>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "hyda/mtl/dataset.hpp"
#include "hyda/mtl/trainer.hpp"

using namespace hyda::mtl;
using nlohmann::json;

namespace {

const std::string awkward = "a\"b\\c,d";  // a"b\c,d: a quote, a backslash, a comma

// A stream whose precision and flags are not the defaults, to see that they survive.
struct OddStream {
    std::ostringstream os;
    OddStream() {
        os.precision(3);
        os.setf(std::ios::scientific | std::ios::showpos | std::ios::uppercase);
    }
    void check_state_kept() {
        CHECK(os.precision() == 3);
        CHECK(os.flags() == (std::ios::scientific | std::ios::showpos | std::ios::uppercase | std::ios::dec | std::ios::skipws));
    }
};

std::vector<double> doubles(const json& j) {
    std::vector<double> v;
    for (const json& x : j) v.push_back(x.get<double>());
    return v;
}

// RFC 4180 fields of one line: quoted fields may hold commas and doubled quotes.
std::vector<std::string> csv_fields(const std::string& line) {
    std::vector<std::string> fields(1);
    bool quoted = false;
    for (std::size_t i = 0; i < line.size(); ++i) {
        const char c = line[i];
        if (quoted && c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
            fields.back() += '"';
            ++i;
        } else if (c == '"') {
            quoted = !quoted;
        } else if (c == ',' && !quoted) {
            fields.emplace_back();
        } else {
            fields.back() += c;
        }
    }
    return fields;
}

ModelSpec awkward_spec(int inputs) {
    ModelSpec spec;
    spec.inputs = inputs;
    spec.trunk = {8};
    spec.tasks = synthetic_tasks();
    spec.tasks[0].name = awkward;
    spec.tasks[2].name = "tab\there";
    return spec;
}

std::vector<int> first_rows(int n) {
    std::vector<int> rows(static_cast<std::size_t>(n));
    std::iota(rows.begin(), rows.end(), 0);
    return rows;
}

// One step's trace of a HydaLearn trainer, and what inspect() reports for the same batch
// on an identical copy of the model (the trace is written from the same statistics).
std::pair<std::string, Introspection> traced_step(TraceFormat format, OddStream& stream) {
    const Dataset<double> data = make_synthetic<double>(SyntheticSpec{});
    Model<double> model(awkward_spec(data.features), 3), twin = model;
    auto strategy = make_strategy("hydalearn", 3, 0);
    TrainOptions opt;
    opt.trace = &stream.os;
    opt.trace_format = format;
    opt.trace_full_gram = true;
    Trainer<double> traced(model, *strategy, opt);
    traced.step(data, first_rows(32));
    opt.trace = nullptr;
    Trainer<double> inspected(twin, *strategy, opt);
    return {stream.os.str(), inspected.inspect(data, first_rows(32))};
}

}  // namespace

TEST_CASE("Introspection::write_json escapes names, writes non-finite numbers as null, numbers round-trip", "[trainer]") {
    constexpr double nan = std::numeric_limits<double>::quiet_NaN(), inf = std::numeric_limits<double>::infinity();
    Introspection r;
    r.tasks = {awkward, "line\nbreak\x01", "ünïcode"};
    r.losses = {0.1, 1.0 / 3, 5e-324, -2.5e300};
    r.gains = {nan, inf, -inf, 0.30000000000000004};
    r.gram = {1, 2, 3};
    r.shared_parameters = {"trunk0.W"};
    r.task_gradients = {{2.0 / 3, -1e-17}, {}};
    OddStream out;
    r.write_json(out.os);
    out.check_state_kept();
    const json j = json::parse(out.os.str());  // throws (fails the test) if invalid
    CHECK(j["tasks"].get<std::vector<std::string>>() == r.tasks);
    CHECK(doubles(j["losses"]) == r.losses);  // bitwise
    CHECK(j["gains"][0].is_null());
    CHECK(j["gains"][1].is_null());
    CHECK(j["gains"][2].is_null());
    CHECK(j["gains"][3].get<double>() == 0.30000000000000004);
    CHECK(doubles(j["gram"]) == r.gram);
    CHECK(j["sample_weights"].empty());
    CHECK(doubles(j["task_gradients"][0]) == r.task_gradients[0]);
    CHECK(j["task_gradients"][1].empty());
}

TEST_CASE("write_json of a real batch reads back exactly", "[trainer]") {
    const Dataset<float> data = make_synthetic<float>(SyntheticSpec{});
    Model<float> model(awkward_spec(data.features), 1);
    auto strategy = make_strategy("hydalearn", 3, 0);
    Trainer<float> trainer(model, *strategy, TrainOptions{});
    const Introspection r = trainer.inspect(data, first_rows(40));
    OddStream out;
    r.write_json(out.os);
    out.check_state_kept();
    const json j = json::parse(out.os.str());
    CHECK(j["tasks"].get<std::vector<std::string>>() == r.tasks);
    CHECK(doubles(j["losses"]) == r.losses);
    CHECK(doubles(j["gram"]) == r.gram);
    CHECK(doubles(j["gains"]) == r.gains);
    CHECK(doubles(j["coefficients"]) == r.coefficients);
    CHECK(doubles(j["grad_norms"]) == r.grad_norms);
    for (std::size_t k = 0; k < 3; ++k) CHECK(doubles(j["task_gradients"][k]) == r.task_gradients[k]);
}

TEST_CASE("the JSON Lines trace parses back with exact values", "[trainer]") {
    OddStream out;
    const auto [trace, r] = traced_step(TraceFormat::jsonl, out);
    out.check_state_kept();
    const json j = json::parse(trace);
    CHECK(j["step"] == 0);
    CHECK(doubles(j["losses"]) == r.losses);
    CHECK(doubles(j["coefficients"]) == r.coefficients);
    CHECK(doubles(j["gains"]) == r.gains);
    CHECK(doubles(j["grad_norms"]) == r.grad_norms);
    CHECK(doubles(j["gram"]) == r.gram);
}

TEST_CASE("the CSV trace quotes awkward task names and its numbers read back exactly", "[trainer]") {
    OddStream out;
    const auto [trace, r] = traced_step(TraceFormat::csv, out);
    out.check_state_kept();
    std::istringstream lines(trace);
    std::string header, row;
    std::getline(lines, header);
    std::getline(lines, row);
    CHECK_THAT(header, Catch::StartsWith("step,epoch,\"loss_a\"\"b\\c,d\",loss_related,loss_tab\there,"));
    const std::vector<std::string> names = csv_fields(header), cells = csv_fields(row);
    REQUIRE(names.size() == 2 + 4 * 3 + 9);
    REQUIRE(cells.size() == names.size());
    CHECK(names[2] == "loss_" + awkward);
    CHECK(names[names.size() - 9] == "G_" + awkward + "_" + awkward);
    std::vector<double> expected = r.losses;
    for (const auto* v : {&r.coefficients, &r.gains, &r.grad_norms, &r.gram}) expected.insert(expected.end(), v->begin(), v->end());
    for (std::size_t i = 0; i < expected.size(); ++i) {
        INFO(names[i + 2] << " = " << cells[i + 2]);
        CHECK(std::strtod(cells[i + 2].c_str(), nullptr) == expected[i]);  // bitwise
    }
}
