// The CSV limits through the command's data loading: a field past 16 MiB and a record of
// more than 65536 fields are bad data (exit 3), named by file, line and limit, before any
// training (tests/mtl/input_limits_test.cpp checks the reader's memory on 100 MB).
#include <catch2/catch.hpp>

#include "cli_test_support.hpp"

using namespace cli_test;
using Catch::Contains;

namespace {

// head, `count` copies of `unit` (written a MiB at a time), then tail.
void write_repeated(const std::string& path, const std::string& head, const std::string& unit, std::size_t count, const std::string& tail) {
    std::ofstream out(path, std::ios::binary);
    out << head;
    std::string block;
    while (block.size() < (std::size_t(1) << 20)) block += unit;
    const std::size_t per_block = block.size() / unit.size();
    for (std::size_t left = count; left > 0;) {
        const std::size_t n = std::min(left, per_block);
        out.write(block.data(), std::streamsize(n * unit.size()));
        left -= n;
    }
    out << tail;
}

}  // namespace

TEST_CASE("limits: the command refuses a 16 MiB field and a record of 65537 fields as bad data", "[cli][limits]") {
    TempDir dir("limits");
    const std::vector<std::string> task = {"--main", "label=yes", "--out", dir / "m.json", "--quiet"};

    write_repeated(dir / "long.csv", "x,label\n1,yes\n2,", "n", (std::size_t(1) << 24) + 1, "\n3,no\n");
    const Result field = run_hyda(std::vector<std::string>{"train", "--data", dir / "long.csv"} + task);
    CHECK(field.code == 3);
    CHECK_THAT(field.err, Contains(dir / "long.csv" + ":3: column 'label': a field longer than 16777216 bytes"));

    write_repeated(dir / "wide.csv", "x,label\n1,yes\n", "0,", 65536, "no\n");
    const Result wide = run_hyda(std::vector<std::string>{"train", "--data", dir / "wide.csv"} + task);
    CHECK(wide.code == 3);
    CHECK_THAT(wide.err, Contains(dir / "wide.csv" + ":3: a record of more than 65536 fields"));
    CHECK(wide.out.empty());
    CHECK_FALSE(std::filesystem::exists(dir / "m.json"));
}

TEST_CASE("limits: a categorical column of more distinct values than --max-levels is bad data, named", "[cli][limits]") {
    TempDir dir("levels");
    {
        std::ofstream out(dir / "ids.csv");
        out << "id,x,label\n";
        for (int i = 0; i < 40; ++i) out << "u" << i << ',' << i % 7 << ',' << (i % 3 ? "yes" : "no") << '\n';
    }
    const std::vector<std::string> base = {"train", "--data", dir / "ids.csv", "--main", "label=yes", "--epochs", "1", "--out", dir / "m.model", "--quiet"};
    // 40 rows, 24 of them training rows, each with its own id: over a limit of 20.
    const Result refused = run_hyda(base + std::vector<std::string>{"--max-levels", "20"});
    CHECK(refused.code == 3);
    CHECK_THAT(refused.err, Contains("column 'id'") && Contains("more than the limit of 20"));
    CHECK_FALSE(std::filesystem::exists(dir / "m.model"));
    // The default limit (1000) takes it, and so does dropping the column under the small one.
    CHECK(run_hyda(base).code == 0);
    CHECK(run_hyda(base + std::vector<std::string>{"--max-levels", "20", "--drop", "id"}).code == 0);
}
