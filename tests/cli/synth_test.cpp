// hyda synth: the CSV it writes, and the compare command it suggests run on it (with the
// batching that setting calls for).
#include <catch2/catch.hpp>

#include <sstream>

#include "cli_test_support.hpp"
#include "hyda/mtl/table.hpp"

using namespace cli_test;
using Catch::Contains;

namespace {

std::vector<std::string> column_names(const hyda::mtl::Table& t) {
    std::vector<std::string> names;
    for (const auto& c : t.columns) names.push_back(c.name);
    return names;
}

// The command synth suggests on stderr, as words, without its leading "hyda".
std::vector<std::string> suggested_command(const std::string& err) {
    const auto start = err.find("hyda compare");
    REQUIRE(start != std::string::npos);
    std::istringstream in(err.substr(start, err.find('\n', start) - start));
    std::vector<std::string> words;
    for (std::string w; in >> w;) words.push_back(w);
    return {words.begin() + 1, words.end()};
}

// Runs the suggested compare, with its methods and seeds replaced by 2 x 2 and a small
// model, and checks results.csv has one row per run.
void run_suggested(const TempDir& dir, const std::string& setting, const std::string& batching) {
    const std::string file = dir / (setting + ".csv");
    const Result synth = run_hyda({"synth", "--setting", setting, "--rows", "500", "--features", "4", "--seed", "2", "--out", file});
    INFO(synth.err);
    REQUIRE(synth.code == 0);
    std::vector<std::string> command = suggested_command(synth.err);
    CHECK(std::find(command.begin(), command.end(), batching) != command.end());
    // "... --methods stl,ew,hydalearn,oracle --seeds 10" ends it.
    REQUIRE(command.size() > 4);
    CHECK(command[command.size() - 4] == "--methods");
    command.resize(command.size() - 4);
    const Result compare = run_hyda(command + std::vector<std::string>{"--methods", "ew,hydalearn", "--seeds", "2", "--trunk", "8", "--batch", "32", "--epochs", "3",
                                                                       "--out", dir / (setting + "_out"), "--quiet"});
    INFO(compare.err);
    REQUIRE(compare.code == 0);
    CHECK(compare.err.empty());  // --quiet
    const hyda::mtl::Table results = hyda::mtl::read_table(dir / (setting + "_out/results.csv"));
    CHECK(results.rows() == 4);
    CHECK(results.columns[0].text(0) == "ew");
    CHECK(results.columns[0].text(3) == "hydalearn");
}

}  // namespace

TEST_CASE("synth: writes the documented columns, the same file for the same seed", "[cli]") {
    TempDir dir("synth");
    const auto synth = [&](const std::string& seed, const std::string& out) {
        return run_hyda({"synth", "--setting", "drift", "--rows", "50", "--features", "3", "--seed", seed, "--out", out});
    };
    const Result a = synth("7", dir / "a.csv");
    INFO(a.err);
    REQUIRE(a.code == 0);
    CHECK(a.out.empty());
    CHECK_THAT(a.err, Contains("--order-by phase") && Contains("--drop phase --relatedness aux=relatedness_aux --relatedness noise=relatedness_noise"));
    CHECK_FALSE(std::filesystem::exists(dir / "a.csv.tmp"));
    const hyda::mtl::Table table = hyda::mtl::read_table(dir / "a.csv");
    CHECK(table.rows() == 50);
    CHECK(column_names(table) ==
          std::vector<std::string>{"x1", "x2", "x3", "group", "phase", "main", "aux", "noise", "relatedness_aux", "relatedness_noise"});
    for (const auto& c : table.columns) CHECK(c.all_numbers());
    for (const char* binary : {"group", "main", "aux", "noise"})
        for (const double v : table.columns[std::size_t(table.column(binary))].numbers) CHECK((v == 0 || v == 1));

    REQUIRE(synth("7", dir / "b.csv").code == 0);
    CHECK(read_file(dir / "a.csv") == read_file(dir / "b.csv"));
    REQUIRE(synth("8", dir / "c.csv").code == 0);
    CHECK(read_file(dir / "a.csv") != read_file(dir / "c.csv"));
    const Result stdout_run = synth("7", "-");  // the same text on stdout
    REQUIRE(stdout_run.code == 0);
    CHECK(stdout_run.out == read_file(dir / "a.csv"));
}

TEST_CASE("synth: the suggested batching per setting; bad values are usage errors", "[cli]") {
    TempDir dir("synth_usage");
    const Result subgroup = run_hyda({"synth", "--setting", "subgroup", "--rows", "10", "--out", dir / "s.csv"});
    REQUIRE(subgroup.code == 0);
    CHECK_THAT(subgroup.err, Contains("--batch-mix group") && Contains("--relatedness aux=relatedness_aux") && Contains("oracle"));
    CHECK_THAT(subgroup.err, !Contains("--order-by"));
    const Result related = run_hyda({"synth", "--setting", "related", "--rows", "10", "--out", dir / "r.csv", "--quiet"});
    REQUIRE(related.code == 0);
    CHECK(related.err.empty());

    const Result unknown = run_hyda({"synth", "--setting", "sideways", "--rows", "10", "--out", dir / "u.csv"});
    CHECK(unknown.code == 2);
    CHECK_THAT(unknown.err, Contains("sideways") && Contains("related") && Contains("drift_late") && Contains("subgroup"));
    CHECK(run_hyda({"synth", "--setting", "drift", "--drift-start", "0.5", "--drift-end", "0.2", "--out", dir / "d.csv"}).code == 2);
    CHECK(run_hyda({"synth", "--setting", "related", "--features", "1", "--out", dir / "f.csv"}).code == 2);
    const Result window = run_hyda({"synth", "--setting", "related", "--drift-start", "0.5", "--out", dir / "w.csv"});
    CHECK(window.code == 2);
    CHECK_THAT(window.err, Contains("drift settings"));
    CHECK_FALSE(std::filesystem::exists(dir / "u.csv"));
    CHECK_FALSE(std::filesystem::exists(dir / "d.csv"));
}

TEST_CASE("synth: compare runs as suggested on drift (--order-by phase) and subgroup (--batch-mix group)", "[cli]") {
    TempDir dir("synth_compare");
    run_suggested(dir, "drift", "--order-by");
    run_suggested(dir, "subgroup", "--batch-mix");
}
