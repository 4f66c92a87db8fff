#include "tabular.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <fstream>
#include <map>
#include <optional>
#include <stdexcept>

#include "hyda/autodiff/random.hpp"

namespace hyda::experiments {

namespace {

// The fields of one line. Throws a message without the location; the caller adds it.
std::vector<std::string> split_line(const std::string& line) {
    std::vector<std::string> fields;
    std::size_t i = 0;
    while (true) {
        std::string field;
        if (i < line.size() && line[i] == '"') {
            for (++i;; ++i) {
                if (i == line.size()) throw std::runtime_error("quoted field not closed on its line (line breaks inside fields are not supported)");
                if (line[i] == '"') {
                    if (i + 1 < line.size() && line[i + 1] == '"') {
                        field += '"';
                        ++i;
                    } else {
                        ++i;
                        break;
                    }
                } else {
                    field += line[i];
                }
            }
            if (i < line.size() && line[i] != ',') throw std::runtime_error("text after the closing quote of field " + std::to_string(fields.size() + 1));
        } else {
            const std::size_t end = std::min(line.find(',', i), line.size());
            field = line.substr(i, end - i);
            if (field.find('"') != std::string::npos) throw std::runtime_error("quote inside unquoted field " + std::to_string(fields.size() + 1));
            i = end;
        }
        fields.push_back(std::move(field));
        if (i == line.size()) return fields;
        ++i;  // the comma
    }
}

std::optional<double> number(const std::string& s) {
    double v = 0;
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || end != s.data() + s.size() || !std::isfinite(v)) return std::nullopt;
    return v;
}

// Mean and standard deviation (divisor n) of values at the given rows; sd 1 if constant.
std::pair<double, double> moments(const std::vector<double>& values, std::span<const int> rows) {
    double mean = 0, var = 0;
    for (int r : rows) mean += values[std::size_t(r)];
    mean /= double(rows.size());
    for (int r : rows) var += (values[std::size_t(r)] - mean) * (values[std::size_t(r)] - mean);
    const double sd = std::sqrt(var / double(rows.size()));
    return {mean, sd > 0 ? sd : 1};
}

}  // namespace

int Table::column(const std::string& name) const {
    const auto it = std::find(header.begin(), header.end(), name);
    if (it == header.end()) throw std::invalid_argument("no column '" + name + "'");
    return int(it - header.begin());
}

Table read_csv(const std::string& path) {
    std::ifstream in(path);
    if (!in) throw std::runtime_error("cannot read " + path);
    Table t;
    std::string line;
    for (int number = 1; std::getline(in, line); ++number) {
        if (!line.empty() && line.back() == '\r') line.pop_back();  // CRLF, as RFC 4180 writes it
        auto fail = [&](const std::string& what) { throw std::runtime_error(path + ":" + std::to_string(number) + ": " + what); };
        std::vector<std::string> fields;
        try {
            fields = split_line(line);
        } catch (const std::runtime_error& e) {
            fail(e.what());
        }
        if (number == 1) {
            t.header = std::move(fields);
            continue;
        }
        if (fields.size() != t.header.size()) fail(std::to_string(fields.size()) + " fields, the header has " + std::to_string(t.header.size()));
        for (std::size_t c = 0; c < fields.size(); ++c)
            if (fields[c].empty()) fail("column '" + t.header[c] + "' is empty (missing values are not supported)");
        t.rows.push_back(std::move(fields));
    }
    if (t.header.empty()) throw std::runtime_error(path + ": no header");
    return t;
}

Prepared prepare(const Table& table, const Encoding& encoding, const std::array<std::vector<int>, 3>& parts) {
    const std::span<const int> train(parts[0]);
    if (train.empty()) throw std::invalid_argument("prepare: no training rows");
    const std::size_t n = table.rows.size();
    auto numbers = [&](int c) -> std::optional<std::vector<double>> {
        std::vector<double> v(n);
        for (std::size_t r = 0; r < n; ++r) {
            const auto x = number(table.rows[r][std::size_t(c)]);
            if (!x) return std::nullopt;
            v[r] = *x;
        }
        return v;
    };

    Prepared out;
    mtl::Dataset<float> all;
    all.rows = int(n);
    std::vector<bool> used(table.header.size(), false);
    for (const std::string& d : encoding.drop) used[std::size_t(table.column(d))] = true;
    for (const Target& target : encoding.targets) {
        const int c = table.column(target.column);
        used[std::size_t(c)] = true;
        mtl::TaskSpec task{target.column, target.kind, 2, 0, {}};
        std::vector<float> labels(n);
        if (target.kind == mtl::TaskKind::binary) {
            for (std::size_t r = 0; r < n; ++r) labels[r] = table.rows[r][std::size_t(c)] == target.positive ? 1.0f : 0.0f;
        } else if (target.kind == mtl::TaskKind::regression) {
            auto v = numbers(c);
            if (!v) throw std::invalid_argument("regression target '" + target.column + "' is not numeric");
            if (target.log1p)
                for (double& x : *v) x = std::log1p(x);
            const auto [mean, sd] = moments(*v, train);
            for (std::size_t r = 0; r < n; ++r) labels[r] = float(((*v)[r] - mean) / sd);
        } else {
            std::vector<std::string> levels;
            for (const auto& row : table.rows) levels.push_back(row[std::size_t(c)]);
            std::sort(levels.begin(), levels.end());
            levels.erase(std::unique(levels.begin(), levels.end()), levels.end());
            task.classes = int(levels.size());
            for (std::size_t r = 0; r < n; ++r)
                labels[r] = float(std::lower_bound(levels.begin(), levels.end(), table.rows[r][std::size_t(c)]) - levels.begin());
        }
        out.tasks.push_back(task);
        all.labels.push_back(std::move(labels));
    }

    // Feature columns, each with a value for every row, named in out.features.
    std::vector<std::vector<float>> columns;
    for (std::size_t c = 0; c < table.header.size(); ++c) {
        if (used[c]) continue;
        if (auto v = numbers(int(c))) {
            const auto [mean, sd] = moments(*v, train);
            std::vector<float>& col = columns.emplace_back(n);
            for (std::size_t r = 0; r < n; ++r) col[r] = float(((*v)[r] - mean) / sd);
            out.features.push_back(table.header[c]);
            continue;
        }
        std::vector<std::string> levels;
        for (int r : train) levels.push_back(table.rows[std::size_t(r)][c]);
        std::sort(levels.begin(), levels.end());
        levels.erase(std::unique(levels.begin(), levels.end()), levels.end());
        for (const std::string& level : levels) {
            std::vector<float>& col = columns.emplace_back(n);
            for (std::size_t r = 0; r < n; ++r) col[r] = table.rows[r][c] == level ? 1.0f : 0.0f;
            out.features.push_back(table.header[c] + "=" + level);
        }
    }
    all.features = int(columns.size());
    all.x.resize(n * columns.size());
    for (std::size_t r = 0; r < n; ++r)
        for (std::size_t f = 0; f < columns.size(); ++f) all.x[r * columns.size() + f] = columns[f][r];
    out.data = {all.subset(parts[0]), all.subset(parts[1]), all.subset(parts[2])};
    return out;
}

std::array<std::vector<int>, 3> stratified_split(std::span<const int> strata, double first, double second, std::uint64_t seed) {
    if (!(first >= 0 && second >= 0 && first + second <= 1)) throw std::invalid_argument("stratified_split: fractions must be >= 0 and sum to <= 1");
    std::map<int, std::vector<int>> groups;
    for (std::size_t r = 0; r < strata.size(); ++r) groups[strata[r]].push_back(int(r));
    ad::Rng rng(seed);
    std::array<std::vector<int>, 3> parts;
    for (auto& [stratum, rows] : groups) {
        ad::shuffle(rows.begin(), rows.end(), rng);
        const double m = double(rows.size());
        const auto a = rows.begin() + std::lround(first * m), ab = rows.begin() + std::lround((first + second) * m);
        parts[0].insert(parts[0].end(), rows.begin(), a);
        parts[1].insert(parts[1].end(), a, ab);
        parts[2].insert(parts[2].end(), ab, rows.end());
    }
    return parts;
}

}  // namespace hyda::experiments
