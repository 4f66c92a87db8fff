// The exit codes: 0 success (and --help), 2 usage errors, 3 bad data with a message that
// names the file and line.
#include <catch2/catch.hpp>

#include "cli_test_support.hpp"

using namespace cli_test;
using Catch::Contains;

TEST_CASE("help: --help lists the commands, their options with defaults, and the exit codes", "[cli]") {
    const Result top = run_hyda({"--help"});
    CHECK(top.code == 0);
    for (const char* word : {"train", "predict", "eval", "compare", "inspect", "synth", "Exit codes"}) CHECK_THAT(top.out, Contains(word));
    const Result train = run_hyda({"train", "--help"});
    CHECK(train.code == 0);
    for (const char* word : {"--lr", "0.001", "--trunk", "--patience", "--method", "hydalearn", "--split", "--threads", "--arch", "--experts",
                             "--task-experts", "--levels"})
        CHECK_THAT(train.out, Contains(word));
    const Result compare = run_hyda({"compare", "--help"});
    CHECK(compare.code == 0);
    for (const char* word : {"--order-by", "--batch-groups", "--batch-mix", "--mix-concentration", "--split-rows", "--quiet"}) CHECK_THAT(compare.out, Contains(word));
}

TEST_CASE("usage errors exit with 2", "[cli]") {
    TempDir dir("usage");
    write_file(dir / "data.csv", small_csv(100));
    const auto train = [&](const std::vector<std::string>& extra) {
        return run_hyda(std::vector<std::string>{"train"} + small_task_options(dir / "data.csv") + std::vector<std::string>{"--out", dir / "m.json", "--quiet"} + extra);
    };
    CHECK(run_hyda({}).code == 2);  // no command
    CHECK(run_hyda({"frobnicate"}).code == 2);
    CHECK(train({"--no-such-option"}).code == 2);
    CHECK(train({"--activation", "sigmoidal"}).code == 2);
    CHECK(train({"--batch", "0"}).code == 2);
    const Result method = train({"--method", "nosuch"});
    CHECK(method.code == 2);
    CHECK_THAT(method.err, Contains("unknown method 'nosuch'") && Contains("hydalearn"));
    const Result option = train({"--method-opt", "gain=sideways"});
    CHECK(option.code == 2);
    CHECK_THAT(option.err, Contains("gain"));
    CHECK(train({"--split", "0.9,0.5"}).code == 2);
    CHECK(train({"--type", "x1=text"}).code == 2);
    CHECK(train({"--arch", "moe"}).code == 2);
    CHECK(train({"--arch", "ple", "--levels", "0"}).code == 2);
    // An architecture option the architecture does not read, and SLGrad beside experts.
    for (const auto& [extra, message] : {std::pair{std::vector<std::string>{"--experts", "3"}, "--experts: only with --arch mmoe, cgc or ple"},
                                         std::pair{std::vector<std::string>{"--arch", "mmoe", "--task-experts", "2"}, "--task-experts: only with --arch cgc or ple"},
                                         std::pair{std::vector<std::string>{"--arch", "cgc", "--levels", "2"}, "--levels: only with --arch ple"},
                                         std::pair{std::vector<std::string>{"--arch", "ple", "--method", "slgrad"}, "method 'slgrad' needs --arch hps"}}) {
        const Result r = train(extra);
        CHECK(r.code == 2);
        CHECK_THAT(r.err, Contains(message));
    }
    CHECK(run_hyda({"compare", "--data", dir / "data.csv", "--main", "label=yes", "--arch", "mmoe", "--methods", "ew,slgrad"}).code == 2);
    CHECK(run_hyda({"compare", "--data", dir / "data.csv", "--main", "label=yes", "--methods", "ew,ew"}).code == 2);
    CHECK_FALSE(std::filesystem::exists(dir / "m.json"));  // no run got as far as saving
}

TEST_CASE("bad data exits with 3 and names the file, line and column", "[cli]") {
    TempDir dir("bad_data");
    std::string text = small_csv(50);
    // A ragged record on line 5 (the header is line 1).
    std::size_t at = 0;
    for (int line = 1; line < 5; ++line) at = text.find('\n', at) + 1;
    text.insert(text.find('\n', at), ",extra");
    write_file(dir / "ragged.csv", text);
    const Result ragged = run_hyda({"train", "--data", dir / "ragged.csv", "--main", "label=yes", "--out", dir / "m.json", "--quiet"});
    CHECK(ragged.code == 3);
    CHECK_THAT(ragged.err, Contains("ragged.csv:5"));

    write_file(dir / "data.csv", small_csv(50));
    const Result column = run_hyda({"train", "--data", dir / "data.csv", "--main", "nosuch=1", "--out", dir / "m.json", "--quiet"});
    CHECK(column.code == 3);
    CHECK_THAT(column.err, Contains("data.csv") && Contains("nosuch"));

    const Result missing = run_hyda({"train", "--data", dir / "absent.csv", "--main", "label=yes", "--out", dir / "m.json", "--quiet"});
    CHECK(missing.code == 3);
    CHECK_THAT(missing.err, Contains("absent.csv"));

    write_file(dir / "corrupt.model", "\x89HYDA\r\n\x1a\x02");
    const Result model = run_hyda({"eval", "--model", dir / "corrupt.model", "--data", dir / "data.csv"});
    CHECK(model.code == 3);
    CHECK_THAT(model.err, Contains("corrupt.model") && Contains("truncated"));
}

TEST_CASE("usage and data errors read as sentences, and come before the work", "[cli]") {
    TempDir dir("messages");
    write_file(dir / "data.csv", small_csv(100));
    const auto train = [&](const std::vector<std::string>& extra) {
        return run_hyda(std::vector<std::string>{"train"} + small_task_options(dir / "data.csv") + std::vector<std::string>{"--quiet"} + extra);
    };
    // Range checks name the bound, not the type's whole range.
    const Result threads = train({"--out", dir / "m.json", "--threads", "0"});
    CHECK(threads.code == 2);
    CHECK_THAT(threads.err, Contains("hyda: --threads: must be at least 1, got 0"));
    CHECK(train({"--out", dir / "m.json", "--seed", "-1"}).code == 2);  // no silent wrap to 2^64 - 1
    CHECK(train({"--out", dir / "m.json", "--epochs", "0"}).code == 2);
    const Result unknown = run_hyda({"frobnicate"});
    CHECK_THAT(unknown.err, Contains("unknown command 'frobnicate'"));
    // A model file that cannot be saved is refused before training (no progress, no metrics).
    const Result folder = run_hyda(std::vector<std::string>{"train"} + small_task_options(dir / "data.csv") +
                                   std::vector<std::string>{"--out", dir / "no/such/m.json"});
    CHECK(folder.code == 2);
    CHECK(folder.out.empty());
    CHECK_THAT(folder.err, Contains("--out") && !Contains("epoch"));
    // A validation part with one class of the main task: bad data naming the file and column.
    std::string rare = "x,y\n";
    for (int i = 0; i < 40; ++i) rare += std::to_string(i) + (i == 3 ? ",1\n" : ",0\n");
    write_file(dir / "rare.csv", rare);
    const Result one_class = run_hyda({"train", "--data", dir / "rare.csv", "--main", "y=1", "--out", dir / "r.json", "--quiet"});
    CHECK(one_class.code == 3);
    CHECK_THAT(one_class.err, Contains("rare.csv") && Contains("column 'y'") && Contains("validation part"));
    // A damaged model file: what is wrong with it, after its name.
    REQUIRE(train({"--out", dir / "m.model"}).code == 0);
    const std::string model = read_file(dir / "m.model");
    write_file(dir / "cut.model", model.substr(0, model.size() / 2));
    const Result cut = run_hyda({"predict", "--model", dir / "cut.model", "--data", dir / "data.csv"});
    CHECK(cut.code == 3);
    CHECK_THAT(cut.err, Contains("hyda: bad data: ") && Contains("cut.model: truncated: the file has"));
}
