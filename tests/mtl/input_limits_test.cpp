// The CSV limits (CsvLimits: 16 MiB a field, 65536 fields a record) on inputs far past
// them: a 100 MB field and a record of a million fields, made on demand by a streambuf,
// so that no test holds them. Each gives a DataError naming the source, the line and the
// limit, after the reader has taken at most the limit and one buffer of the input.
#include <catch2/catch.hpp>

#include <algorithm>
#include <array>
#include <cstdint>
#include <istream>
#include <iterator>
#include <string>
#include <vector>

#include "data_error_of.hpp"
#include "hyda/mtl/csv.hpp"
#include "hyda/mtl/table.hpp"

using namespace hyda::mtl;
using hyda::test::data_error_of;

namespace {

// The bytes head, then `count` times unit, then tail, made as the reader asks for them.
class GeneratedInput : public std::streambuf {
public:
    GeneratedInput(std::string head, const std::string& unit, std::uint64_t count, std::string tail)
        : head_(std::move(head)), tail_(std::move(tail)), period_(unit.size()), body_end_(head_.size() + unit.size() * count) {
        // Whole units, a chunk and one unit long: a run of the body starting anywhere in
        // a unit fills a chunk from it in one copy.
        while (units_.size() < chunk_.size() + period_) units_ += unit;
    }

    std::uint64_t size() const { return body_end_ + tail_.size(); }
    // The bytes handed out so far: made, less those still in the get area.
    std::uint64_t consumed() const { return made_ - std::uint64_t(egptr() - gptr()); }

protected:
    int_type underflow() override {
        std::size_t n = 0;
        while (n < chunk_.size() && made_ < size()) {
            // The part made_ is in, where in it, and how many of its bytes follow.
            const char* from;
            std::uint64_t left;
            if (made_ < head_.size()) {
                from = head_.data() + made_, left = head_.size() - made_;
            } else if (made_ < body_end_) {
                const std::uint64_t offset = (made_ - head_.size()) % period_;
                from = units_.data() + offset, left = std::min<std::uint64_t>(units_.size() - offset, body_end_ - made_);
            } else {
                from = tail_.data() + (made_ - body_end_), left = size() - made_;
            }
            const auto take = std::size_t(std::min<std::uint64_t>(left, chunk_.size() - n));
            std::copy_n(from, take, chunk_.data() + n);
            n += take, made_ += take;
        }
        setg(chunk_.data(), chunk_.data(), chunk_.data() + n);
        return n == 0 ? traits_type::eof() : traits_type::to_int_type(chunk_[0]);
    }

private:
    std::string head_, tail_, units_;
    std::uint64_t period_, body_end_, made_ = 0;
    std::array<char, 4096> chunk_{};
};

const CsvLimits kDefaults;
constexpr std::uint64_t kReaderBuffer = 1 << 16;  // CsvReader's (csv.hpp)

// Reads every record of the input with a CsvReader whose header names the fields.
void read_records(GeneratedInput& input, const std::string& source, std::vector<std::string>& fields) {
    std::istream in(&input);
    CsvReader reader(in, source);
    if (!reader.next(fields)) return;
    reader.name_fields(fields);
    while (reader.next(fields)) {
    }
}

}  // namespace

TEST_CASE("limits: a 100 MB field is refused after 16 MiB of it, naming the file, line, column and limit", "[data][limits]") {
    const std::uint64_t field = 100'000'000;
    for (const std::string open : {"", "\""}) {  // unquoted; quoted (as an unterminated quote would be)
        const std::string head = "a,b\n1," + open;
        SECTION("CsvReader" + open) {
            GeneratedInput input(head, "x", field, open + "\n");
            std::vector<std::string> fields;
            const DataError e = data_error_of([&] { read_records(input, "big.csv", fields); });
            CHECK(e.file() == "big.csv");
            CHECK(e.line() == 2);
            CHECK(e.column() == "b");
            CHECK_THAT(e.what(), Catch::StartsWith("big.csv:2: column 'b': a field longer than 16777216 bytes"));
            if (!open.empty()) CHECK_THAT(e.what(), Catch::EndsWith("(an unterminated quote?)"));
            // Bounded: the limit and one buffer read, and the field's string at most twice the limit.
            CHECK(input.consumed() <= head.size() + kDefaults.max_field_bytes + kReaderBuffer);
            CHECK(input.consumed() > kDefaults.max_field_bytes);
            REQUIRE(fields.size() == 2);
            CHECK(fields[1].capacity() <= 2 * kDefaults.max_field_bytes);
        }
        SECTION("read_table" + open) {
            GeneratedInput input(head, "x", field, open + "\n");
            std::istream in(&input);
            const DataError e = data_error_of([&] { read_table(in, "big.csv"); });
            CHECK_THAT(e.what(), Catch::StartsWith("big.csv:2: column 'b': a field longer than 16777216 bytes"));
            CHECK(input.consumed() <= head.size() + kDefaults.max_field_bytes + kReaderBuffer);
        }
    }
}

TEST_CASE("limits: a record of a million fields is refused at field 65537, naming the file, line and limit", "[data][limits]") {
    const std::uint64_t count = 1'000'000;
    for (const std::string head : {"", "a,b\n"}) {  // the header; a record after it
        const std::int64_t line = head.empty() ? 1 : 2;
        SECTION("CsvReader, line " + std::to_string(line)) {
            GeneratedInput input(head, "1,", count, "1\n");
            std::vector<std::string> fields;
            const DataError e = data_error_of([&] { read_records(input, "wide.csv", fields); });
            CHECK(e.file() == "wide.csv");
            CHECK(e.line() == line);
            CHECK(e.what() == "wide.csv:" + std::to_string(line) + ": a record of more than 65536 fields");
            CHECK(fields.size() <= kDefaults.max_fields);
            CHECK(input.consumed() <= head.size() + 2 * (kDefaults.max_fields + 1) + kReaderBuffer);
        }
        SECTION("read_table, line " + std::to_string(line)) {
            GeneratedInput input(head, "1,", count, "1\n");
            std::istream in(&input);
            const DataError e = data_error_of([&] { read_table(in, "wide.csv"); });
            CHECK(e.what() == "wide.csv:" + std::to_string(line) + ": a record of more than 65536 fields");
            CHECK(input.consumed() <= head.size() + 2 * (kDefaults.max_fields + 1) + kReaderBuffer);
        }
    }
    SECTION("empty fields: a million commas") {
        GeneratedInput input("", ",", count, "\n");
        std::istream in(&input);
        CHECK_THAT(data_error_of([&] { read_table(in, "commas.csv"); }).what(), Catch::Equals("commas.csv:1: a record of more than 65536 fields"));
        CHECK(input.consumed() <= kDefaults.max_fields + 1 + kReaderBuffer);
    }
}

TEST_CASE("limits: the generated input is what it says, and at the limits it reads", "[data][limits]") {
    // The streambuf itself, on a small input read whole.
    GeneratedInput small("h,", "ab", 3, "!\n");
    std::istream in(&small);
    std::string all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    CHECK(all == "h,ababab!\n");
    CHECK(small.consumed() == all.size());
    // A field of exactly the limit, and a record of exactly the limit's fields, read.
    GeneratedInput field("a\n", "x", kDefaults.max_field_bytes, "\n");
    std::vector<std::string> fields;
    read_records(field, "edge.csv", fields);
    CHECK(fields.at(0).size() == kDefaults.max_field_bytes);
    GeneratedInput wide("", "1,", kDefaults.max_fields - 1, "1\n");
    read_records(wide, "edge.csv", fields);
    CHECK(fields.size() == kDefaults.max_fields);
}
