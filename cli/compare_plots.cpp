#include "compare_plots.hpp"

#include <algorithm>
#include <cmath>
#include <functional>
#include <sstream>

#include "hyda/mtl/table.hpp"
#include "plots.hpp"

namespace hyda::cli {
namespace {

// A method's label as part of a file name.
std::string file_part(const std::string& label) {
    std::string out;
    for (const char c : label) out += std::isalnum(static_cast<unsigned char>(c)) || c == '-' ? c : '_';
    return out;
}

// The per-step weights, read back from the trainer's CSV trace.
Plot step_weights(const RunRecord& run, const std::vector<mtl::TaskSpec>& tasks, const std::string& label) {
    std::istringstream in(run.trace);
    const mtl::Table trace = mtl::read_table(in, "trace of " + label);
    const mtl::Column& step = trace.columns[std::size_t(trace.column("step"))];
    const std::size_t steps_per_epoch = run.report.epochs() > 0 ? std::size_t(trace.rows() / run.report.epochs()) : 1;
    const std::size_t window = std::max<std::size_t>(1, steps_per_epoch / 5);
    Plot plot{label + ": task weights per step" + (window > 1 ? " (moving average over " + std::to_string(window) + " steps)" : "") + ", first seed",
              "step", "weight", {}};
    for (const auto& t : tasks) {
        const mtl::Column& coef = trace.columns[std::size_t(trace.column("coef_" + t.name))];
        plot.series.push_back({t.name, step.numbers, moving_average(coef.numbers, window), {}, {}});
    }
    return plot;
}

Plot epoch_weights(const RunRecord& run, const std::vector<mtl::TaskSpec>& tasks, const std::string& label) {
    Plot plot{label + ": mean task weight per epoch, first seed", "epoch", "weight", {}};
    for (std::size_t k = 0; k < tasks.size(); ++k) {
        Series s{tasks[k].name, {}, {}, {}, {}};
        for (const auto& e : run.report.result.epochs) {
            s.x.push_back(e.epoch + 1);
            s.y.push_back(e.mean_coefficients[k]);
        }
        plot.series.push_back(s);
    }
    return plot;
}

// False for fixed weights (stl, ew, static): their weight plots would be flat lines.
// Whether a run's task weights change during training: between epochs, or between the
// steps of its trace (weights that follow each batch can average the same every epoch, as
// the oracle's do when every epoch visits the same rows).
bool weights_vary(const RunRecord& run, const std::vector<mtl::TaskSpec>& tasks) {
    const auto& epochs = run.report.result.epochs;
    if (std::any_of(epochs.begin(), epochs.end(), [&](const mtl::EpochReport& e) { return e.mean_coefficients != epochs.front().mean_coefficients; }))
        return true;
    if (run.trace.empty()) return false;
    std::istringstream in(run.trace);
    const mtl::Table trace = mtl::read_table(in, "trace");
    return std::any_of(tasks.begin(), tasks.end(), [&](const mtl::TaskSpec& t) {
        const std::vector<double>& c = trace.columns[std::size_t(trace.column("coef_" + t.name))].numbers;
        return std::adjacent_find(c.begin(), c.end(), std::not_equal_to<>()) != c.end();
    });
}

Plot validation_curves(const CompareSetup& c, const CompareRuns& runs) {
    const mtl::TaskSpec& main = runs.tasks[0];
    const std::string metric = mtl::main_metric_name(main.kind);
    Plot plot{"validation " + metric + " of " + main.name + " per epoch, mean over the seeds that reached the epoch", "epoch", metric, {}};
    const std::size_t S = c.seeds.size();
    for (std::size_t m = 0; m < c.methods.size(); ++m) {
        std::vector<double> sum, count;
        for (std::size_t i = 0; i < S; ++i) {
            for (const auto& e : runs.runs[m * S + i].report.result.epochs) {
                if (!e.validation_metric) continue;
                if (sum.size() <= std::size_t(e.epoch)) sum.resize(std::size_t(e.epoch) + 1, 0.0), count.resize(std::size_t(e.epoch) + 1, 0.0);
                // The trainer's metric is oriented higher-is-better: -RMSE for regression.
                sum[std::size_t(e.epoch)] += metric == "rmse" ? -*e.validation_metric : *e.validation_metric;
                count[std::size_t(e.epoch)] += 1;
            }
        }
        Series s{c.methods[m].label, {}, {}, {}, {}};
        for (std::size_t e = 0; e < sum.size(); ++e) {
            if (count[e] == 0) continue;
            s.x.push_back(double(e + 1));
            s.y.push_back(sum[e] / count[e]);
        }
        plot.series.push_back(s);
    }
    return plot;
}

Plot test_metric(const CompareSummary& s) {
    Series series{"mean +- sd over " + std::to_string(s.seeds) + " seeds", {}, {}, {}, {}};
    for (std::size_t m = 0; m < s.methods.size(); ++m) {
        series.x.push_back(double(m + 1));
        series.y.push_back(s.methods[m].metrics[0].mean);
        series.error.push_back(std::isnan(s.methods[m].metrics[0].sd) ? 0.0 : s.methods[m].metrics[0].sd);
        series.labels.push_back(s.methods[m].label);
    }
    return {"test " + s.metrics[0] + " of " + s.main_task + " per method", "method", s.metrics[0], {series}};
}

}  // namespace

std::vector<std::string> write_compare_plots(const std::filesystem::path& dir, const CompareSetup& c, const CompareRuns& runs,
                                             const CompareSummary& s, std::ostream& warnings) {
    std::vector<std::string> files;
    auto add = [&](const std::string& name, const Plot& plot) {
        draw(dir / name, plot, warnings);
        files.push_back(name);
    };
    add("test_" + s.metrics[0] + ".svg", test_metric(s));
    add("validation.svg", validation_curves(c, runs));
    const std::size_t S = c.seeds.size();
    for (std::size_t m = 0; m < c.methods.size(); ++m) {
        const RunRecord& first = runs.runs[m * S];
        if (!weights_vary(first, runs.tasks)) continue;
        const std::string label = c.methods[m].label, part = file_part(label);
        add("weights_per_epoch_" + part + ".svg", epoch_weights(first, runs.tasks, label));
        if (!first.trace.empty()) add("weights_per_step_" + part + ".svg", step_weights(first, runs.tasks, label));
    }
    return files;
}

}  // namespace hyda::cli
