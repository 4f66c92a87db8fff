#include "levels.hpp"

#include <algorithm>

#include "../json_writer.hpp"

namespace hyda::mtl::detail {

std::vector<std::string> sorted_levels(const Column& column, std::span<const int> rows) {
    std::vector<char> seen(column.levels.size(), 0);
    std::vector<double> numbers;
    for (const int r : rows) {
        const auto row = std::size_t(r);
        if (const std::int32_t c = column.code(row); c >= 0) seen[std::size_t(c)] = 1;
        else if (column.is_number(row)) numbers.push_back(column.numbers[row]);
    }
    std::sort(numbers.begin(), numbers.end());
    numbers.erase(std::unique(numbers.begin(), numbers.end()), numbers.end());
    std::vector<std::string> levels;
    for (std::size_t code = 0; code < seen.size(); ++code)
        if (seen[code]) levels.push_back(column.levels[code]);
    for (const double v : numbers) append_number(levels.emplace_back(), v);  // as Column::text writes it
    std::sort(levels.begin(), levels.end());
    levels.erase(std::unique(levels.begin(), levels.end()), levels.end());
    return levels;
}

namespace {

int index_of(const std::vector<std::string>& sorted, const std::string& text) {
    const auto it = std::lower_bound(sorted.begin(), sorted.end(), text);
    return it != sorted.end() && *it == text ? int(it - sorted.begin()) : -1;
}

}  // namespace

LevelIndex::LevelIndex(const Column& column, const std::vector<std::string>& sorted) : column_(column), sorted_(sorted) {
    for (const std::string& level : column.levels) of_code_.push_back(index_of(sorted, level));
}

int LevelIndex::operator()(std::size_t row) const {
    if (const std::int32_t c = column_.code(row); c >= 0) return of_code_[std::size_t(c)];
    return column_.is_number(row) ? index_of(sorted_, column_.text(row)) : -1;
}

}  // namespace hyda::mtl::detail
