#pragma once
// compare's results: per method, the main task's test metrics over the seeds (mean and
// sample standard deviation), the paired difference to equal weights in the first of
// them with a paired t-test and a Wilcoxon signed-rank test, epochs and time per run;
// as an aligned text table, as Markdown, and one CSV row per run.
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "compare_runs.hpp"

namespace hyda::cli {

struct MeanSd {
    double mean = 0, sd = 0;  // sd NaN for one value
};

struct MethodSummary {
    std::string label;
    std::vector<MeanSd> metrics;  // one per CompareSummary::metrics
    struct Difference {
        MeanSd value;
        double t_p = 1, wilcoxon_p = 1;
    };
    std::optional<Difference> vs_baseline;  // none for the baseline itself
    double epochs = 0, seconds = 0, seconds_per_epoch = 0;  // means over the seeds
};

struct CompareSummary {
    std::string main_task, kind;
    std::vector<std::string> metrics;     // roc_auc and pr_auc (binary), accuracy (multiclass), rmse (regression)
    std::optional<std::size_t> baseline;  // the method the others are paired with, if compared
    std::size_t seeds = 0;
    std::vector<MethodSummary> methods;
};

// The main task's test value of `metric` in a run, NaN where it is undefined.
double test_value(const RunRecord& run, const std::string& metric);

// The paired differences go to methods[baseline] (none without a baseline).
CompareSummary summarize(const CompareSetup& c, const CompareRuns& runs, std::optional<std::size_t> baseline);
std::string summary_text(const CompareSummary& s);
std::string summary_markdown(const CompareSummary& s);
// method, seed, test_<metric>..., epochs, seconds, seconds_per_epoch, best_epoch
void write_results_csv(const std::filesystem::path& file, const CompareSetup& c, const CompareRuns& runs, const CompareSummary& s);

}  // namespace hyda::cli
