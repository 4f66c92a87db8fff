// --on-nan: a training run whose loss overflows (a learning rate of 1e30 throws the
// parameters to ~1e30 in one Adam step) fails with stop, naming task and step, and writes
// no model file; the policy is recorded in the model file; a bad value is a usage error.
#include <catch2/catch.hpp>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "cli_test_support.hpp"

using namespace cli_test;
using Catch::Contains;

TEST_CASE("on-nan: stop fails with exit 1 naming the task and step, and writes no model", "[cli][nan]") {
    TempDir dir("on_nan");
    write_file(dir / "data.csv", small_csv(100));
    const auto train = [&](const std::vector<std::string>& extra) {
        return run_hyda(std::vector<std::string>{"train"} + small_task_options(dir / "data.csv") + std::vector<std::string>{"--quiet"} + extra);
    };
    const Result diverged = train({"--lr", "1e30", "--out", dir / "diverged.json"});  // --on-nan stop is the default
    CHECK(diverged.code == 1);
    CHECK_THAT(diverged.err, Contains("non-finite") && Contains("of task '") && Contains("at step ") && Contains("on_nan=stop"));
    CHECK(!std::filesystem::exists(dir / "diverged.json"));

    CHECK(train({"--on-nan", "later", "--out", dir / "m.json"}).code == 2);
    REQUIRE(train({"--on-nan", "skip", "--out", dir / "m.json"}).code == 0);
    CHECK(training_record_json(dir / "m.json")["setup"]["on_nan"] == "skip");
}
