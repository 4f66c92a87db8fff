// --order-by, --batch-groups and --batch-mix: the column's values reach the datasets, an
// epoch's batches follow them, and a value that cannot serve is bad data naming line and
// column; --mix-concentration sets how far batches mix.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>
#include <sstream>

#include "cli_test_support.hpp"
#include "data_setup.hpp"
#include "hyda/mtl/data_error.hpp"
#include "hyda/mtl/table.hpp"

using namespace cli_test;
using namespace hyda;
using Catch::Contains;

namespace {

// 200 rows: a key, `early` (text: yes where key < 0.25), features x1, x2, a main task y
// from x1, and an auxiliary `a` from x2 labelled only where key < 0.25 (empty elsewhere).
std::string keyed_csv() {
    ad::Rng rng(11);
    std::ostringstream csv;
    csv.precision(6);
    csv << "key,early,x1,x2,y,a\n";
    for (int i = 0; i < 200; ++i) {
        const double key = rng.uniform(), x1 = rng.normal(), x2 = rng.normal();
        csv << key << ',' << (key < 0.25 ? "yes" : "no") << ',' << x1 << ',' << x2 << ',' << (x1 + 0.5 * rng.normal() > 0 ? 1 : 0) << ',';
        if (key < 0.25) csv << (x2 > 0 ? 1 : 0);
        csv << '\n';
    }
    return csv.str();
}

// Per step of the first epoch of a traced run: does the batch hold a label of `a`?
// (A batch without one has loss 0 for it.)
std::vector<bool> labelled_steps(const std::string& trace_file) {
    const mtl::Table trace = mtl::read_table(trace_file);
    const auto& epoch = trace.columns[std::size_t(trace.column("epoch"))].numbers;
    const auto& loss = trace.columns[std::size_t(trace.column("loss_a"))].numbers;
    std::vector<bool> out;
    for (std::size_t i = 0; i < epoch.size() && epoch[i] == 0; ++i) out.push_back(loss[i] != 0);
    return out;
}

// 200 rows of groups g = 0 and 1 alternately, features x1, x2, a main task y from x1, and
// an auxiliary `a` from x2 labelled only in group 1.
std::string grouped_csv() {
    ad::Rng rng(12);
    std::ostringstream csv;
    csv.precision(6);
    csv << "g,x1,x2,y,a\n";
    for (int i = 0; i < 200; ++i) {
        const double x1 = rng.normal(), x2 = rng.normal();
        csv << i % 2 << ',' << x1 << ',' << x2 << ',' << (x1 + 0.5 * rng.normal() > 0 ? 1 : 0) << ',';
        if (i % 2 == 1) csv << (x2 > 0 ? 1 : 0);
        csv << '\n';
    }
    return csv.str();
}

}  // namespace

TEST_CASE("batching: --batch-mix draws each batch's group shares, --mix-concentration how evenly", "[cli]") {
    TempDir dir("batch_mix");
    write_file(dir / "data.csv", grouped_csv());
    // Steps (over 5 epochs of 12 batches of 10) whose batch holds no row of group 1: `a`'s
    // loss is 0 there.
    const auto steps_without_group_1 = [&](const std::vector<std::string>& extra, const std::string& name) {
        const Result r = run_hyda(std::vector<std::string>{"train", "--data", dir / "data.csv", "--main", "y=1", "--aux", "a=1", "--drop", "g", "--trunk", "4",
                                                           "--batch", "10", "--epochs", "5", "--patience", "0", "--quiet", "--method", "ew", "--trace",
                                                           dir / (name + ".csv"), "--out", dir / (name + ".json")} +
                                  extra);
        INFO(r.err);
        REQUIRE(r.code == 0);
        const mtl::Table trace = mtl::read_table(dir / (name + ".csv"));
        const auto& loss = trace.columns[std::size_t(trace.column("loss_a"))].numbers;
        REQUIRE(loss.size() == 60);
        return std::count(loss.begin(), loss.end(), 0.0);
    };
    // Shuffled, a batch of 10 misses a group with probability about 1 / 1000. Mixed with
    // a = 0.3, group 1's share is below 1/20 (no row of it) for about a fifth of the batches
    // (P(p < 0.05) = 0.23 for Beta(0.3, 0.3)), more once a group runs out late in an epoch.
    // With a = 1000, every batch is near half and half.
    CHECK(steps_without_group_1({}, "shuffled") <= 1);
    const auto mixed = steps_without_group_1({"--batch-mix", "g"}, "mixed");
    CHECK(mixed >= 6);
    CHECK(mixed <= 40);
    CHECK(steps_without_group_1({"--batch-mix", "g", "--mix-concentration", "1000"}, "even") <= 2);
    // The model file records the column and the concentration.
    const nlohmann::json training = training_record_json(dir / "even.json");
    CHECK(training["setup"]["batch_mix"] == "g");
    CHECK(training["setup"]["mix_concentration"] == 1000);
    // compare offers it too.
    const Result compare = run_hyda({"compare", "--data", dir / "data.csv", "--main", "y=1", "--drop", "g", "--trunk", "4", "--epochs", "1", "--methods", "ew",
                                     "--seeds", "1", "--quiet", "--batch-mix", "g", "--mix-concentration", "2"});
    INFO(compare.err);
    CHECK(compare.code == 0);
}

TEST_CASE("batching: --batch-mix and --mix-concentration usage errors, and a missing group is bad data", "[cli]") {
    TempDir dir("batch_mix_errors");
    write_file(dir / "data.csv", grouped_csv());
    const auto train = [&](const std::vector<std::string>& extra) {
        return run_hyda(std::vector<std::string>{"train", "--data", dir / "data.csv", "--main", "y=1", "--drop", "g", "--trunk", "4", "--epochs", "1",
                                                 "--quiet", "--out", dir / "m.json"} +
                        extra);
    };
    for (const auto& other : {std::vector<std::string>{"--batch-groups", "g"}, std::vector<std::string>{"--order-by", "x1"}}) {
        const Result r = train(std::vector<std::string>{"--batch-mix", "g"} + other);
        CHECK(r.code == 2);
        CHECK_THAT(r.err, Contains("--order-by, --batch-groups and --batch-mix: give at most one"));
    }
    const Result alone = train({"--mix-concentration", "0.5"});
    CHECK(alone.code == 2);
    CHECK_THAT(alone.err, Contains("--mix-concentration requires --batch-mix"));
    for (const char* bad : {"0", "-1"}) {
        const Result r = train({"--batch-mix", "g", "--mix-concentration", bad});
        CHECK(r.code == 2);
        CHECK_THAT(r.err, Contains("--mix-concentration: must be > 0"));
    }
    CHECK(train({"--batch-mix", "g", "--mix-concentration", "lots"}).code == 2);
    // The same column rules as --batch-groups: a missing field is bad data naming it.
    std::string csv = grouped_csv();
    csv.replace(csv.find("\n1,") + 1, 1, "");  // line 3 (the second row) loses its group
    write_file(dir / "data.csv", csv);
    const Result missing = train({"--batch-mix", "g"});
    CHECK(missing.code == 3);
    CHECK_THAT(missing.err, Contains("data.csv:3") && Contains("column 'g'") && Contains("--batch-mix needs a group in every row"));
}

TEST_CASE("batching: --order-by visits the rows in increasing key, --batch-groups one group per batch", "[cli]") {
    TempDir dir("order_by");
    write_file(dir / "data.csv", keyed_csv());
    const auto train = [&](const std::vector<std::string>& extra, const std::string& name) {
        const Result r = run_hyda(std::vector<std::string>{"train", "--data", dir / "data.csv", "--main", "y=1", "--aux", "a=1", "--drop", "key,early", "--trunk", "4",
                                                           "--batch", "10", "--epochs", "1", "--quiet", "--method", "ew", "--trace", dir / (name + ".csv"),
                                                           "--out", dir / (name + ".json")} +
                                  extra);
        INFO(r.err);
        REQUIRE(r.code == 0);
        return labelled_steps(dir / (name + ".csv"));
    };
    // About 30 of the 120 training rows have a label of `a`, all with the lowest keys: in
    // key order they fill the first batches and no later one.
    const std::vector<bool> ordered = train({"--order-by", "key"}, "ordered");
    REQUIRE(ordered.size() == 12);
    const auto first_unlabelled = std::size_t(std::find(ordered.begin(), ordered.end(), false) - ordered.begin());
    CHECK(first_unlabelled >= 2);
    CHECK(first_unlabelled <= 4);
    for (std::size_t i = first_unlabelled; i < ordered.size(); ++i) CHECK_FALSE(ordered[i]);
    // Shuffled, they are spread over the epoch (the check above would fail).
    const std::vector<bool> shuffled = train({}, "shuffled");
    CHECK(std::count(shuffled.begin() + 5, shuffled.end(), true) > 4);
    // Grouped by `early`, a batch holds labelled rows only or none: about 3 of 13 hold them.
    const std::vector<bool> grouped = train({"--batch-groups", "early"}, "grouped");
    REQUIRE(grouped.size() == 13);  // each group ends in a partial batch
    const auto grouped_labelled = std::count(grouped.begin(), grouped.end(), true);
    CHECK(grouped_labelled >= 2);
    CHECK(grouped_labelled <= 4);
    CHECK(grouped != ordered);  // the batches of the groups in shuffled order
    // The model file records the column.
    const nlohmann::json training = training_record_json(dir / "ordered.json");
    CHECK(training["setup"]["order_by"] == "key");
    CHECK(training["setup"]["batch_groups"] == "");
}

TEST_CASE("batching: the --order-by / --batch-groups column's values per part, groups from numbers or text", "[cli]") {
    std::istringstream in("id,k,g,t\n1,0.5,3,b\n2,-2,1,a\n3,7,3,c\n4,1e3,-4,a\n");
    const mtl::Table table = mtl::read_table(in, "mem.csv");
    const std::vector<int> rows = {3, 0, 2};
    CHECK(cli::order_keys(table, "k", rows) == std::vector<double>{1e3, 0.5, 7});
    CHECK(cli::batch_groups(table, "g", rows, "--batch-groups") == std::vector<int>{-4, 3, 3});
    // Text: the rank among the column's sorted texts (a, b, c), the same in every part.
    CHECK(cli::batch_groups(table, "t", rows, "--batch-groups") == std::vector<int>{0, 1, 2});
    CHECK(cli::batch_groups(table, "t", std::vector<int>{1}, "--batch-groups") == std::vector<int>{0});

    const auto data_error = [&](auto call, const std::string& what) {
        try {
            call();
            FAIL("accepted: " << what);
        } catch (const mtl::DataError& e) {
            CHECK_THAT(e.what(), Contains(what));
        }
    };
    data_error([&] { cli::order_keys(table, "t", rows); }, "mem.csv:5: column 't'");  // row 3 is line 5
    data_error([&] { cli::batch_groups(table, "k", rows, "--batch-mix"); }, "mem.csv:2: column 'k': --batch-mix needs integers");  // 1000 is an integer, 0.5 (line 2) not
    data_error([&] { cli::order_keys(table, "nosuch", rows); }, "nosuch");
}

TEST_CASE("batching: --order-by on a text column is bad data naming the line and column", "[cli]") {
    TempDir dir("order_by_text");
    std::string csv = keyed_csv();
    // Line 7's key becomes text.
    std::size_t at = 0;
    for (int line = 1; line < 7; ++line) at = csv.find('\n', at) + 1;
    csv.replace(at, csv.find(',', at) - at, "soon");
    write_file(dir / "data.csv", csv);
    const Result r = run_hyda({"compare", "--data", dir / "data.csv", "--main", "y=1", "--aux", "a=1", "--drop", "key,early", "--order-by", "key", "--methods", "ew",
                               "--seeds", "1", "--quiet"});
    CHECK(r.code == 3);
    CHECK_THAT(r.err, Contains("data.csv:7") && Contains("column 'key'") && Contains("soon"));
    CHECK(run_hyda({"train", "--data", dir / "data.csv", "--main", "y=1", "--order-by", "x1", "--batch-groups", "y", "--out", dir / "m.json"}).code == 2);
}
