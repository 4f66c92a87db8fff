#pragma once
// The levels of a column as text, for one-hot features, multiclass targets and the
// split's strata: a level string, or a number written as Column::text writes it.
#include <span>
#include <string>
#include <vector>

#include "hyda/mtl/table.hpp"

namespace hyda::mtl::detail {

// The distinct texts of the non-missing fields at `rows`, sorted.
std::vector<std::string> sorted_levels(const Column& column, std::span<const int> rows);

// The index of a field's text among `sorted` levels: -1 if missing or not among them.
// Each of the column's level strings is looked up once, here; numbers per field.
class LevelIndex {
public:
    LevelIndex(const Column& column, const std::vector<std::string>& sorted);
    int operator()(std::size_t row) const;

private:
    const Column& column_;
    const std::vector<std::string>& sorted_;
    std::vector<int> of_code_;  // per level of the column
};

}  // namespace hyda::mtl::detail
