#pragma once
// Metrics as the commands print them: JSON (numbers that read back exactly; an undefined
// metric is null; keys in the order evaluate() gives them, as in all the commands' JSON
// output: ordered_json) and aligned text.
#include <nlohmann/json.hpp>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "hyda/mtl/trainer.hpp"

namespace hyda::cli {

// {metric: value or null} of one task.
nlohmann::ordered_json metrics_json(const mtl::TaskMetrics& m);
// {task: {metric: value or null}}.
nlohmann::ordered_json metrics_json(const std::vector<mtl::TaskMetrics>& all);
// One line per task: "  title  task  metric value  metric value ...".
void print_metrics(std::ostream& out, const std::string& title, const std::vector<mtl::TaskMetrics>& all);
// A value with `digits` decimals, "-" for none.
std::string fixed(std::optional<double> v, int digits = 4);

}  // namespace hyda::cli
