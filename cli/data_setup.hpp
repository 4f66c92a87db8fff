#pragma once
// From a CSV file to the train, validation and test datasets of a run, and back to the
// same rows from a saved model's training record.
#include <array>
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

// The seeded split of DataOptions, stratified on the main target.
Parts split_rows(const mtl::Table& table, const DataOptions& o, std::uint64_t seed);

template <class T>
struct Encoded {
    mtl::Dataset<T> train, validation, test;
};
template <class T>
Encoded<T> encode(const mtl::Preprocessor& pre, const mtl::Table& table, const Parts& parts);

// The rows of `part` ("all", "train", "validation" or "test") of a table: a named part is
// the split the model was trained with, re-derived from its record, and needs the same
// number of rows as the training file (else UsageError).
std::vector<int> part_rows(const mtl::Table& table, const TrainingRecord& record, const std::string& part);

}  // namespace hyda::cli
