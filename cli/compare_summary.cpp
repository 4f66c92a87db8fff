#include "compare_summary.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <limits>
#include <stdexcept>

#include "hyda/mtl/csv.hpp"
#include "hyda/mtl/stats.hpp"

namespace hyda::cli {
namespace {

const double nan = std::numeric_limits<double>::quiet_NaN();

MeanSd mean_sd(const std::vector<double>& v) {
    MeanSd r;
    for (const double x : v) r.mean += x;
    r.mean /= double(v.size());
    if (v.size() < 2) {
        r.sd = nan;
        return r;
    }
    double squares = 0;
    for (const double x : v) squares += (x - r.mean) * (x - r.mean);
    r.sd = std::sqrt(squares / double(v.size() - 1));
    return r;
}

std::string number(double v, int digits) {
    if (std::isnan(v)) return "-";
    char text[64];
    std::snprintf(text, sizeof text, "%.*f", digits, v);
    return text;
}

std::string p_value(double p) {
    if (std::isnan(p)) return "-";
    char text[32];
    std::snprintf(text, sizeof text, p < 1e-3 ? "%.1e" : "%.3f", p);
    return text;
}

std::string plus_minus(const MeanSd& m, int digits) { return number(m.mean, digits) + " +- " + number(m.sd, digits); }

// The table as rows of cells: a header, then one row per method.
std::vector<std::vector<std::string>> cells(const CompareSummary& s) {
    std::vector<std::string> header = {"method"};
    for (const auto& m : s.metrics) header.push_back(m);
    const bool diff = s.baseline.has_value();
    if (diff) {
        const std::string base = s.methods[*s.baseline].label;
        header.insert(header.end(), {s.metrics[0] + " - " + base, "t-test p", "Wilcoxon p"});
    }
    header.insert(header.end(), {"epochs", "s/run", "s/epoch"});
    std::vector<std::vector<std::string>> rows = {header};
    for (const MethodSummary& m : s.methods) {
        std::vector<std::string> row = {m.label};
        for (const MeanSd& v : m.metrics) row.push_back(plus_minus(v, 4));
        if (diff) {
            if (m.vs_baseline) {
                row.insert(row.end(), {plus_minus(m.vs_baseline->value, 4), p_value(m.vs_baseline->t_p), p_value(m.vs_baseline->wilcoxon_p)});
            } else {
                row.insert(row.end(), {"(baseline)", "", ""});
            }
        }
        row.insert(row.end(), {number(m.epochs, 1), number(m.seconds, 2), number(m.seconds_per_epoch, 3)});
        rows.push_back(row);
    }
    return rows;
}

std::string title(const CompareSummary& s) {
    return "main task " + s.main_task + " (" + s.kind + "): test metrics over " + std::to_string(s.seeds) + " seeds, mean +- sd";
}

}  // namespace

double test_value(const RunRecord& run, const std::string& metric) {
    if (run.report.test.empty()) return nan;
    return run.report.test[0].value(metric).value_or(nan);
}

CompareSummary summarize(const CompareSetup& c, const CompareRuns& runs, std::optional<std::size_t> baseline) {
    CompareSummary s;
    s.baseline = baseline;
    const mtl::TaskSpec& main = runs.tasks[0];
    s.main_task = main.name;
    s.kind = main.kind == mtl::TaskKind::binary ? "binary" : main.kind == mtl::TaskKind::multiclass ? "multiclass" : "regression";
    s.metrics = main.kind == mtl::TaskKind::binary ? std::vector<std::string>{"roc_auc", "pr_auc"}
                : main.kind == mtl::TaskKind::multiclass ? std::vector<std::string>{"accuracy"}
                                                         : std::vector<std::string>{"rmse"};
    s.seeds = c.seeds.size();

    auto values = [&](std::size_t m, const std::string& metric) {
        std::vector<double> v;
        for (std::size_t i = 0; i < s.seeds; ++i) v.push_back(test_value(runs.runs[m * s.seeds + i], metric));
        return v;
    };
    for (std::size_t m = 0; m < c.methods.size(); ++m) {
        MethodSummary ms;
        ms.label = c.methods[m].label;
        for (const auto& metric : s.metrics) ms.metrics.push_back(mean_sd(values(m, metric)));
        if (s.baseline && m != *s.baseline) {
            const std::vector<double> a = values(m, s.metrics[0]), b = values(*s.baseline, s.metrics[0]);
            std::vector<double> d;
            for (std::size_t i = 0; i < a.size(); ++i) d.push_back(a[i] - b[i]);
            MethodSummary::Difference diff{mean_sd(d), nan, nan};
            if (std::none_of(d.begin(), d.end(), [](double x) { return std::isnan(x); })) {
                diff.t_p = mtl::paired_t_test(a, b).p;
                diff.wilcoxon_p = mtl::wilcoxon_signed_rank(a, b).p;
            }
            ms.vs_baseline = diff;
        }
        for (std::size_t i = 0; i < s.seeds; ++i) {
            const RunReport& r = runs.runs[m * s.seeds + i].report;
            ms.epochs += r.epochs();
            ms.seconds += r.seconds;
            ms.seconds_per_epoch += r.seconds_per_epoch();
        }
        ms.epochs /= double(s.seeds);
        ms.seconds /= double(s.seeds);
        ms.seconds_per_epoch /= double(s.seeds);
        s.methods.push_back(ms);
    }
    return s;
}

std::string summary_text(const CompareSummary& s) {
    const auto rows = cells(s);
    std::vector<std::size_t> width(rows[0].size(), 0);
    for (const auto& row : rows)
        for (std::size_t i = 0; i < row.size(); ++i) width[i] = std::max(width[i], row[i].size());
    std::string out = title(s) + "\n";
    for (const auto& row : rows) {
        for (std::size_t i = 0; i < row.size(); ++i) {
            const std::string pad(width[i] - row[i].size(), ' ');
            out += i == 0 ? row[i] + pad : "  " + pad + row[i];
        }
        out += '\n';
    }
    if (!s.baseline) out += "(no paired differences: the baseline method is not among the methods)\n";
    return out;
}

std::string summary_markdown(const CompareSummary& s) {
    const auto rows = cells(s);
    std::string out = title(s) + ".\n\n";
    for (std::size_t r = 0; r < rows.size(); ++r) {
        out += "|";
        for (const auto& cell : rows[r]) out += " " + cell + " |";
        out += '\n';
        if (r == 0) {
            out += "|";
            for (std::size_t i = 0; i < rows[r].size(); ++i) out += i == 0 ? " --- |" : " ---: |";
            out += '\n';
        }
    }
    return out;
}

void write_results_csv(const std::filesystem::path& file, const CompareSetup& c, const CompareRuns& runs, const CompareSummary& s) {
    std::string text = "method,seed";
    for (const auto& m : s.metrics) text += ",test_" + m;
    text += ",epochs,seconds,seconds_per_epoch,best_epoch\n";
    char number[64];
    for (const RunRecord& r : runs.runs) {
        mtl::append_csv_field(text, c.methods[r.method].label);
        text += ',' + std::to_string(c.seeds[r.seed]);
        for (const auto& m : s.metrics) {
            std::snprintf(number, sizeof number, ",%.17g", test_value(r, m));
            text += number;
        }
        std::snprintf(number, sizeof number, ",%d,%.6f,%.6f,%d\n", r.report.epochs(), r.report.seconds, r.report.seconds_per_epoch(), r.report.result.best_epoch);
        text += number;
    }
    std::ofstream out(file, std::ios::binary);
    out << text;
    if (!out) throw std::runtime_error("cannot write " + file.string());
}

}  // namespace hyda::cli
