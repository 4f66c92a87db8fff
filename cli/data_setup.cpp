#include "data_setup.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <numeric>

#include "exit_codes.hpp"
#include "hyda/mtl/data_error.hpp"
#include "hyda/mtl/metrics.hpp"
#include "model_file.hpp"

namespace hyda::cli {

Parts split_rows(const mtl::Table& table, const DataOptions& o, std::uint64_t seed) {
    const mtl::TargetSpec main = data_spec(o).targets[0];
    if (!o.split_counts.empty()) return mtl::stratified_split_rows(table, main, o.split_counts[0], o.split_counts[1], seed);
    return mtl::stratified_split(table, main, o.split[0], o.split[1], seed);
}

namespace {

// A field of the --order-by, --batch-groups or --batch-mix column that cannot be used.
mtl::DataError bad_field(const mtl::Table& table, const mtl::Column& c, int row, const std::string& option, const std::string& need) {
    const std::string text = c.is_missing(std::size_t(row)) ? "a missing value" : "\"" + c.text(std::size_t(row)) + "\"";
    return mtl::DataError(table.source, table.lines[std::size_t(row)], c.name, option + " needs " + need + ", got " + text);
}

// The finite numbers of column `column` in `rows`, for `option`.
std::vector<double> numbers(const mtl::Table& table, const std::string& column, std::span<const int> rows, const std::string& option) {
    const mtl::Column& c = table.columns[std::size_t(table.column(column))];
    std::vector<double> values;
    values.reserve(rows.size());
    for (const int r : rows) {
        if (!c.is_number(std::size_t(r)) || !std::isfinite(c.numbers[std::size_t(r)])) throw bad_field(table, c, r, option, "a finite number in every row");
        values.push_back(c.numbers[std::size_t(r)]);
    }
    return values;
}

}  // namespace

std::vector<double> order_keys(const mtl::Table& table, const std::string& column, std::span<const int> rows) {
    return numbers(table, column, rows, "--order-by");
}

template <class T>
std::vector<std::vector<T>> relatedness_weights(const mtl::Table& table, const DataOptions& data, std::span<const int> rows) {
    const std::vector<RelatednessColumn> given = relatedness_columns(data);
    std::vector<std::vector<T>> weights(std::size_t(task_count(data)));
    std::vector<int> every_row(std::size_t(table.rows()));
    std::iota(every_row.begin(), every_row.end(), 0);
    for (const RelatednessColumn& r : given) {
        const std::vector<double> values = numbers(table, r.column, every_row, "--relatedness");
        for (const int i : rows) weights[std::size_t(r.task)].push_back(T(std::max(0.0, values[std::size_t(i)])));
    }
    return weights;
}

template std::vector<std::vector<float>> relatedness_weights(const mtl::Table&, const DataOptions&, std::span<const int>);
template std::vector<std::vector<double>> relatedness_weights(const mtl::Table&, const DataOptions&, std::span<const int>);

std::vector<int> batch_groups(const mtl::Table& table, const std::string& column, std::span<const int> rows, const std::string& option) {
    const mtl::Column& c = table.columns[std::size_t(table.column(column))];
    for (const int r : rows)
        if (c.is_missing(std::size_t(r))) throw bad_field(table, c, r, option, "a group in every row");
    std::vector<int> groups;
    groups.reserve(rows.size());
    if (c.all_numbers()) {
        for (const int r : rows) {
            const double v = c.numbers[std::size_t(r)];
            if (v != std::trunc(v) || v < std::numeric_limits<int>::min() || v > std::numeric_limits<int>::max())
                throw bad_field(table, c, r, option, "integers (or text)");
            groups.push_back(int(v));
        }
        return groups;
    }
    std::map<std::string, int> rank;  // every distinct text of the column, sorted
    for (std::size_t r = 0; r < std::size_t(table.rows()); ++r)
        if (!c.is_missing(r)) rank.emplace(c.text(r), 0);
    int next = 0;
    for (auto& [text, id] : rank) id = next++;
    for (const int r : rows) groups.push_back(rank.at(c.text(std::size_t(r))));
    return groups;
}

template <class T>
Encoded<T> encode(const mtl::Preprocessor& pre, const mtl::Table& table, const Parts& parts, const DataOptions& data, const TrainingSetup& setup) {
    Encoded<T> out{pre.transform<T>(table, parts[0]), pre.transform<T>(table, parts[1]), pre.transform<T>(table, parts[2]), {}};
    if (!data.relatedness.empty()) out.oracle_weights = relatedness_weights<T>(table, data, parts[0]);
    mtl::Dataset<T>* sets[] = {&out.train, &out.validation, &out.test};
    for (std::size_t p = 0; p < 3; ++p) {
        if (!setup.order_by.empty()) sets[p]->order_key = order_keys(table, setup.order_by, parts[p]);
        if (!setup.batch_groups.empty()) sets[p]->group = batch_groups(table, setup.batch_groups, parts[p], "--batch-groups");
        if (!setup.batch_mix.empty()) sets[p]->group = batch_groups(table, setup.batch_mix, parts[p], "--batch-mix");
    }
    // Early stopping follows the main task's metric on the validation part: where the
    // labels leave it undefined (one class only), that is a fact of the data and the split.
    if (out.validation.rows > 0) {
        const std::vector<T>& y = out.validation.labels[0];
        const std::vector<double> labels(y.begin(), y.end());
        const bool binary = pre.targets[0].kind == mtl::TargetKind::binary;
        if (const auto why = binary ? mtl::roc_auc_undefined(labels) : mtl::metric_undefined(labels))
            throw mtl::DataError(table.source, 0, pre.targets[0].column,
                                 "the validation part (" + std::to_string(out.validation.rows) + " rows) cannot rank the main task, which early stopping needs: " +
                                     *why + " (a larger validation part in --split or --split-rows, or another --seed, may help)");
    }
    return out;
}

template Encoded<float> encode(const mtl::Preprocessor&, const mtl::Table&, const Parts&, const DataOptions&, const TrainingSetup&);
template Encoded<double> encode(const mtl::Preprocessor&, const mtl::Table&, const Parts&, const DataOptions&, const TrainingSetup&);

std::vector<int> part_rows(const mtl::Table& table, const TrainingRecord& record, const std::string& part) {
    if (part == "all") {
        std::vector<int> rows(std::size_t(table.rows()));
        std::iota(rows.begin(), rows.end(), 0);
        return rows;
    }
    for (int p = 0; p < 3; ++p) {
        if (part != part_names[p]) continue;
        if (table.rows() != record.data_rows)
            throw UsageError("--part " + part + ": " + table.source + " has " + std::to_string(table.rows()) + " rows, the model was trained on " +
                             record.data.data + " with " + std::to_string(record.data_rows) + " (the split is re-derived from that file)");
        return split_rows(table, record.data, record.data.seed)[std::size_t(p)];
    }
    throw UsageError("--part: expected all, train, validation or test, got '" + part + "'");
}

}  // namespace hyda::cli
