// read_table and write_table: what each field becomes (number, level, missing), the
// errors with the file, line and column they name, and the round trip.
#include <catch2/catch.hpp>

#include <cmath>
#include <sstream>

#include "data_error_of.hpp"
#include "hyda/autodiff/random.hpp"
#include "hyda/mtl/table.hpp"

using namespace hyda::mtl;
using hyda::test::data_error_of;

namespace {

Table table_of(const std::string& text, const TableOptions& options = {}) {
    std::istringstream in(text);
    return read_table(in, "t.csv", options);
}

}  // namespace

TEST_CASE("read_table: numbers, levels and missing fields per column", "[data]") {
    const Table t = table_of("\xEF\xBB\xBF" "id,x,c\r\n1,1.50,red\r\n2,,\"blue, dark\"\r\n3,NA,red\r\n4,-2e3,NA\r\n5,abc,\r\n");
    REQUIRE(t.rows() == 5);
    REQUIRE(t.columns.size() == 3);
    CHECK(t.columns[0].name == "id");  // the BOM is not part of the first name
    CHECK(t.lines == std::vector<std::int64_t>{2, 3, 4, 5, 6});
    const Column& x = t.columns[1];
    CHECK(x.numbers[0] == 1.5);
    CHECK(x.numbers[3] == -2000);
    CHECK(x.is_missing(1));
    CHECK(x.is_missing(2));
    CHECK_FALSE(x.is_number(4));
    CHECK(x.levels == std::vector<std::string>{"abc"});
    CHECK(x.codes == std::vector<std::int32_t>{-1, -1, -1, -1, 0});  // codes from the first level on
    CHECK_FALSE(x.all_numbers());
    CHECK(x.text(0) == "1.5");
    CHECK(x.text(1) == "");
    CHECK(x.text(4) == "abc");
    const Column& c = t.columns[2];
    CHECK(c.levels == std::vector<std::string>{"red", "blue, dark"});  // order of appearance
    CHECK(c.codes == std::vector<std::int32_t>{0, 1, 0, -1, -1});
    CHECK(t.columns[0].all_numbers());
    CHECK(t.columns[0].codes.empty());  // a column of numbers keeps no codes
    CHECK(t.columns[0].code(3) == -1);
}

TEST_CASE("read_table: a number is the whole field, finite, as std::from_chars reads it", "[data]") {
    const Table t = table_of("v\n1e3\n0.25\n-0\n+1\n 1\n1 \n0x10\ninf\nnan\n12abc\n");
    const Column& v = t.columns[0];
    CHECK(v.numbers[0] == 1000);
    CHECK(v.numbers[1] == 0.25);
    CHECK(v.is_number(2));
    CHECK(v.levels == std::vector<std::string>{"+1", " 1", "1 ", "0x10", "inf", "nan", "12abc"});
}

TEST_CASE("read_table: the missing tokens are an option", "[data]") {
    TableOptions options;
    options.missing = {"?"};
    const Table t = table_of("a,b\n?,NA\n", options);
    CHECK(t.columns[0].is_missing(0));
    CHECK(t.columns[1].levels == std::vector<std::string>{"NA"});
}

TEST_CASE("read_table: blank lines are skipped, except as a missing field of a one-column table", "[data]") {
    const Table t = table_of("\n\na,b\n1,2\n\n3,4\n\n");
    CHECK(t.rows() == 2);
    CHECK(t.lines == std::vector<std::int64_t>{4, 6});
    const Table one = table_of("a\n1\n\n2\n");
    CHECK(one.rows() == 3);
    CHECK(one.columns[0].is_missing(1));
}

TEST_CASE("read_table: a header without rows is a table of no rows", "[data]") {
    const Table t = table_of("a,b\n");
    CHECK(t.rows() == 0);
    CHECK(t.columns.size() == 2);
}

TEST_CASE("read_table: errors name the file, the line and the column", "[data]") {
    SECTION("an empty file") {
        for (const std::string text : {"", "\n\n", "\xEF\xBB\xBF"}) {
            const DataError e = data_error_of([&] { table_of(text); });
            CHECK(e.file() == "t.csv");
            CHECK(e.line() == 0);
            CHECK_THAT(e.what(), Catch::StartsWith("t.csv: the file is empty"));
        }
    }
    SECTION("a record with fewer fields than the header: the first column it lacks") {
        const DataError e = data_error_of([] { table_of("a,b,c\n1,2,3\n4,5\n"); });
        CHECK(e.line() == 3);
        CHECK(e.column() == "c");
        CHECK(std::string(e.what()) == "t.csv:3: column 'c': the record ends before this column: 2 fields where the header has 3");
    }
    SECTION("a record with more fields than the header") {
        const DataError e = data_error_of([] { table_of("a,b\n1,2\n\"x\ny\",2,3\n"); });
        CHECK(e.line() == 3);
        CHECK(std::string(e.what()) == "t.csv:3: a record of 3 fields where the header has 2");
    }
    SECTION("an unterminated quote: where it opened, and its column") {
        const DataError e = data_error_of([] { table_of("a,b\n1,2\n3,\"4\n5,6\n"); });
        CHECK(e.line() == 3);
        CHECK(e.column() == "b");
        CHECK_THAT(e.what(), Catch::StartsWith("t.csv:3: column 'b': unterminated quote"));
    }
    SECTION("an empty or duplicate column name") {
        const DataError empty = data_error_of([] { table_of("a,,c\n1,2,3\n"); });
        CHECK(empty.line() == 1);
        CHECK_THAT(empty.what(), Catch::Contains("column 2 of the header has no name"));
        const DataError twice = data_error_of([] { table_of("\na,b,a\n1,2,3\n"); });
        CHECK(twice.line() == 2);
        CHECK(twice.column() == "a");
        CHECK_THAT(twice.what(), Catch::Contains("columns 1 and 3"));
    }
    SECTION("an unknown column: the columns there are") {
        const Table t = table_of("a,b\n1,2\n");
        CHECK(t.find("b") == 1);
        CHECK_FALSE(t.find("c"));
        const DataError e = data_error_of([&] { t.column("c"); });
        CHECK(e.column() == "c");
        CHECK(std::string(e.what()) == "t.csv: column 'c': no such column (the columns are: a, b)");
    }
    SECTION("a file that does not exist") {
        CHECK(data_error_of([] { read_table("/nonexistent/x.csv"); }).file() == "/nonexistent/x.csv");
    }
}

TEST_CASE("write_table then read_table gives the same table", "[data]") {
    // Random fields: numbers (some that print shorter than they were written), levels with
    // the characters CSV must quote, and missing fields.
    const std::vector<std::string> texts = {"1.50", "-3", "2e-300", "0.1", "red", "a,b", "say \"x\"", "two\nlines", " pad ", "NA", ""};
    hyda::ad::Rng rng(7);
    std::string csv = "num,\"odd, name\",text\n";
    for (int r = 0; r < 200; ++r) {
        for (int c = 0; c < 3; ++c) {
            if (c > 0) csv += ',';
            append_csv_field(csv, texts[rng.below(texts.size())]);
        }
        csv += '\n';
    }
    const Table t = table_of(csv);
    std::ostringstream out;
    write_table(out, t);
    const Table back = table_of(out.str());
    REQUIRE(back.rows() == t.rows());
    REQUIRE(back.columns.size() == t.columns.size());
    for (std::size_t c = 0; c < t.columns.size(); ++c) {
        CHECK(back.columns[c].name == t.columns[c].name);
        CHECK(back.columns[c].levels == t.columns[c].levels);
        CHECK(back.columns[c].codes == t.columns[c].codes);
        for (std::size_t r = 0; r < std::size_t(t.rows()); ++r) {
            CHECK(back.columns[c].is_missing(r) == t.columns[c].is_missing(r));
            if (t.columns[c].is_number(r)) CHECK(back.columns[c].numbers[r] == t.columns[c].numbers[r]);
        }
    }
    // Written again, the text is the same: write_table is a fixed point after one pass.
    std::ostringstream again;
    write_table(again, back);
    CHECK(again.str() == out.str());
}
