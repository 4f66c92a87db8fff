// CsvReader and append_csv_field: every RFC 4180 case, line numbers (also across line
// breaks inside quotes), and the errors with the line they name. Records that cross the
// reader's 64 KiB buffer are checked against the writer over random text.
#include <catch2/catch.hpp>

#include <sstream>

#include "data_error_of.hpp"
#include "hyda/autodiff/random.hpp"
#include "hyda/mtl/csv.hpp"

using namespace hyda::mtl;
using hyda::test::data_error_of;
using Records = std::vector<std::vector<std::string>>;

namespace {

struct Read {
    Records records;
    std::vector<std::int64_t> lines;  // where each record starts
};

Read read_all(const std::string& text, CsvLimits limits = {}) {
    std::istringstream in(text);
    CsvReader reader(in, "t.csv", limits);
    Read out;
    std::vector<std::string> fields;
    while (reader.next(fields)) {
        out.records.push_back(fields);
        out.lines.push_back(reader.line());
    }
    return out;
}

}  // namespace

TEST_CASE("CsvReader: plain records with LF, and the last line without a line break", "[data]") {
    const Read r = read_all("a,b,c\n1,2,3\nx,,z");
    CHECK(r.records == Records{{"a", "b", "c"}, {"1", "2", "3"}, {"x", "", "z"}});
    CHECK(r.lines == std::vector<std::int64_t>{1, 2, 3});
}

TEST_CASE("CsvReader: CRLF line breaks, and a lone CR, end records", "[data]") {
    CHECK(read_all("a,b\r\n1,2\r\n").records == Records{{"a", "b"}, {"1", "2"}});
    CHECK(read_all("a,b\r1,2").records == Records{{"a", "b"}, {"1", "2"}});
    CHECK(read_all("a\r\n\r\nb\r\n").lines == std::vector<std::int64_t>{1, 2, 3});
}

TEST_CASE("CsvReader: quoted fields hold commas, doubled quotes and line breaks", "[data]") {
    const Read r = read_all("\"a,b\",\"say \"\"hi\"\"\",\"two\nlines\"\r\n\"\",\"crlf\r\ninside\",x\nnext,\"\"\"\",");
    CHECK(r.records == Records{{"a,b", "say \"hi\"", "two\nlines"}, {"", "crlf\r\ninside", "x"}, {"next", "\"", ""}});
    // The line breaks inside quotes count: the second record starts on line 3, the third on 5.
    CHECK(r.lines == std::vector<std::int64_t>{1, 3, 5});
}

TEST_CASE("CsvReader: a quote inside an unquoted field is text", "[data]") {
    CHECK(read_all("5'11\",x\n").records == Records{{"5'11\"", "x"}});
}

TEST_CASE("CsvReader: a UTF-8 byte-order mark at the start is skipped, elsewhere kept", "[data]") {
    CHECK(read_all("\xEF\xBB\xBF" "a,b\n1,2\n").records == Records{{"a", "b"}, {"1", "2"}});
    CHECK(read_all("\xEF\xBB\xBF\"q\",b\n").records == Records{{"q", "b"}});
    CHECK(read_all("a,\xEF\xBB\xBF\n").records == Records{{"a", "\xEF\xBB\xBF"}});
}

TEST_CASE("CsvReader: empty input, empty lines and trailing commas", "[data]") {
    CHECK(read_all("").records.empty());
    CHECK(read_all("\xEF\xBB\xBF").records.empty());
    CHECK(read_all("\n").records == Records{{""}});
    CHECK(read_all("a\n\nb\n").records == Records{{"a"}, {""}, {"b"}});
    CHECK(read_all(",\n").records == Records{{"", ""}});
}

TEST_CASE("CsvReader: errors name the source and the line", "[data]") {
    SECTION("an unterminated quote: the line where the field opened, and its column once named") {
        std::istringstream in("a,b\n1,\"open\n2,3\n4,5\n");
        CsvReader reader(in, "u.csv");
        std::vector<std::string> fields;
        REQUIRE(reader.next(fields));
        reader.name_fields(fields);
        const DataError e = data_error_of([&] { reader.next(fields); });
        CHECK(e.file() == "u.csv");
        CHECK(e.line() == 2);
        CHECK(e.column() == "b");
        CHECK_THAT(e.what(), Catch::StartsWith("u.csv:2: column 'b': unterminated quote"));
    }
    SECTION("text after a closing quote") {
        const DataError e = data_error_of([] { read_all("a\n\"x\"y,1\n"); });
        CHECK(e.line() == 2);
        CHECK_THAT(e.what(), Catch::Contains("'y' after the closing quote"));
    }
    SECTION("the limits") {
        CsvLimits limits;
        limits.max_field_bytes = 4;
        limits.max_fields = 3;
        CHECK(read_all("abcd,1,2\n", limits).records.size() == 1);
        CHECK(data_error_of([&] { read_all("x\nabcde\n", limits); }).line() == 2);
        CHECK_THAT(data_error_of([&] { read_all("\"abc\ndef", limits); }).what(), Catch::Contains("unterminated quote?"));
        const DataError wide = data_error_of([&] { read_all("1\n1,2,3,4\n", limits); });
        CHECK(wide.line() == 2);
        CHECK_THAT(wide.what(), Catch::Contains("more than 3 fields"));
    }
    SECTION("a NUL byte, quoted or not: the line and the column (a UTF-16 file is full of them)") {
        for (const std::string& field : {std::string("x\0y", 3), std::string("\"x\0y\"", 5)}) {
            std::istringstream in("a,b\n1,2\n3," + field + "\n");
            CsvReader reader(in, "n.csv");
            std::vector<std::string> fields;
            REQUIRE(reader.next(fields));
            reader.name_fields(fields);
            REQUIRE(reader.next(fields));
            const DataError e = data_error_of([&] { reader.next(fields); });
            CHECK(e.line() == 3);
            CHECK(e.column() == "b");
            CHECK_THAT(e.what(), Catch::Contains("NUL byte"));
        }
    }
    SECTION("a million columns: refused by the default limit, early") {
        std::string wide;
        for (int i = 0; i < 1000000; ++i) wide += "1,";
        wide += "1\n";
        const DataError e = data_error_of([&] { read_all(wide); });
        CHECK(e.line() == 1);
        CHECK_THAT(e.what(), Catch::Contains("more than 65536 fields"));
        CHECK(read_all(wide.substr(2 * (1000001 - 65536))).records.at(0).size() == 65536);
    }
    SECTION("a file that cannot be opened") {
        const DataError e = data_error_of([] { CsvReader reader("/nonexistent/dir/x.csv"); });
        CHECK(e.file() == "/nonexistent/dir/x.csv");
        CHECK(e.line() == 0);
    }
}

TEST_CASE("append_csv_field quotes only what needs it", "[data]") {
    auto field = [](std::string_view f) {
        std::string out;
        append_csv_field(out, f);
        return out;
    };
    CHECK(field("plain") == "plain");
    CHECK(field("") == "");
    CHECK(field("a,b") == "\"a,b\"");
    CHECK(field("say \"hi\"") == "\"say \"\"hi\"\"\"");
    CHECK(field("a\nb") == "\"a\nb\"");
    CHECK(field("a\rb") == "\"a\rb\"");
    CHECK(field(" lead") == "\" lead\"");
    CHECK(field("trail ") == "\"trail \"");
    CHECK(field("in side") == "in side");
    // A byte-order mark that begins a field: first in a file, a reader would skip it.
    CHECK(field("\xEF\xBB\xBFx") == "\"\xEF\xBB\xBFx\"");
    CHECK(field("x\xEF\xBB\xBF") == "x\xEF\xBB\xBF");
}

TEST_CASE("CsvReader reads back what append_csv_field writes, across buffer boundaries", "[data]") {
    // Random records of random fields drawn from an alphabet rich in the special
    // characters, about 600 KB in all: many records and fields cross the 64 KiB buffer's
    // edges, and one field is longer than the buffer.
    const std::string alphabet = "ab,\"\r\n x1";
    for (const std::string eol : {"\n", "\r\n"}) {
        hyda::ad::Rng rng(eol.size());
        Records records;
        std::vector<std::int64_t> lines;
        std::string text;
        std::int64_t line = 1;
        std::size_t counted = 0;  // text[0, counted) has been counted into line
        while (text.size() < 600000) {
            auto& record = records.emplace_back(1 + rng.below(6));
            for (std::string& f : record) {
                const std::size_t length = records.size() == 50 ? 100000 : rng.below(40);
                for (std::size_t i = 0; i < length; ++i) f += alphabet[rng.below(alphabet.size())];
            }
            // A record of one empty field would be written as an empty line, which reads
            // back as such; keep it, it is a case too.
            lines.push_back(line);
            for (std::size_t i = 0; i < record.size(); ++i) {
                if (i > 0) text += ',';
                append_csv_field(text, record[i]);
            }
            text += eol;
            // Count the line breaks as the reader must: CRLF, LF or a lone CR, each one.
            // The text ends in LF, so no CRLF straddles the counted part's end.
            for (; counted < text.size(); ++counted)
                if (text[counted] == '\n' || (text[counted] == '\r' && text[counted + 1] != '\n')) ++line;
        }
        const Read r = read_all(text);
        REQUIRE(r.records.size() == records.size());
        CHECK(r.records == records);
        CHECK(r.lines == lines);
    }
}
