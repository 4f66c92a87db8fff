#include "report.hpp"

#include <cstdio>

namespace hyda::cli {

nlohmann::ordered_json metrics_json(const mtl::TaskMetrics& m) {
    nlohmann::ordered_json j = nlohmann::ordered_json::object();
    for (const auto& [name, value] : m.values) j[name] = value ? nlohmann::ordered_json(*value) : nlohmann::ordered_json(nullptr);
    return j;
}

nlohmann::ordered_json metrics_json(const std::vector<mtl::TaskMetrics>& all) {
    nlohmann::ordered_json j = nlohmann::ordered_json::object();
    for (const auto& m : all) j[m.task] = metrics_json(m);
    return j;
}

void print_metrics(std::ostream& out, const std::string& title, const std::vector<mtl::TaskMetrics>& all) {
    std::size_t width = 0;
    for (const auto& m : all) width = std::max(width, m.task.size());
    for (const auto& m : all) {
        out << title << "  " << m.task << std::string(width - m.task.size(), ' ');
        for (const auto& [name, value] : m.values) out << "  " << name << ' ' << fixed(value);
        out << '\n';
    }
}

std::string fixed(std::optional<double> v, int digits) {
    if (!v) return "-";
    char text[64];
    std::snprintf(text, sizeof text, "%.*f", digits, *v);
    return text;
}

}  // namespace hyda::cli
