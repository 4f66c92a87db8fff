// stratified_split and stratified_split_rows: a partition of the rows; per stratum exactly
// the documented counts (so each class keeps its share in every part); deciles for a
// regression main; seeded.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>
#include <sstream>

#include "data_error_of.hpp"
#include "hyda/autodiff/random.hpp"
#include "hyda/mtl/preprocess.hpp"

using namespace hyda::mtl;
using hyda::test::data_error_of;

namespace {

Table table_of(const std::string& text) {
    std::istringstream in(text);
    return read_table(in, "t.csv");
}

// A table whose column "y" has the given number of rows per value ("" = missing), in a
// shuffled order, and whose column "v" holds the row's index.
Table classes(const std::map<std::string, int>& counts, std::uint64_t seed) {
    std::vector<std::string> values;
    for (const auto& [value, n] : counts) values.insert(values.end(), std::size_t(n), value);
    hyda::ad::Rng rng(seed);
    hyda::ad::shuffle(values.begin(), values.end(), rng);
    std::string csv = "v,y\n";
    for (std::size_t i = 0; i < values.size(); ++i) csv += std::to_string(i) + ',' + values[i] + '\n';
    return table_of(csv);
}

void check_partition(const std::array<std::vector<int>, 3>& parts, int rows) {
    std::vector<int> all;
    for (const auto& part : parts) {
        CHECK(std::is_sorted(part.begin(), part.end()));
        all.insert(all.end(), part.begin(), part.end());
    }
    std::sort(all.begin(), all.end());
    std::vector<int> expected(static_cast<std::size_t>(rows));
    std::iota(expected.begin(), expected.end(), 0);
    CHECK(all == expected);
}

}  // namespace

TEST_CASE("stratified_split: every class keeps its share, to the rounding, over seeds", "[data]") {
    const std::map<std::string, int> counts = {{"good", 940}, {"bad", 51}, {"odd", 7}, {"one", 1}, {"", 13}};
    const double train = 0.6, validation = 0.25;
    for (std::uint64_t seed = 1; seed <= 8; ++seed) {
        const Table t = classes(counts, seed);
        const auto parts = stratified_split(t, parse_target("y=bad"), train, validation, seed);
        check_partition(parts, t.rows());
        const Column& y = t.columns[1];
        for (const auto& [value, n] : counts) {
            int in[3] = {0, 0, 0};
            for (int k = 0; k < 3; ++k)
                for (int r : parts[std::size_t(k)]) in[k] += y.text(std::size_t(r)) == value;
            const long first = std::lround(train * n), second = std::lround((train + validation) * n) - first;
            CHECK(in[0] == first);
            CHECK(in[1] == second);
            CHECK(in[2] == n - first - second);
        }
    }
}

TEST_CASE("stratified_split: seeded, and different seeds draw different splits", "[data]") {
    const Table t = classes({{"a", 300}, {"b", 100}}, 1);
    const TargetSpec main = parse_target("y=a");
    CHECK(stratified_split(t, main, 0.6, 0.2, 5) == stratified_split(t, main, 0.6, 0.2, 5));
    CHECK(stratified_split(t, main, 0.6, 0.2, 5)[0] != stratified_split(t, main, 0.6, 0.2, 6)[0]);
}

TEST_CASE("stratified_split: a regression main is stratified on the deciles of its value", "[data]") {
    // Values 0 .. 199 in shuffled rows, two missing: each decile (20 rows) puts 10 in
    // train, 6 in validation and 4 in test.
    std::vector<int> values(200);
    for (int i = 0; i < 200; ++i) values[std::size_t(i)] = i;
    hyda::ad::Rng rng(9);
    hyda::ad::shuffle(values.begin(), values.end(), rng);
    std::string csv = "r\nNA\n";
    for (int v : values) csv += std::to_string(v) + '\n';
    csv += "NA\n";
    const Table t = table_of(csv);
    for (std::uint64_t seed = 1; seed <= 4; ++seed) {
        const auto parts = stratified_split(t, parse_target("r:logregression"), 0.5, 0.3, seed);
        check_partition(parts, t.rows());
        for (std::size_t k = 0; k < 3; ++k) {
            int per_decile[10] = {};
            int missing = 0;
            for (int r : parts[k]) {
                const Column& c = t.columns[0];
                if (c.is_missing(std::size_t(r))) ++missing;
                else ++per_decile[int(c.numbers[std::size_t(r)]) / 20];
            }
            for (int n : per_decile) CHECK(n == std::vector<int>{10, 6, 4}[k]);
            CHECK(missing == std::vector<int>{1, 1, 0}[k]);  // round(0.5 * 2) = 1, round(0.8 * 2) - 1 = 1
        }
    }
}

TEST_CASE("stratified_split: bad fractions and an unknown main column", "[data]") {
    const Table t = classes({{"a", 10}}, 1);
    const TargetSpec main = parse_target("y=a");
    CHECK_THROWS_AS(stratified_split(t, main, 0, 0.2, 1), std::invalid_argument);
    CHECK_THROWS_AS(stratified_split(t, main, 0.6, -0.1, 1), std::invalid_argument);
    CHECK_THROWS_AS(stratified_split(t, main, 0.9, 0.2, 1), std::invalid_argument);
    CHECK(stratified_split(t, main, 1, 0, 1)[0].size() == 10);
    const DataError e = data_error_of([&] { stratified_split(t, parse_target("Class=bad"), 0.6, 0.2, 1); });
    CHECK(e.column() == "Class");
}

TEST_CASE("stratified_split: a main without a kind is stratified as fit decides its kind", "[data]") {
    // "r" (no kind) holds 200 distinct numbers, so fit makes it a regression: the split
    // must use its deciles. Taken as text, every row would be a class of its own, and the
    // rounding of a class of 1 row puts every row in train.
    std::string csv = "r\n";
    for (int i = 0; i < 200; ++i) csv += std::to_string(i * 7 % 200) + ".5\n";
    const Table t = table_of(csv);
    const auto parts = stratified_split(t, parse_target("r"), 0.6, 0.2, 1);
    check_partition(parts, t.rows());
    CHECK(parts == stratified_split(t, parse_target("r:regression"), 0.6, 0.2, 1));
    CHECK(parts[1].size() == 40);
    // A kind-less 0/1 column is binary, as fit decides; its strata are its two values.
    const Table b = classes({{"0", 30}, {"1", 10}}, 2);
    CHECK(stratified_split(b, parse_target("y"), 0.6, 0.2, 3) == stratified_split(b, parse_target("y=1"), 0.6, 0.2, 3));
}

TEST_CASE("stratified_split: a class of 1, 2 or 3 rows leaves a part without it", "[data]") {
    // The documented rounding per class, with the default fractions: 1 row -> train;
    // 2 -> train, validation; 3 -> 2 train, 1 test; from 4 rows on each part has one.
    const Table t = classes({{"big", 100}, {"c1", 1}, {"c2", 2}, {"c3", 3}, {"c4", 4}}, 4);
    const auto parts = stratified_split(t, parse_target("y=big"), 0.6, 0.2, 5);
    const Column& y = t.columns[1];
    auto count = [&](std::size_t part, const std::string& value) {
        return std::count_if(parts[part].begin(), parts[part].end(), [&](int r) { return y.text(std::size_t(r)) == value; });
    };
    const std::map<std::string, std::array<long, 3>> expected = {{"c1", {1, 0, 0}}, {"c2", {1, 1, 0}}, {"c3", {2, 0, 1}}, {"c4", {2, 1, 1}}};
    for (const auto& [value, n] : expected)
        for (std::size_t k = 0; k < 3; ++k) CHECK(count(k, value) == n[k]);
}

TEST_CASE("stratified_split_rows: exact part sizes, each class in proportion, rounded", "[data]") {
    // Classes of 60, 30 and 10 rows, 50 / 20 / 30: each part holds 60%, 30%, 10% of a class.
    const Table t = classes({{"a", 60}, {"b", 30}, {"c", 10}}, 6);
    const Column& y = t.columns[1];
    for (std::uint64_t seed = 0; seed < 5; ++seed) {
        const auto parts = stratified_split_rows(t, parse_target("y=a"), 50, 20, seed);
        check_partition(parts, 100);
        const std::vector<std::vector<int>> want = {{30, 15, 5}, {12, 6, 2}, {18, 9, 3}};
        for (std::size_t p = 0; p < 3; ++p)
            for (std::size_t c = 0; c < 3; ++c) {
                const std::string value(1, char('a' + c));
                CHECK(std::count_if(parts[p].begin(), parts[p].end(), [&](int r) { return y.text(std::size_t(r)) == value; }) == want[p][c]);
            }
    }
    // Uneven quotas, by hand: a (7 rows) at 1/14, 3/14, ..., 13/14, b (3 rows) at 1/6, 3/6,
    // 5/6. In order: a 1/14, b 1/6, a 3/14, a 5/14, a 7/14 (train: a 4, b 1; a's 7/14 before
    // b's tie 3/6, its stratum comes first), b 3/6, a 9/14 (validation), a, b, a (test).
    const Table u = classes({{"a", 7}, {"b", 3}}, 7);
    const auto parts = stratified_split_rows(u, parse_target("y=a"), 5, 2, 3);
    const Column& uy = u.columns[1];
    auto count = [&](std::size_t p, const std::string& v) {
        return std::count_if(parts[p].begin(), parts[p].end(), [&](int r) { return uy.text(std::size_t(r)) == v; });
    };
    CHECK(count(0, "a") == 4);
    CHECK(count(0, "b") == 1);
    CHECK(count(1, "a") == 1);
    CHECK(count(1, "b") == 1);
    CHECK(parts[2].size() == 3);
    // Seeded: which rows of a class go where follows the seed, as in stratified_split.
    const TargetSpec main = parse_target("y=a");
    CHECK(stratified_split_rows(t, main, 50, 20, 5) == stratified_split_rows(t, main, 50, 20, 5));
    CHECK(stratified_split_rows(t, main, 50, 20, 5)[0] != stratified_split_rows(t, main, 50, 20, 6)[0]);
    // The same shuffle as stratified_split: fractions that round to the same counts per
    // class give the same parts.
    CHECK(stratified_split_rows(t, main, 50, 20, 5) == stratified_split(t, main, 0.5, 0.2, 5));
}

TEST_CASE("stratified_split_rows: too few rows is bad data, bad counts an invalid argument", "[data]") {
    const Table t = classes({{"a", 6}, {"b", 4}}, 1);
    const TargetSpec main = parse_target("y=a");
    CHECK(stratified_split_rows(t, main, 6, 3, 1)[2].size() == 1);  // 6 + 3 + 1 = 10 rows: just enough
    const DataError e = data_error_of([&] { stratified_split_rows(t, main, 6, 4, 1); });
    CHECK(e.file() == "t.csv");
    CHECK_THAT(e.what(), Catch::Contains("need at least 11 rows") && Catch::Contains("the file has 10"));
    CHECK_THROWS_AS(stratified_split_rows(t, main, 0, 2, 1), std::invalid_argument);
    CHECK_THROWS_AS(stratified_split_rows(t, main, 2, -1, 1), std::invalid_argument);
}
