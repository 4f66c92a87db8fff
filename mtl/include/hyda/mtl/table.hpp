#pragma once
// A CSV file in memory, column by column, before any preprocessing: what each field says,
// as a number where it reads as one, as a string level otherwise, or missing.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "hyda/mtl/csv.hpp"

#pragma GCC visibility push(default)  // the public API: exported by the shared libraries (cmake/package.cmake)
namespace hyda::mtl {

struct Column {
    std::string name;
    // Per row: the value, if the field reads in full as a finite number (std::from_chars);
    // NaN otherwise.
    std::vector<double> numbers;
    // Per row: -1 for a number or a missing field, else the index of the field's text in
    // `levels`. Empty while the column has no level (every field a number or missing), so
    // that such a column costs 8 bytes per field, 12 with levels: a file of the shortest
    // fields ("1,", or "," when missing) needs at most 6 and 12 times its size.
    std::vector<std::int32_t> codes;
    std::vector<std::string> levels;  // distinct non-numeric texts, in order of appearance

    // The code of a row: -1 or an index into levels (whether or not codes is empty).
    std::int32_t code(std::size_t row) const { return codes.empty() ? -1 : codes[row]; }
    bool is_missing(std::size_t row) const;
    bool is_number(std::size_t row) const;
    // True if every non-missing field is a number.
    bool all_numbers() const;
    // The field as text: a level, a number as the shortest text that reads back as the
    // same value (so "1.50" reads back as "1.5"), or "" when missing.
    std::string text(std::size_t row) const;
};

struct Table {
    std::string source;            // the file name, for errors
    std::vector<Column> columns;   // in file order
    std::vector<std::int64_t> lines;  // per row: the file line its record starts on
    int rows() const { return int(lines.size()); }

    // The index of the column called `name`, or nullopt.
    std::optional<int> find(const std::string& name) const;
    // The same; throws DataError naming the source, the column and the columns there are.
    int column(const std::string& name) const;
};

struct TableOptions {
    std::vector<std::string> missing = {"", "NA"};  // field texts that mean "missing"
    CsvLimits limits;
};

// Reads a CSV file whose first record is the header. Blank lines are skipped (in a table
// of one column, where a blank line is a missing field, only before the header). Throws
// DataError naming the file (and line, and column where it applies) for: an empty file,
// an empty or duplicate column name, a record whose field count differs from the header's
// (ragged), more rows than an int counts, and what CsvReader rejects. Time linear in the file's size; memory that of
// the Table (12 bytes per field, plus each distinct level once) and one record.
Table read_table(const std::string& path, const TableOptions& options = {});
Table read_table(std::istream& in, const std::string& source, const TableOptions& options = {});

// Writes the table as CSV (header, then one record per row; missing fields empty).
void write_table(std::ostream& out, const Table& table);

}  // namespace hyda::mtl
#pragma GCC visibility pop
