#pragma once
// From a raw table to model inputs and task labels: which columns are targets, which are
// features, and how each is encoded. Every statistic (means, scales, levels, imputed
// values) is fitted on the training rows only, and kept, so that the same encoding
// applies to validation and test rows and, later, to a new CSV file at prediction time.
//
// Features, per column not a target and not dropped:
//   numeric:     standardized (x - mean) / sd with the training rows' mean and sd (sd 1
//                when constant); a missing field takes the training mean (0 after
//                standardizing), and if any training row misses the column a 0/1 feature
//                "column:missing" marks the rows that did;
//   categorical: one-hot over the levels of the training rows, sorted ("column=level"); a
//                level never seen in training encodes as all zeros, never an error; a
//                missing field too, with a "column:missing" indicator as for numbers.
// A column is numeric if every non-missing field of it reads as a number, categorical
// otherwise, unless the caller overrides its type. This decision reads every row of the
// table, not only the training rows (so a validation row's text cannot make a numeric
// column fail to encode); it fits no number.
//
// Targets (the first is the main task):
//   binary:        "column=value": 1 where the field is `value`, 0 elsewhere;
//   regression:    the number, standardized with the training rows' mean and sd;
//   logregression: log1p of the number (which must be >= 0), then standardized;
//   multiclass:    the index of the field among the training rows' levels, sorted as
//                  text; needs >= 2 of them. A level not seen in training (in a
//                  validation or test row) masks that row for that task (label NaN).
// A missing target field masks that row for that task only (label NaN). A target column
// is never also a feature. A level is the field's text, a number written the shortest
// way that reads back ("1.50" is the level "1.5"); a binary positive value that is a
// number matches every field with that value.
#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "hyda/mtl/dataset.hpp"
#include "hyda/mtl/model.hpp"
#include "hyda/mtl/table.hpp"

#pragma GCC visibility push(default)  // the public API: exported by the shared libraries (cmake/package.cmake)
namespace hyda::mtl {

enum class ColumnType { numeric, categorical };
enum class TargetKind { binary, regression, logregression, multiclass };

struct TargetSpec {
    std::string column;
    TargetKind kind = TargetKind::binary;
    std::string positive;  // binary: the field text that means 1; empty: kind left to fit()
};

// Parses a target as written on the command line:
//   "Class=bad"            binary, positive value "bad"
//   "int_rate:regression"  (or :logregression, :multiclass)
//   "recur:binary"         binary, positive value "1"
//   "recur"                no kind: decided from the data by fit() (see there)
// Text with a '=' is always column=value (the value may hold ':' and '='); otherwise the
// kind follows the last ':'. Throws std::invalid_argument naming the text for an unknown
// kind, an empty column or an empty value after '='.
TargetSpec parse_target(std::string_view text);

struct DataSpec {
    std::vector<TargetSpec> targets;  // targets[0] is the main task
    std::vector<std::string> drop;    // columns that are neither features nor targets
    std::vector<std::pair<std::string, ColumnType>> types;  // overrides of the inferred type
    // Bounds on the encoded data, which fit() checks so that a column of identifiers or
    // free text (one input per distinct value) fails clearly instead of asking for memory
    // that grows with rows x distinct values.
    int max_levels = 1000;  // distinct values of a categorical feature among the training rows
    std::int64_t max_encoded_values = std::int64_t(1) << 30;  // table rows x encoded inputs (4 GiB as float)
};

// The fitted encoding. A plain struct so that a model file can store and restore it.
struct Preprocessor {
    struct Feature {
        std::string column;
        ColumnType type = ColumnType::numeric;
        double mean = 0, scale = 1;       // numeric: (x - mean) / scale
        bool missing_indicator = false;   // adds "column:missing"
        std::vector<std::string> levels;  // categorical: one input per level, sorted
    };
    struct Target {
        std::string column;
        TargetKind kind = TargetKind::binary;
        std::string positive;             // binary
        double mean = 0, scale = 1;       // regression, logregression (after log1p)
        std::vector<std::string> levels;  // multiclass: class i is levels[i], sorted
    };
    std::vector<Feature> features;
    std::vector<Target> targets;  // targets[0] is the main task

    // Fits the encoding on the table's rows `train_rows`. Throws DataError naming the file
    // and column (and line, for a value) for: a target or dropped or typed column that
    // does not exist, a target that is also listed in `drop` or twice, a binary target
    // whose positive value occurs nowhere in the file, a non-numeric field in a
    // regression target or a column typed numeric, a negative value in a logregression
    // target, a target with no labelled training row, a multiclass target with fewer than
    // 2 levels in training, a target given a feature type, no feature left. Those about
    // a value check every row of the table, not only the training rows. Throws
    // std::invalid_argument for no target or a row index outside the table.
    // A target without a kind becomes binary if its non-missing fields are all the
    // numbers 0 or 1 (positive 1), regression if they are other numbers, multiclass
    // otherwise; this too reads every row of the table (stratified_split decides alike).
    static Preprocessor fit(const Table& table, const DataSpec& spec, std::span<const int> train_rows);

    int inputs() const;                         // width of the encoded input
    std::vector<std::string> input_names() const;  // "age", "age:missing", "size=<=20", ...
    std::vector<TaskSpec> tasks() const;        // one per target, named after its column

    // Encodes the rows `rows` of a table (any table: columns are found by name). With
    // `labels`, the target columns must be present; without, they are not read and the
    // Dataset's labels are all NaN. Throws DataError naming the file, line and column for
    // a missing feature column, a non-numeric field in a numeric column, or (with labels)
    // a missing target column or a bad target value. A multiclass level or categorical
    // level not seen in training: see the notes at the top. Reads only: threads may
    // encode with one Preprocessor at once.
    template <class T>
    Dataset<T> transform(const Table& table, std::span<const int> rows, bool labels = true) const;

    // A model output for target k in the target's own units: binary P(y = 1) unchanged,
    // regression un-standardized, logregression also expm1'd.
    double to_target_units(int k, double output) const;
};

// Row indices of the split into train, validation and test fractions (the test gets the
// rest), stratified on the main target `main`: rows are grouped by the main column's field
// (its text; missing fields form a group of their own), except for a regression or
// logregression main, whose rows are grouped into the deciles of its value (by rank,
// ties in row order; fields that are not numbers form a group). A main without a kind
// takes the kind Preprocessor::fit decides for it. The groups are taken in order
// (missing first, then by sorted text or by decile), each shuffled with one Rng seeded
// from `seed`; within each group of n rows the first round(train * n) rows go to train,
// the next round((train + validation) * n) - round(train * n) to validation, the rest to
// test. Each part is sorted. The rounding is per group, so a rare class can miss a part:
// with 0.6 / 0.2 / 0.2, a class of 1 row goes to train, one of 2 to train and validation,
// one of 3 to train (2) and test; from 4 rows on every part has one. A part could not
// measure such a class anyway; a binary main whose validation part lacks a class makes
// Trainer::fit refuse it (its ROC AUC is undefined). Throws std::invalid_argument unless
// train > 0, validation >= 0 and train + validation <= 1; DataError if the main column
// is missing.
std::array<std::vector<int>, 3> stratified_split(const Table& table, const TargetSpec& main, double train,
                                                 double validation, std::uint64_t seed);

// The same strata, each shuffled as above, split into exactly `train` training and
// `validation` validation rows (the test part gets the rest): row i of a shuffled stratum
// of n rows is placed at (i + 1/2) / n, all rows are ordered by place (ties in stratum
// order), and the first `train` go to train, the next `validation` to validation. Each
// stratum's count in a part is then its share of the rows times the part's size, rounded
// (Sainte-Lague's divisor method; e.g. classes of 60, 30 and 10 rows split 50 / 20 / 30 as
// 30, 15, 5 / 12, 6, 2 / 18, 9, 3). Each part is sorted. Throws std::invalid_argument
// unless train >= 1 and validation >= 0; DataError if the table has fewer than
// train + validation + 1 rows (the test part needs one) or the main column is missing.
std::array<std::vector<int>, 3> stratified_split_rows(const Table& table, const TargetSpec& main, int train, int validation,
                                                      std::uint64_t seed);

}  // namespace hyda::mtl
#pragma GCC visibility pop
