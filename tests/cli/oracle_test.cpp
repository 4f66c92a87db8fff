// The oracle method and --relatedness: on synthetic data its trace shows each task's mean
// row weight max(0, relatedness) per batch; compare runs it beside the others; without
// --relatedness it is refused (exit 2), and a relatedness column that is not a number is
// bad data (exit 3).
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "cli_test_support.hpp"
#include "hyda/mtl/table.hpp"

using namespace cli_test;
using namespace hyda;
using Catch::Contains;

namespace {

std::string synth(const TempDir& dir, const std::string& setting) {
    const std::string file = dir / (setting + ".csv");
    const Result r = run_hyda({"synth", "--setting", setting, "--rows", "300", "--features", "4", "--seed", "2", "--out", file});
    INFO(r.err);
    REQUIRE(r.code == 0);
    return file;
}

// The synthetic tasks, the relatedness of both auxiliaries, and a quick model.
std::vector<std::string> oracle_options(const std::string& data) {
    return {"--data", data, "--main", "main=1", "--aux", "aux=1", "--aux", "noise=1", "--drop", "phase", "--relatedness", "aux=relatedness_aux",
            "--relatedness", "noise=relatedness_noise", "--trunk", "8", "--batch", "32", "--epochs", "2", "--quiet"};
}

const std::vector<double>& trace_column(const mtl::Table& trace, const std::string& name) {
    return trace.columns[std::size_t(trace.column(name))].numbers;
}

}  // namespace

TEST_CASE("oracle: train weights each auxiliary's rows by max(0, its relatedness); the trace shows the batch's mean weight", "[cli][oracle]") {
    TempDir dir("oracle_train");
    // subgroup: relatedness_aux is the row's group (0 or 1); harmful: -1 everywhere, weight 0.
    for (const std::string setting : {"subgroup", "harmful"}) {
        INFO(setting);
        const std::string data = synth(dir, setting);
        const Result r = run_hyda(std::vector<std::string>{"train"} + oracle_options(data) +
                                  std::vector<std::string>{"--method", "oracle", "--trace", dir / "trace.csv", "--out", dir / "m.json"});
        INFO(r.err);
        REQUIRE(r.code == 0);
        const mtl::Table trace = mtl::read_table(dir / "trace.csv");
        const auto& main = trace_column(trace, "coef_main");
        const auto& aux = trace_column(trace, "coef_aux");
        const auto& noise = trace_column(trace, "coef_noise");
        REQUIRE(aux.size() > 4);
        CHECK(std::all_of(main.begin(), main.end(), [](double c) { return c == 1; }));
        CHECK(std::all_of(noise.begin(), noise.end(), [](double c) { return c == 0; }));
        const auto [low, high] = std::minmax_element(aux.begin(), aux.end());
        if (setting == "harmful") {
            CHECK(*high == 0);
        } else {  // a batch's share of group-1 rows: inside (0, 1), and not the same in every batch
            CHECK(*low > 0);
            CHECK(*high < 1);
            CHECK(*low < *high);
        }
        // The relatedness columns are no inputs; the record keeps the option.
        for (const auto& f : hyda::mtl::load_model(dir / "m.json").preprocessor.features) CHECK(f.column.rfind("relatedness", 0) != 0);
        const nlohmann::json training = training_record_json(dir / "m.json");
        CHECK(training.at("method").at("oracle") == true);
        CHECK(training.at("data").at("relatedness").size() == 2);
    }
}

TEST_CASE("oracle: compare runs it beside ew, its options pass to equal weights, and --help lists it", "[cli][oracle]") {
    TempDir dir("oracle_compare");
    const std::string data = synth(dir, "subgroup");
    const Result r = run_hyda(std::vector<std::string>{"compare"} + oracle_options(data) +
                              std::vector<std::string>{"--methods", "ew,oracle,oracle:heads=own", "--seeds", "2", "--out", dir / "out"});
    INFO(r.err);
    REQUIRE(r.code == 0);
    const mtl::Table results = mtl::read_table(dir / "out/results.csv");
    REQUIRE(results.rows() == 6);
    CHECK(results.columns[0].text(0) == "ew");
    CHECK(results.columns[0].text(2) == "oracle");
    CHECK(results.columns[0].text(4) == "oracle:heads=own");
    CHECK(results.columns[2].numbers[0] != results.columns[2].numbers[2]);  // the row weights change the run
    // Its weights move with the batches (ew's do not): it gets weight plots.
    CHECK(std::filesystem::exists(dir / "out/weights_per_step_oracle.gp"));
    CHECK_FALSE(std::filesystem::exists(dir / "out/weights_per_step_ew.gp"));
    CHECK_THAT(run_hyda({"compare", "--help"}).out, Contains("oracle") && Contains("--relatedness"));
}

TEST_CASE("oracle: without --relatedness, or with one that names no auxiliary task, is a usage error", "[cli][oracle]") {
    TempDir dir("oracle_usage");
    const std::string data = synth(dir, "related");
    const std::vector<std::string> tasks = {"--data", data, "--main", "main=1", "--aux", "aux=1", "--aux", "noise=1", "--quiet"};
    const Result compare = run_hyda(std::vector<std::string>{"compare"} + tasks + std::vector<std::string>{"--methods", "ew,oracle"});
    CHECK(compare.code == 2);
    CHECK_THAT(compare.err, Contains("method 'oracle' needs --relatedness"));
    const Result train = run_hyda(std::vector<std::string>{"train"} + tasks + std::vector<std::string>{"--method", "oracle", "--out", dir / "m.json"});
    CHECK(train.code == 2);
    CHECK_THAT(train.err, Contains("--relatedness"));
    for (const auto& [option, why] : std::vector<std::pair<std::string, std::string>>{{"main=relatedness_aux", "main task"},
                                                                                       {"nosuch=relatedness_aux", "no auxiliary task 'nosuch'"},
                                                                                       {"aux", "expected TASK=COLUMN"},
                                                                                       {"aux=noise", "is a target"},
                                                                                       {"aux=relatedness_aux,aux=phase", "given twice"}}) {
        INFO(option);
        const Result r = run_hyda(std::vector<std::string>{"compare"} + tasks + std::vector<std::string>{"--methods", "oracle", "--relatedness", option});
        CHECK(r.code == 2);
        CHECK_THAT(r.err, Contains("--relatedness") && Contains(why));
    }
    CHECK_FALSE(std::filesystem::exists(dir / "m.json"));
}

TEST_CASE("oracle: a relatedness column that is not a number is bad data naming the file, line and column", "[cli][oracle]") {
    TempDir dir("oracle_data");
    write_file(dir / "data.csv", small_csv(60));
    const Result r = run_hyda(std::vector<std::string>{"compare"} + small_task_options(dir / "data.csv") +
                              std::vector<std::string>{"--relatedness", "score=color", "--methods", "oracle", "--seeds", "1", "--quiet"});
    CHECK(r.code == 3);
    CHECK_THAT(r.err, Contains("data.csv:2") && Contains("color") && Contains("--relatedness needs a finite number"));
}

TEST_CASE("oracle: weights that change per batch but average the same every epoch still get their plots", "[cli][oracle]") {
    TempDir dir("oracle_pure");
    const std::string data = synth(dir, "subgroup");
    // Each batch from one group: the oracle's weight for aux is 1 or 0 per batch, and every
    // epoch has the same batches of each group, so its mean per epoch never changes.
    const Result r = run_hyda(std::vector<std::string>{"compare"} + oracle_options(data) +
                              std::vector<std::string>{"--batch-groups", "group", "--methods", "ew,oracle", "--seeds", "1", "--out", dir / "out"});
    INFO(r.err);
    REQUIRE(r.code == 0);
    CHECK(std::filesystem::exists(dir / "out/weights_per_step_oracle.gp"));
    CHECK(std::filesystem::exists(dir / "out/weights_per_epoch_oracle.gp"));
    CHECK_FALSE(std::filesystem::exists(dir / "out/weights_per_step_ew.gp"));
}
