#pragma once
// Data preparation for the experiments: just enough to turn the two shared CSV files
// (../shared/datasets, see its README) into hyda Datasets. Not a general CSV reader
// (the library gets its own in another issue): it reads RFC 4180 fields, quoted or
// not, with "" for a quote inside quotes, but no line breaks inside fields and no
// missing values, which is all lending_club.csv and rotterdam.csv need.
#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "hyda/mtl/dataset.hpp"
#include "hyda/mtl/model.hpp"

namespace hyda::experiments {

struct Table {
    std::vector<std::string> header;
    std::vector<std::vector<std::string>> rows;  // each as wide as the header

    // The index of a column; throws std::invalid_argument naming it if there is none.
    int column(const std::string& name) const;
};

// Throws std::runtime_error naming the file and line of an unreadable file, a field
// with a stray quote, a row of the wrong width or an empty (missing) field.
Table read_csv(const std::string& path);

// A task's labels from one column.
//   binary:     1 where the field equals `positive`, else 0;
//   regression: the number (log1p of it with `log1p`), standardized with the training
//               rows' mean and standard deviation;
//   multiclass: the index of the field among the column's sorted distinct values.
struct Target {
    std::string column;
    mtl::TaskKind kind = mtl::TaskKind::binary;
    std::string positive;  // binary only
    bool log1p = false;    // regression only
};

// What becomes of a table's columns: the targets (the first is the main task), the
// columns dropped (identifiers, leaky ones); every other column is a feature. A column
// whose every field is a number is numeric and standardized with the training rows'
// mean and standard deviation; any other is categorical, one-hot over the levels seen
// in the training rows (a level seen only elsewhere encodes as all zeros).
struct Encoding {
    std::vector<Target> targets;
    std::vector<std::string> drop;
};

struct Prepared {
    std::vector<mtl::TaskSpec> tasks;
    std::vector<std::string> features;  // names: "column" or "column=level"
    mtl::Dataset<float>::Split data;    // train, validation, test
};

// Encodes the rows of each part; statistics and levels come from parts[0] (training).
Prepared prepare(const Table& table, const Encoding& encoding, const std::array<std::vector<int>, 3>& parts);

// Row indices of a split into fractions (first, second, rest) that keeps each stratum's
// share: within every stratum (in increasing order) the rows are shuffled
// with an Rng from `seed` and cut at round(first * n) and round((first + second) * n).
std::array<std::vector<int>, 3> stratified_split(std::span<const int> strata, double first, double second, std::uint64_t seed);

}  // namespace hyda::experiments
