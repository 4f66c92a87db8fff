#include "hyda/mtl/preprocess.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>
#include <stdexcept>
#include <tuple>
#include <unordered_map>

#include "hyda/mtl/data_error.hpp"
#include "levels.hpp"
#include "number.hpp"
#include "target_kind.hpp"

namespace hyda::mtl {

namespace {

using detail::LevelIndex;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

void check_rows(const Table& table, std::span<const int> rows, const char* what) {
    for (const int r : rows)
        if (r < 0 || r >= table.rows())
            throw std::invalid_argument(std::string(what) + ": row " + std::to_string(r) + " is outside the table's " + std::to_string(table.rows()) + " rows");
}

// Where a binary target's field is its positive value. A positive value that reads as a
// number matches every field with that number ("1" matches "1.0").
class Positive {
public:
    Positive(const Column& column, const std::string& positive) {
        numeric_ = detail::parse_number(positive, number_);
        for (std::size_t code = 0; code < column.levels.size() && !numeric_; ++code)
            if (column.levels[code] == positive) code_ = std::int32_t(code);
    }
    bool operator()(const Column& column, std::size_t row) const {
        return numeric_ ? column.numbers[row] == number_ : code_ >= 0 && column.code(row) == code_;
    }

private:
    bool numeric_ = false;
    double number_ = 0;
    std::int32_t code_ = -1;
};

// The value a regression target is fitted on at `row`: the number (log1p of it for a
// logregression target); throws DataError for text or, with log1p, a negative number.
double target_value(const Table& table, const Column& column, std::size_t row, TargetKind kind) {
    auto fail = [&](const std::string& what) { throw DataError(table.source, table.lines[row], column.name, what); };
    if (!column.is_number(row)) fail('"' + column.text(row) + "\" is not a number, which a regression target needs");
    const double v = column.numbers[row];
    if (kind == TargetKind::logregression) {
        if (v < 0) fail(column.text(row) + " is negative: a logregression target takes log1p, so needs values >= 0");
        return std::log1p(v);
    }
    return v;
}

// Mean and standard deviation (divisor n) of `values`; sd 1 if they are constant. Summed
// over the values scaled by a power of two near the largest magnitude (exact, so ordinary
// values give the plain sums' results), that values near the double range do not
// overflow to an infinite sd, which would encode every value as 0.
std::pair<double, double> moments(const std::vector<double>& values) {
    double top = 0;
    for (const double v : values) top = std::max(top, std::abs(v));
    const int e = top > 0 ? std::ilogb(top) : 0;
    double mean = 0, var = 0;
    for (const double v : values) mean += std::ldexp(v, -e);
    mean /= double(values.size());
    for (const double v : values) var += (std::ldexp(v, -e) - mean) * (std::ldexp(v, -e) - mean);
    const double sd = std::ldexp(std::sqrt(var / double(values.size())), e);
    return {std::ldexp(mean, e), sd > 0 ? sd : 1};
}

// (v - mean) / scale, also where v - mean alone overflows (values of both signs near the
// double range): then from the halves, which are exact at that size.
double standardize(double v, double mean, double scale) {
    const double z = (v - mean) / scale;
    return std::isfinite(z) ? z : (v / 2 - mean / 2) / scale * 2;
}

Preprocessor::Target fit_target(const Table& table, const TargetSpec& given, std::span<const int> train) {
    const Column& column = table.columns[std::size_t(table.column(given.column))];
    const TargetSpec spec = detail::decide_kind(column, given);
    auto fail = [&](const std::string& what) { throw DataError(table.source, 0, column.name, what); };
    Preprocessor::Target t;
    t.column = spec.column;
    t.kind = spec.kind;
    std::size_t labelled = 0;
    for (const int r : train) labelled += !column.is_missing(std::size_t(r));
    if (labelled == 0) fail("no training row has a value for this target");
    switch (spec.kind) {
    case TargetKind::binary: {
        t.positive = spec.positive;
        const Positive positive(column, t.positive);
        bool occurs = false;
        for (std::size_t r = 0; r < std::size_t(table.rows()) && !occurs; ++r) occurs = positive(column, r);
        if (!occurs) fail("the positive value \"" + t.positive + "\" of this binary target occurs nowhere in the column");
        break;
    }
    case TargetKind::regression:
    case TargetKind::logregression: {
        for (std::size_t r = 0; r < std::size_t(table.rows()); ++r)
            if (!column.is_missing(r)) target_value(table, column, r, spec.kind);  // checks every field
        std::vector<double> values;
        for (const int r : train)
            if (!column.is_missing(std::size_t(r))) values.push_back(target_value(table, column, std::size_t(r), spec.kind));
        std::tie(t.mean, t.scale) = moments(values);
        break;
    }
    case TargetKind::multiclass:
        t.levels = detail::sorted_levels(column, train);
        if (t.levels.size() < 2) fail("a multiclass target needs at least 2 classes among the training rows; it has " + std::to_string(t.levels.size()));
        break;
    }
    return t;
}

Preprocessor::Feature fit_feature(const Table& table, const Column& column, ColumnType type, std::span<const int> train, int max_levels) {
    Preprocessor::Feature f;
    f.column = column.name;
    f.type = type;
    for (const int r : train) f.missing_indicator = f.missing_indicator || column.is_missing(std::size_t(r));
    if (type == ColumnType::categorical) {
        f.levels = detail::sorted_levels(column, train);
        if (f.levels.size() > std::size_t(std::max(0, max_levels)))
            throw DataError(table.source, 0, column.name,
                            std::to_string(f.levels.size()) + " distinct values among the training rows, more than the limit of " + std::to_string(max_levels) +
                                " for a categorical feature (one input each): an identifier or free text? Drop the column, read it as numbers, or raise the limit "
                                "(hyda: --drop, --type COLUMN=numeric, --max-levels)");
        return f;
    }
    for (std::size_t r = 0; r < std::size_t(table.rows()); ++r)
        if (!column.is_missing(r) && !column.is_number(r))
            throw DataError(table.source, table.lines[r], column.name, '"' + column.text(r) + "\" is not a number, and the column is numeric");
    std::vector<double> values;
    for (const int r : train)
        if (column.is_number(std::size_t(r))) values.push_back(column.numbers[std::size_t(r)]);
    if (!values.empty()) std::tie(f.mean, f.scale) = moments(values);
    return f;
}

}  // namespace

TargetSpec parse_target(std::string_view text) {
    auto fail = [&](const std::string& what) { throw std::invalid_argument("target \"" + std::string(text) + "\": " + what); };
    TargetSpec t;
    if (const auto eq = text.find('='); eq != std::string_view::npos) {
        t.column = text.substr(0, eq);
        t.positive = text.substr(eq + 1);
        if (t.positive.empty()) fail("no positive value after '='");
    } else if (const auto colon = text.rfind(':'); colon != std::string_view::npos) {
        t.column = text.substr(0, colon);
        const std::string_view kind = text.substr(colon + 1);
        if (kind == "binary") t.positive = "1";
        else if (kind == "regression") t.kind = TargetKind::regression;
        else if (kind == "logregression") t.kind = TargetKind::logregression;
        else if (kind == "multiclass") t.kind = TargetKind::multiclass;
        else fail("unknown kind \"" + std::string(kind) + "\" (binary, regression, logregression, multiclass)");
    } else {
        t.column = text;
    }
    if (t.column.empty()) fail("no column name");
    return t;
}

Preprocessor Preprocessor::fit(const Table& table, const DataSpec& spec, std::span<const int> train_rows) {
    check_rows(table, train_rows, "Preprocessor::fit");
    if (spec.targets.empty()) throw std::invalid_argument("Preprocessor::fit: no target (the first is the main task)");
    if (train_rows.empty()) throw DataError(table.source, 0, "", "no training rows");
    enum Role : char { feature, target, dropped };
    std::vector<Role> role(table.columns.size(), feature);
    for (const std::string& name : spec.drop) role[std::size_t(table.column(name))] = dropped;
    for (const TargetSpec& t : spec.targets) {
        Role& r = role[std::size_t(table.column(t.column))];
        if (r == target) throw DataError(table.source, 0, t.column, "listed as a target twice");
        if (r == dropped) throw DataError(table.source, 0, t.column, "both a target and dropped");
        r = target;
    }
    std::vector<ColumnType> types(table.columns.size());
    for (std::size_t c = 0; c < types.size(); ++c) types[c] = table.columns[c].all_numbers() ? ColumnType::numeric : ColumnType::categorical;
    for (const auto& [name, type] : spec.types) {
        const auto c = std::size_t(table.column(name));
        if (role[c] == target) throw DataError(table.source, 0, name, "a target is never also a feature, so it takes no feature type");
        types[c] = type;
    }

    Preprocessor p;
    for (const TargetSpec& t : spec.targets) p.targets.push_back(fit_target(table, t, train_rows));
    for (std::size_t c = 0; c < table.columns.size(); ++c)
        if (role[c] == feature) p.features.push_back(fit_feature(table, table.columns[c], types[c], train_rows, spec.max_levels));
    if (p.inputs() == 0) throw DataError(table.source, 0, "", "no feature left: every column is a target or dropped");
    if (std::int64_t(p.inputs()) > spec.max_encoded_values / std::max(1, table.rows()))
        throw DataError(table.source, 0, "",
                        "encoded, the data would hold " + std::to_string(table.rows()) + " rows x " + std::to_string(p.inputs()) + " inputs, more than the limit of " +
                            std::to_string(spec.max_encoded_values) + " values: drop wide categorical columns");
    return p;
}

int Preprocessor::inputs() const {
    int n = 0;
    for (const Feature& f : features) n += (f.type == ColumnType::numeric ? 1 : int(f.levels.size())) + int(f.missing_indicator);
    return n;
}

std::vector<std::string> Preprocessor::input_names() const {
    std::vector<std::string> names;
    for (const Feature& f : features) {
        if (f.type == ColumnType::numeric) names.push_back(f.column);
        for (const std::string& level : f.levels) names.push_back(f.column + '=' + level);
        if (f.missing_indicator) names.push_back(f.column + ":missing");
    }
    return names;
}

std::vector<TaskSpec> Preprocessor::tasks() const {
    std::vector<TaskSpec> tasks;
    for (const Target& t : targets) {
        TaskSpec& task = tasks.emplace_back();
        task.name = t.column;
        if (t.kind == TargetKind::regression || t.kind == TargetKind::logregression) task.kind = TaskKind::regression;
        if (t.kind == TargetKind::multiclass) {
            task.kind = TaskKind::multiclass;
            task.classes = int(t.levels.size());
        }
    }
    return tasks;
}

template <class T>
Dataset<T> Preprocessor::transform(const Table& table, std::span<const int> rows, bool labels) const {
    check_rows(table, rows, "Preprocessor::transform");
    Dataset<T> d;
    d.rows = int(rows.size());
    d.features = inputs();
    const auto width = std::size_t(d.features);
    d.x.assign(rows.size() * width, T(0));
    // The table's columns by name, indexed once: Table::column searches them all, and a
    // search per feature made encoding a wide table quadratic in its columns.
    std::unordered_map<std::string_view, std::size_t> by_name;
    for (std::size_t c = 0; c < table.columns.size(); ++c) by_name.emplace(table.columns[c].name, c);
    auto column_of = [&](const std::string& name) -> const Column& {
        const auto it = by_name.find(name);
        return table.columns[it != by_name.end() ? it->second : std::size_t(table.column(name))];  // throws naming it
    };
    std::size_t offset = 0;  // of the feature's first input
    for (const Feature& f : features) {
        const Column& column = column_of(f.column);
        const std::size_t values = f.type == ColumnType::numeric ? 1 : f.levels.size();
        const std::optional<LevelIndex> level = f.type == ColumnType::categorical ? std::optional<LevelIndex>(std::in_place, column, f.levels) : std::nullopt;
        for (std::size_t i = 0; i < rows.size(); ++i) {
            const auto r = std::size_t(rows[i]);
            T* x = d.x.data() + i * width + offset;
            if (column.is_missing(r)) {
                if (f.missing_indicator) x[values] = T(1);
            } else if (level) {
                if (const int l = (*level)(r); l >= 0) x[l] = T(1);
            } else if (column.is_number(r)) {
                x[0] = T(standardize(column.numbers[r], f.mean, f.scale));
            } else {
                throw DataError(table.source, table.lines[r], column.name, '"' + column.text(r) + "\" is not a number, and the column is numeric");
            }
        }
        offset += values + std::size_t(f.missing_indicator);
    }

    d.labels.assign(targets.size(), std::vector<T>(rows.size(), T(kNaN)));
    if (!labels) return d;
    for (std::size_t k = 0; k < targets.size(); ++k) {
        const Target& t = targets[k];
        const Column& column = column_of(t.column);
        const Positive positive(column, t.positive);
        const std::optional<LevelIndex> level = t.kind == TargetKind::multiclass ? std::optional<LevelIndex>(std::in_place, column, t.levels) : std::nullopt;
        for (std::size_t i = 0; i < rows.size(); ++i) {
            const auto r = std::size_t(rows[i]);
            T& y = d.labels[k][i];
            if (column.is_missing(r)) continue;
            switch (t.kind) {
            case TargetKind::binary: y = T(positive(column, r) ? 1 : 0); break;
            case TargetKind::regression:
            case TargetKind::logregression: y = T(standardize(target_value(table, column, r, t.kind), t.mean, t.scale)); break;
            case TargetKind::multiclass:
                if (const int l = (*level)(r); l >= 0) y = T(l);  // a class unseen in training stays masked
                break;
            }
        }
    }
    return d;
}

double Preprocessor::to_target_units(int k, double output) const {
    if (k < 0 || k >= int(targets.size())) throw std::invalid_argument("to_target_units: no target " + std::to_string(k));
    const Target& t = targets[std::size_t(k)];
    switch (t.kind) {
    case TargetKind::regression: return output * t.scale + t.mean;
    case TargetKind::logregression: return std::expm1(output * t.scale + t.mean);
    default: return output;
    }
}

template Dataset<float> Preprocessor::transform<float>(const Table&, std::span<const int>, bool) const;
template Dataset<double> Preprocessor::transform<double>(const Table&, std::span<const int>, bool) const;

}  // namespace hyda::mtl
