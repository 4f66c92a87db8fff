// hyda compare: weighting methods over several seeds, with paired statistics, a table,
// and with --out a results folder (CSV, Markdown, plots).
#include <CLI/CLI.hpp>
#include <filesystem>
#include <fstream>
#include <memory>
#include <set>
#include <thread>

#include "commands.hpp"
#include "compare_plots.hpp"
#include "compare_runs.hpp"
#include "compare_summary.hpp"
#include "exit_codes.hpp"
#include "machine.hpp"

namespace hyda::cli {
namespace {

struct CompareCommand {
    DataOptions data;
    TrainingSetup setup;
    std::vector<std::string> methods = {"stl", "ew", "hydalearn"};
    int seeds = 5;
    std::string out;
    int jobs = int(std::max(1u, std::thread::hardware_concurrency()));
    std::string baseline = "ew";
    bool quiet = false;
};

// The index of the baseline among the methods: the method listed as `baseline`, or for
// the default "ew" equal weights under any of its names. An explicit baseline that is not
// compared is a usage error; the default one may be absent (no paired differences).
std::optional<std::size_t> baseline_index(const std::vector<Method>& methods, const std::string& baseline) {
    for (std::size_t m = 0; m < methods.size(); ++m) {
        const bool equal_weights = methods[m].strategy == "equal" && methods[m].options.empty() && !methods[m].oracle;
        if (methods[m].label == baseline || (baseline == "ew" && equal_weights)) return m;
    }
    if (baseline != "ew") throw UsageError("--baseline: " + baseline + " is not among --methods");
    return std::nullopt;
}

// CLI11 splits --methods at every comma; a piece that starts like a number continues the
// previous method's option list (static:weights=1,0.5).
std::vector<std::string> join_continuations(const std::vector<std::string>& pieces) {
    std::vector<std::string> out;
    for (const std::string& p : pieces) {
        const bool continues = !p.empty() && (std::isdigit(static_cast<unsigned char>(p[0])) || p[0] == '.' || p[0] == '-');
        if (continues && !out.empty()) out.back() += "," + p;
        else out.push_back(p);
    }
    return out;
}

void write_markdown(const std::filesystem::path& file, const CompareSummary& s, const std::vector<std::string>& plots, const Io& io, int jobs) {
    std::ofstream out(file, std::ios::binary);
    out << "# hyda compare\n\n```\n" << io.command_line << "\n```\n\n"
        << "CPU: " << cpu_description() << "; " << jobs << " runs in parallel.\n\n"
        << summary_markdown(s) << "\nPaired differences and tests are per seed (same split, initial weights and batch order); "
        << "p-values are two-sided (paired t-test; Wilcoxon signed-rank, exact up to 50 seeds).\n\n## Plots\n\n";
    for (const auto& p : plots) out << "![" << p << "](" << p << ")\n";
    if (!out) throw std::runtime_error("cannot write " + file.string());
}

void run_compare_command(const CompareCommand& c, Io& io) {
    apply(c.data);
    check(c.setup);
    if (c.seeds < 1) throw UsageError("--seeds: need at least 1");
    std::vector<Method> methods;
    std::set<std::string> labels;
    for (const std::string& text : join_continuations(c.methods)) {
        methods.push_back(parse_method(text, task_count(c.data)));
        check_method(methods.back(), c.data, c.setup);
        if (!labels.insert(text).second) throw UsageError("--methods: " + text + " is listed twice");
    }
    const std::optional<std::size_t> baseline = baseline_index(methods, c.baseline);
    data_spec(c.data);  // usage errors before the data is read
    if (!c.out.empty()) {
        std::error_code ec;
        std::filesystem::create_directories(c.out, ec);
        if (ec) throw UsageError("--out: cannot create " + c.out + ": " + ec.message());
    }
    const mtl::Table table = mtl::read_table(c.data.data);
    CompareSetup setup{table, c.data, c.setup, methods, {}, c.jobs, c.out.empty() ? 0u : 1u};
    for (int i = 0; i < c.seeds; ++i) setup.seeds.push_back(c.data.seed + std::uint64_t(i));

    const CompareRuns runs = run_compare(setup, c.quiet ? nullptr : &io.err);
    const CompareSummary summary = summarize(setup, runs, baseline);
    io.out << summary_text(summary);
    if (c.out.empty()) return;
    const std::filesystem::path dir = c.out;
    write_results_csv(dir / "results.csv", setup, runs, summary);
    const std::vector<std::string> plots = write_compare_plots(dir, setup, runs, summary, io.err);
    write_markdown(dir / "results.md", summary, plots, io, c.jobs);
    if (!c.quiet) io.err << "compare: wrote " << (dir / "results.csv").string() << ", " << (dir / "results.md").string() << " and " << plots.size() << " plots\n";
}

}  // namespace

Runner add_compare(CLI::App& app) {
    auto c = std::make_shared<CompareCommand>();
    CLI::App* sub = app.add_subcommand("compare", "compare weighting methods over several seeds: a table with paired tests, and with --out a CSV, Markdown and plots");
    add_data_options(*sub, c->data);
    add_training_options(*sub, c->setup);
    sub->add_option("--methods", c->methods,
                    "methods, each NAME[:KEY=VALUE...] (e.g. hydalearn:gain=exact); names: " + method_names() +
                        " (oracle: equal weights, each task's rows weighted by max(0, its --relatedness))")
        ->delimiter(',');
    sub->add_option("--baseline", c->baseline, "the method the paired differences and tests are taken against, as listed in --methods");
    sub->add_option("--seeds", c->seeds, "number of seeds, from --seed on")->check(at_least(1));
    sub->add_option("--out", c->out, "a folder for results.csv, results.md and the plots");
    sub->add_option("--jobs", c->jobs, "runs in parallel (each on --threads kernel threads)")->check(at_least(1));
    sub->add_flag("--quiet", c->quiet, "no progress on stderr");
    return [c](Io& io) { run_compare_command(*c, io); };
}

}  // namespace hyda::cli
