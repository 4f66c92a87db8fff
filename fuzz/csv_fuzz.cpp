// Fuzz target for everything that parses a user's CSV text: CsvReader record by record
// (with the default limits, with tiny ones so that short inputs reach the limit checks,
// and across a refill of its buffer), read_table, write_table's round trip, and what a
// training run does next with the table (Preprocessor::fit and transform,
// stratified_split). DataError and std::invalid_argument are how bad data is refused;
// any other exception, a crash, a sanitizer report or a broken property below is a
// finding.
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <numeric>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "hyda/mtl/csv.hpp"
#include "hyda/mtl/data_error.hpp"
#include "hyda/mtl/preprocess.hpp"
#include "hyda/mtl/table.hpp"

using namespace hyda::mtl;

namespace {

[[noreturn]] void finding(const std::string& what) {
    std::fprintf(stderr, "csv_fuzz: %s\n", what.c_str());
    std::abort();
}

// Every record CsvReader reads from `text` and the line it starts on, then the line of
// the DataError that stopped it, if one did.
struct Records {
    std::vector<std::vector<std::string>> fields;
    std::vector<std::int64_t> lines;
    std::optional<std::int64_t> error_line;
};

Records read_records(const std::string& text, const CsvLimits& limits) {
    std::istringstream in(text);
    CsvReader reader(in, "fuzz.csv", limits);
    Records out;
    std::vector<std::string> fields;
    try {
        while (reader.next(fields)) {
            if (fields.empty() || fields.size() > limits.max_fields) finding("a record of " + std::to_string(fields.size()) + " fields");
            for (const std::string& f : fields)
                if (f.size() > limits.max_field_bytes) finding("a field of " + std::to_string(f.size()) + " bytes");
            if (!out.lines.empty() && reader.line() <= out.lines.back()) finding("record lines do not increase");
            out.fields.push_back(fields);
            out.lines.push_back(reader.line());
        }
    } catch (const DataError& e) {
        out.error_line = e.line();
    }
    return out;
}

// The same text after one long record that fills the reader's first buffer (64 KiB,
// csv.hpp) up to the middle of the text, so that the buffer refills there: the same
// records after that one, or the same error, each a line later. Without a byte-order
// mark, which only the start of the input may have.
void check_buffer_refill(const std::string& text, const Records& plain) {
    const std::size_t first = (std::size_t(1) << 16) - text.size() / 2;
    const bool bom = text.starts_with("\xEF\xBB\xBF");
    const Records shifted = read_records(std::string(first - 1, 'x') + '\n' + text.substr(bom ? 3 : 0), CsvLimits{});
    bool same = shifted.fields.size() == plain.fields.size() + 1 && shifted.error_line.has_value() == plain.error_line.has_value() &&
                (!plain.error_line || *shifted.error_line == *plain.error_line + 1);
    for (std::size_t r = 0; same && r < plain.fields.size(); ++r)
        same = shifted.fields[r + 1] == plain.fields[r] && shifted.lines[r + 1] == plain.lines[r] + 1;
    if (!same) finding("the records differ when the reader's buffer refills at byte " + std::to_string(text.size() / 2));
}

// The table read_table gives for `text`, or nullopt for a DataError.
std::optional<Table> read(const std::string& text) {
    std::istringstream in(text);
    try {
        return read_table(in, "fuzz.csv");
    } catch (const DataError&) {
        return std::nullopt;
    }
}

bool same_fields(const Table& a, const Table& b) {
    if (a.columns.size() != b.columns.size() || a.rows() != b.rows()) return false;
    for (std::size_t c = 0; c < a.columns.size(); ++c) {
        if (a.columns[c].name != b.columns[c].name) return false;
        for (std::size_t r = 0; r < std::size_t(a.rows()); ++r)
            if (a.columns[c].text(r) != b.columns[c].text(r) || a.columns[c].is_missing(r) != b.columns[c].is_missing(r))
                return false;
    }
    return true;
}

// What write_table writes, read_table reads back as the same table (texts per field).
void check_round_trip(const Table& table) {
    std::ostringstream out;
    write_table(out, table);
    const std::optional<Table> back = read(out.str());
    if (!back || !same_fields(table, *back)) finding("write_table's output reads back as another table:\n" + out.str());
}

// The last column the main target and, in a table of 3 columns or more, the first an
// auxiliary one, both of the kind fit() decides; every row trains.
void preprocess(const Table& table) {
    if (table.columns.size() < 2) return;
    DataSpec spec;
    spec.targets.emplace_back().column = table.columns.back().name;
    if (table.columns.size() >= 3) spec.targets.emplace_back().column = table.columns.front().name;
    std::vector<int> rows(std::size_t(table.rows()));
    std::iota(rows.begin(), rows.end(), 0);
    const auto parts = stratified_split(table, spec.targets[0], 0.6, 0.2, 1);
    if (parts[0].size() + parts[1].size() + parts[2].size() != rows.size()) finding("the split loses or adds rows");
    const Preprocessor p = Preprocessor::fit(table, spec, rows);
    const Dataset<float> d = p.transform<float>(table, rows);
    if (d.x.size() != rows.size() * std::size_t(p.inputs()) || d.labels.size() != spec.targets.size()) finding("transform's shapes");
    // The training rows' own encoding: standardized numbers, one-hot levels, indicators.
    for (const float v : d.x)
        if (!std::isfinite(v)) finding("a feature encoded as " + std::to_string(v));
    for (const std::vector<float>& labels : d.labels)
        for (const float v : labels)
            if (std::isinf(v)) finding("a label encoded as " + std::to_string(v));
    p.transform<double>(table, parts[2], false);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string text(reinterpret_cast<const char*>(data), size);
    check_buffer_refill(text, read_records(text, CsvLimits{}));
    read_records(text, CsvLimits{8, 4});
    const std::optional<Table> table = read(text);
    if (!table) return 0;
    check_round_trip(*table);
    try {
        preprocess(*table);
    } catch (const DataError&) {
    } catch (const std::invalid_argument&) {
    }
    return 0;
}
