// --split-rows: exact train and validation row counts, the test part the rest, recorded in
// the model file so that --part re-derives the same rows; refused beside --split, with
// bad counts (usage) or too few rows in the file (bad data).
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "cli_test_support.hpp"
#include "data_setup.hpp"
#include "hyda/mtl/table.hpp"

using namespace cli_test;
using namespace hyda;
using Catch::Contains;

TEST_CASE("split rows: --split-rows exact part sizes, recorded, and re-derived by --part", "[cli]") {
    TempDir dir("split_rows");
    write_file(dir / "data.csv", small_csv(100));
    const Result r = run_hyda(std::vector<std::string>{"train"} + small_task_options(dir / "data.csv") +
                              std::vector<std::string>{"--split-rows", "40,25", "--out", dir / "m.json", "--quiet"});
    INFO(r.err);
    REQUIRE(r.code == 0);
    CHECK(training_record_json(dir / "m.json")["data"]["split_rows"] == nlohmann::json({40, 25}));
    for (const auto& [part, rows] : {std::pair{"train", 40}, std::pair{"validation", 25}, std::pair{"test", 35}}) {
        const Result eval = run_hyda({"eval", "--model", dir / "m.json", "--data", dir / "data.csv", "--part", part, "--json"});
        INFO(part << ": " << eval.err);
        REQUIRE(eval.code == 0);
        CHECK(nlohmann::json::parse(eval.out)["rows"] == rows);
    }
    // The rows are the library's count-based split of the file, with the run's seed.
    const mtl::Table table = mtl::read_table(dir / "data.csv");
    cli::DataOptions o;
    o.main = "label=yes";
    o.split_counts = {40, 25};
    const cli::Parts parts = cli::split_rows(table, o, 1);
    CHECK(parts == mtl::stratified_split_rows(table, mtl::parse_target("label=yes"), 40, 25, 1));
    CHECK(parts[2].size() == 35);
}

TEST_CASE("split rows: --split-rows refused beside --split, with bad counts, and on a file too small", "[cli]") {
    TempDir dir("split_rows_errors");
    write_file(dir / "data.csv", small_csv(100));
    const auto train = [&](const std::vector<std::string>& extra) {
        return run_hyda(std::vector<std::string>{"train"} + small_task_options(dir / "data.csv") + std::vector<std::string>{"--out", dir / "m.json", "--quiet"} + extra);
    };
    const Result both = train({"--split-rows", "40,20", "--split", "0.5,0.2"});
    CHECK(both.code == 2);
    CHECK_THAT(both.err, Contains("--split-rows") && Contains("--split"));
    CHECK(train({"--split-rows", "40"}).code == 2);
    const Result zero = train({"--split-rows", "0,20"});
    CHECK(zero.code == 2);
    CHECK_THAT(zero.err, Contains("--split-rows: need TRAIN,VALIDATION row counts with TRAIN >= 1"));
    CHECK(train({"--split-rows", "40,-1"}).code == 2);
    CHECK(train({"--split-rows", "forty,20"}).code == 2);
    // 100 rows: 80 + 20 leaves no test row; 80 + 19 leaves one.
    const Result small = train({"--split-rows", "80,20"});
    CHECK(small.code == 3);
    CHECK_THAT(small.err, Contains("data.csv") && Contains("need at least 101 rows") && Contains("the file has 100"));
    CHECK(train({"--split-rows", "80,19"}).code == 0);
    // compare takes it too.
    const Result compare = run_hyda({"compare", "--data", dir / "data.csv", "--main", "label=yes", "--drop", "id,score,grade", "--trunk", "4", "--epochs", "1",
                                     "--methods", "ew", "--seeds", "1", "--quiet", "--split-rows", "90,20"});
    CHECK(compare.code == 3);
}
