#pragma once
// From a CSV file to the train, validation and test datasets of a run, and back to the
// same rows from a saved model's training record.
#include <array>
#include <span>
#include <string>
#include <vector>

#include "hyda/mtl/dataset.hpp"
#include "hyda/mtl/preprocess.hpp"
#include "hyda/mtl/table.hpp"
#include "options.hpp"

namespace hyda::cli {

struct TrainingRecord;

// Row indices of the train, validation and test parts.
using Parts = std::array<std::vector<int>, 3>;
inline constexpr const char* part_names[] = {"train", "validation", "test"};

// The seeded split of DataOptions (--split's fractions or --split-rows' counts), stratified
// on the main target. Too few rows for --split-rows is a DataError.
Parts split_rows(const mtl::Table& table, const DataOptions& o, std::uint64_t seed);

template <class T>
struct Encoded {
    mtl::Dataset<T> train, validation, test;
    // With --relatedness, the oracle's row weights of the training part (Dataset::weights:
    // max(0, relatedness) for each task given, empty = 1 for the others); the other methods
    // train without. Empty without --relatedness.
    std::vector<std::vector<T>> oracle_weights;
};
// The parts encoded by `pre`, each with the per-row metadata the setup's batching needs
// (order keys from --order-by, groups from --batch-groups or --batch-mix), and the oracle's weights.
template <class T>
Encoded<T> encode(const mtl::Preprocessor& pre, const mtl::Table& table, const Parts& parts, const DataOptions& data, const TrainingSetup& setup);

// The values of column `column` in `rows`, as Dataset::order_key: every field must be a
// finite number, else DataError naming the file, line and column.
std::vector<double> order_keys(const mtl::Table& table, const std::string& column, std::span<const int> rows);
// The oracle's row weights of `rows`, per task of the data (empty for a task without
// --relatedness): max(0, the task's relatedness column). Every field of the column, in
// every row of the table, must be a finite number, else DataError naming the file, line
// and column.
template <class T>
std::vector<std::vector<T>> relatedness_weights(const mtl::Table& table, const DataOptions& data, std::span<const int> rows);
// The values of column `column` in `rows`, as Dataset::group: integers if every field of
// the column is a number (each must be an integer in int's range), else every field's
// text numbered by its rank among the column's distinct texts (so the same text is the
// same group in every part). A missing field is a DataError naming file, line, column and
// `option` (the option that named the column).
std::vector<int> batch_groups(const mtl::Table& table, const std::string& column, std::span<const int> rows, const std::string& option);

// The rows of `part` ("all", "train", "validation" or "test") of a table: a named part is
// the split the model was trained with, re-derived from its record, and needs the same
// number of rows as the training file (else UsageError).
std::vector<int> part_rows(const mtl::Table& table, const TrainingRecord& record, const std::string& part);

}  // namespace hyda::cli
