#include <algorithm>
#include <cmath>
#include <numeric>
#include <stdexcept>

#include "hyda/autodiff/random.hpp"
#include "hyda/mtl/data_error.hpp"
#include "hyda/mtl/preprocess.hpp"
#include "levels.hpp"
#include "target_kind.hpp"

namespace hyda::mtl {

namespace {

// Per row, its stratum: the index of the main field's text among the sorted levels, or
// for a (log)regression main its value's decile (rank-based, ties in row order); -1 for
// a missing field (and, for regression, one that is not a number).
std::vector<int> strata(const Column& column, TargetKind kind) {
    const auto n = column.numbers.size();
    std::vector<int> stratum(n, -1);
    if (kind == TargetKind::regression || kind == TargetKind::logregression) {
        std::vector<int> ranked;
        for (std::size_t r = 0; r < n; ++r)
            if (column.is_number(r)) ranked.push_back(int(r));
        std::stable_sort(ranked.begin(), ranked.end(), [&](int a, int b) { return column.numbers[std::size_t(a)] < column.numbers[std::size_t(b)]; });
        for (std::size_t i = 0; i < ranked.size(); ++i) stratum[std::size_t(ranked[i])] = int(10 * i / ranked.size());
        return stratum;
    }
    std::vector<int> all(n);
    std::iota(all.begin(), all.end(), 0);
    const std::vector<std::string> levels = detail::sorted_levels(column, all);
    const detail::LevelIndex level(column, levels);
    for (std::size_t r = 0; r < n; ++r) stratum[r] = level(r);
    return stratum;
}

// The rows grouped by stratum (missing fields first, then by stratum), each group in row
// order shuffled with one Rng seeded from `seed`, the groups in that order.
std::vector<std::vector<int>> shuffled_strata(const Table& table, const TargetSpec& main, std::uint64_t seed) {
    const Column& column = table.columns[std::size_t(table.column(main.column))];
    const std::vector<int> stratum = strata(column, detail::decide_kind(column, main).kind);
    int top = -1;
    for (const int s : stratum) top = std::max(top, s);
    std::vector<std::vector<int>> groups(std::size_t(top + 2));  // groups[s + 1]: stratum s
    for (std::size_t r = 0; r < stratum.size(); ++r) groups[std::size_t(stratum[r] + 1)].push_back(int(r));
    ad::Rng rng(seed);
    for (std::vector<int>& rows : groups) ad::shuffle(rows.begin(), rows.end(), rng);
    return groups;
}

void sort_parts(std::array<std::vector<int>, 3>& parts) {
    for (std::vector<int>& part : parts) std::sort(part.begin(), part.end());
}

}  // namespace

std::array<std::vector<int>, 3> stratified_split(const Table& table, const TargetSpec& main, double train, double validation,
                                                 std::uint64_t seed) {
    if (!(train > 0 && validation >= 0 && train + validation <= 1))
        throw std::invalid_argument("stratified_split: need train > 0, validation >= 0 and train + validation <= 1");
    std::array<std::vector<int>, 3> parts;
    for (const std::vector<int>& rows : shuffled_strata(table, main, seed)) {
        const double n = double(rows.size());
        const auto a = rows.begin() + std::lround(train * n), b = rows.begin() + std::lround((train + validation) * n);
        parts[0].insert(parts[0].end(), rows.begin(), a);
        parts[1].insert(parts[1].end(), a, b);
        parts[2].insert(parts[2].end(), b, rows.end());
    }
    sort_parts(parts);
    return parts;
}

std::array<std::vector<int>, 3> stratified_split_rows(const Table& table, const TargetSpec& main, int train, int validation,
                                                      std::uint64_t seed) {
    if (!(train >= 1 && validation >= 0))
        throw std::invalid_argument("stratified_split_rows: need train >= 1 and validation >= 0 rows, got " + std::to_string(train) + " and " +
                                    std::to_string(validation));
    if (std::int64_t(train) + validation >= table.rows())
        throw DataError(table.source, 0, "",
                        std::to_string(train) + " training and " + std::to_string(validation) + " validation rows need at least " +
                            std::to_string(std::int64_t(train) + validation + 1) + " rows (one or more for the test part), the file has " +
                            std::to_string(table.rows()));
    // Row i of a stratum of n rows at (i + 1/2) / n: in this order every prefix holds each
    // stratum in proportion to its size, rounded (Sainte-Lague's divisor method).
    struct Place {
        double at;
        int row;
    };
    std::vector<Place> order;
    for (const std::vector<int>& rows : shuffled_strata(table, main, seed))
        for (std::size_t i = 0; i < rows.size(); ++i) order.push_back({(double(i) + 0.5) / double(rows.size()), rows[i]});
    std::stable_sort(order.begin(), order.end(), [](const Place& a, const Place& b) { return a.at < b.at; });
    std::array<std::vector<int>, 3> parts;
    for (std::size_t i = 0; i < order.size(); ++i) parts[i < std::size_t(train) ? 0 : i < std::size_t(train + validation) ? 1 : 2].push_back(order[i].row);
    sort_parts(parts);
    return parts;
}

}  // namespace hyda::mtl
