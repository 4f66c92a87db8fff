#pragma once
// Internal: "key=value" strategy options, parsed with clear errors.
#include <cmath>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace hyda::mtl::detail {

class Options {
public:
    Options(const std::string& strategy, const std::vector<std::string>& items) : strategy_(strategy) {
        for (const std::string& item : items) {
            const auto eq = item.find('=');
            if (eq == std::string::npos || eq == 0) throw std::invalid_argument(strategy + ": option '" + item + "' is not key=value");
            if (!values_.emplace(item.substr(0, eq), item.substr(eq + 1)).second)
                throw std::invalid_argument(strategy + ": option " + item.substr(0, eq) + " is given twice");
        }
    }

    std::string text(const std::string& key, const std::string& fallback, const std::vector<std::string>& allowed) {
        const std::string v = take(key, fallback);
        for (const auto& a : allowed)
            if (v == a) return v;
        std::string list;
        for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
        throw std::invalid_argument(strategy_ + ": option " + key + "=" + v + " (expected one of: " + list + ")");
    }

    // A finite number.
    double number(const std::string& key, double fallback) {
        const std::string v = take(key, "");
        return v.empty() ? fallback : parse(key, v);
    }

    // A comma-separated list of finite numbers (e.g. static weights); every item non-empty.
    std::vector<double> numbers(const std::string& key) {
        std::vector<double> out;
        const std::string v = take(key, "");
        if (v.empty()) return out;
        for (std::size_t start = 0;;) {
            const std::size_t end = std::min(v.find(',', start), v.size());
            out.push_back(parse(key, v.substr(start, end - start)));
            if (end == v.size()) return out;
            start = end + 1;
        }
    }

    // One finite number per task (static weights, a preference vector): `tasks` of them,
    // comma-separated. Absent, `fallback` for every task, or an error without one.
    std::vector<double> per_task(const std::string& key, std::size_t tasks, std::optional<double> fallback = std::nullopt) {
        std::vector<double> out = numbers(key);
        if (out.empty() && fallback) out.assign(tasks, *fallback);
        if (out.size() != tasks)
            throw std::invalid_argument(strategy_ + ": " + key + "= needs " + std::to_string(tasks) + " comma-separated values, got " + std::to_string(out.size()));
        return out;
    }

    // Every option must have been read: an unknown key is a typo.
    void finish() const {
        for (const auto& [key, value] : values_)
            if (!read_.count(key)) throw std::invalid_argument(strategy_ + ": unknown option '" + key + "'");
    }

private:
    double parse(const std::string& key, const std::string& text) const {
        std::size_t used = 0;
        double x = 0;
        try {
            x = std::stod(text, &used);
        } catch (const std::exception&) {
            used = 0;
        }
        if (text.empty() || used != text.size() || !std::isfinite(x))
            throw std::invalid_argument(strategy_ + ": option " + key + ": '" + text + "' is not a finite number");
        return x;
    }

    std::string take(const std::string& key, const std::string& fallback) {
        read_[key] = true;
        const auto it = values_.find(key);
        return it == values_.end() ? fallback : it->second;
    }

    std::string strategy_;
    std::map<std::string, std::string> values_;
    std::map<std::string, bool> read_;
};

}  // namespace hyda::mtl::detail
