#include "hyda/mtl/table.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <ostream>
#include <unordered_map>

#include "../json_writer.hpp"
#include "number.hpp"
#include "hyda/mtl/data_error.hpp"

namespace hyda::mtl {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// An empty line, which the reader gives as one empty field.
bool blank(const std::vector<std::string>& fields) { return fields.size() == 1 && fields[0].empty(); }

std::vector<std::string> read_header(CsvReader& reader) {
    std::vector<std::string> names;
    bool found = reader.next(names);
    while (found && blank(names)) found = reader.next(names);
    if (!found) throw DataError(reader.source(), 0, "", "the file is empty (a header row naming the columns is required)");
    std::unordered_map<std::string, std::size_t> seen;
    for (std::size_t c = 0; c < names.size(); ++c) {
        if (names[c].empty()) throw DataError(reader.source(), reader.line(), "", "column " + std::to_string(c + 1) + " of the header has no name");
        const auto [it, added] = seen.emplace(names[c], c);
        if (!added)
            throw DataError(reader.source(), reader.line(), names[c],
                            "the name of columns " + std::to_string(it->second + 1) + " and " + std::to_string(c + 1));
    }
    return names;
}

Table read(CsvReader& reader, const TableOptions& options) {
    Table t;
    t.source = reader.source();
    const std::vector<std::string> names = read_header(reader);
    reader.name_fields(names);
    const std::size_t width = names.size();
    t.columns.resize(width);
    for (std::size_t c = 0; c < width; ++c) t.columns[c].name = names[c];
    std::vector<std::unordered_map<std::string, std::int32_t>> level_index(width);

    std::vector<std::string> fields;
    while (reader.next(fields)) {
        if (fields.size() != width) {
            if (width > 1 && blank(fields)) continue;
            const std::string counts = std::to_string(fields.size()) + " fields where the header has " + std::to_string(width);
            if (fields.size() > width) throw DataError(t.source, reader.line(), "", "a record of " + counts);
            throw DataError(t.source, reader.line(), names[fields.size()], "the record ends before this column: " + counts);
        }
        // Rows are indexed by int (Table::rows, the splits, Dataset): refuse a row that
        // would wrap the count rather than index the table with negative numbers.
        if (t.lines.size() == std::size_t(std::numeric_limits<int>::max()))
            throw DataError(t.source, reader.line(), "", "more than " + std::to_string(t.lines.size()) + " rows");
        t.lines.push_back(reader.line());
        for (std::size_t c = 0; c < width; ++c) {
            Column& column = t.columns[c];
            const std::string& text = fields[c];
            double value = kNaN;
            std::int32_t code = -1;
            if (std::find(options.missing.begin(), options.missing.end(), text) == options.missing.end() && !detail::parse_number(text, value)) {
                const auto [it, added] = level_index[c].emplace(text, std::int32_t(column.levels.size()));
                if (added) column.levels.push_back(text);
                code = it->second;
            }
            // The first level gives the column its codes, -1 for the rows before it.
            if (!column.levels.empty()) {
                column.codes.resize(column.numbers.size(), -1);
                column.codes.push_back(code);
            }
            column.numbers.push_back(value);
        }
    }
    return t;
}

}  // namespace

bool Column::is_missing(std::size_t row) const { return std::isnan(numbers[row]) && code(row) < 0; }

bool Column::is_number(std::size_t row) const { return !std::isnan(numbers[row]); }

bool Column::all_numbers() const {
    return std::all_of(codes.begin(), codes.end(), [](std::int32_t code) { return code < 0; });
}

std::string Column::text(std::size_t row) const {
    if (const std::int32_t c = code(row); c >= 0) return levels[std::size_t(c)];
    std::string out;
    if (is_number(row)) detail::append_number(out, numbers[row]);
    return out;
}

std::optional<int> Table::find(const std::string& name) const {
    for (std::size_t c = 0; c < columns.size(); ++c)
        if (columns[c].name == name) return int(c);
    return std::nullopt;
}

int Table::column(const std::string& name) const {
    if (const auto c = find(name)) return *c;
    std::string names;
    for (const Column& column : columns) names += (names.empty() ? "" : ", ") + column.name;
    throw DataError(source, 0, name, "no such column (the columns are: " + names + ")");
}

Table read_table(const std::string& path, const TableOptions& options) {
    CsvReader reader(path, options.limits);
    return read(reader, options);
}

Table read_table(std::istream& in, const std::string& source, const TableOptions& options) {
    CsvReader reader(in, source, options.limits);
    return read(reader, options);
}

void write_table(std::ostream& out, const Table& table) {
    constexpr std::size_t kFlushBytes = std::size_t(1) << 20;
    std::string text;
    auto end_record = [&] {
        text += '\n';
        if (text.size() >= kFlushBytes) out.write(text.data(), std::streamsize(text.size())), text.clear();
    };
    for (std::size_t c = 0; c < table.columns.size(); ++c) {
        if (c > 0) text += ',';
        append_csv_field(text, table.columns[c].name);
    }
    end_record();
    for (std::size_t r = 0; r < std::size_t(table.rows()); ++r) {
        for (std::size_t c = 0; c < table.columns.size(); ++c) {
            if (c > 0) text += ',';
            append_csv_field(text, table.columns[c].text(r));
        }
        end_record();
    }
    out.write(text.data(), std::streamsize(text.size()));
}

}  // namespace hyda::mtl
