// Fuzz target for everything that parses a user's CSV text: CsvReader record by record
// (with the default limits, and with tiny ones so that short inputs reach the limit
// checks), read_table, write_table's round trip, and what a training run does next with
// the table (Preprocessor::fit and transform, stratified_split). DataError and
// std::invalid_argument are how bad data is refused; any other exception, a crash, a
// sanitizer report or a broken property below is a finding.
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <numeric>
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

void read_records(const std::string& text, const CsvLimits& limits) {
    std::istringstream in(text);
    CsvReader reader(in, "fuzz.csv", limits);
    std::vector<std::string> fields;
    std::int64_t last_line = 0;
    while (reader.next(fields)) {
        if (fields.empty() || fields.size() > limits.max_fields) finding("a record of " + std::to_string(fields.size()) + " fields");
        for (const std::string& f : fields)
            if (f.size() > limits.max_field_bytes) finding("a field of " + std::to_string(f.size()) + " bytes");
        if (reader.line() <= last_line) finding("record lines do not increase");
        last_line = reader.line();
    }
}

// What write_table writes, read_table reads back as the same table (texts per field).
void check_round_trip(const Table& table) {
    std::ostringstream out;
    write_table(out, table);
    std::istringstream in(out.str());
    Table back;
    try {
        back = read_table(in, "written.csv");
    } catch (const DataError& e) {
        finding(std::string("write_table's output does not read back: ") + e.what());
    }
    if (back.columns.size() != table.columns.size() || back.rows() != table.rows())
        finding("write_table's output reads back with another shape:\n" + out.str());
    for (std::size_t c = 0; c < table.columns.size(); ++c) {
        const Column &a = table.columns[c], &b = back.columns[c];
        if (a.name != b.name) finding("column " + std::to_string(c) + " reads back as '" + b.name + "', not '" + a.name + "'");
        for (std::size_t r = 0; r < std::size_t(table.rows()); ++r)
            if (a.text(r) != b.text(r) || a.is_missing(r) != b.is_missing(r) || a.is_number(r) != b.is_number(r))
                finding("column '" + a.name + "' row " + std::to_string(r) + " reads back as \"" + b.text(r) + "\", not \"" + a.text(r) + "\"");
    }
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
    try {
        read_records(text, CsvLimits{});
    } catch (const DataError&) {
    }
    try {
        read_records(text, CsvLimits{8, 4});
    } catch (const DataError&) {
    }
    try {
        std::istringstream in(text);
        const Table table = read_table(in, "fuzz.csv");
        check_round_trip(table);
        preprocess(table);
    } catch (const DataError&) {
    } catch (const std::invalid_argument&) {
    }
    return 0;
}
