// compare on a tiny problem: one row per method and seed, and within a seed every method
// starts from the same split, initial weights and first batch.
#include <catch2/catch.hpp>

#include <cstdio>
#include <sstream>

#include "cli_test_support.hpp"
#include "compare_runs.hpp"
#include "hyda/mtl/table.hpp"

using namespace cli_test;
using namespace hyda;

TEST_CASE("compare: 2 methods x 2 seeds give results.csv with 4 rows, results.md and plots", "[cli]") {
    TempDir dir("compare");
    write_file(dir / "data.csv", small_csv(300));
    const Result r = run_hyda(std::vector<std::string>{"compare"} + small_task_options(dir / "data.csv") +
                          std::vector<std::string>{"--methods", "ew,hydalearn", "--seeds", "2", "--jobs", "2", "--out", dir / "out"});
    INFO(r.err);
    REQUIRE(r.code == 0);
    CHECK_THAT(r.out, Catch::Contains("roc_auc") && Catch::Contains("hydalearn") && Catch::Contains("Wilcoxon p"));
    CHECK_THAT(r.err, Catch::Contains("4/4 runs"));
    const mtl::Table results = mtl::read_table(dir / "out/results.csv");
    CHECK(results.rows() == 4);
    std::vector<std::string> names;
    for (const auto& c : results.columns) names.push_back(c.name);
    CHECK(names == std::vector<std::string>{"method", "seed", "test_roc_auc", "test_pr_auc", "epochs", "seconds", "seconds_per_epoch", "best_epoch"});
    const auto& method = results.columns[0];
    CHECK(method.text(0) == "ew");
    CHECK(method.text(3) == "hydalearn");
    for (const double auc : results.columns[2].numbers) CHECK((auc > 0.5 && auc <= 1));
    const std::string md = read_file(dir / "out/results.md");
    CHECK_THAT(md, Catch::Contains("hyda compare --data") && Catch::Contains("CPU:") && Catch::Contains(" path, ") && Catch::Contains("| hydalearn |"));
    for (const char* plot : {"test_roc_auc", "validation", "weights_per_epoch_hydalearn", "weights_per_step_hydalearn"}) {
        CHECK(std::filesystem::exists(dir / (std::string("out/") + plot + ".gp")));
        CHECK(std::filesystem::exists(dir / (std::string("out/") + plot + ".dat")));
    }
    // Equal weights never change: no weight plots for ew.
    CHECK_FALSE(std::filesystem::exists(dir / "out/weights_per_epoch_ew.gp"));
    CHECK_FALSE(std::filesystem::exists(dir / "out/weights_per_step_ew.gp"));
}

TEST_CASE("compare: runs of one seed share the split, initial weights and batch order", "[cli]") {
    TempDir dir("compare_pairs");
    write_file(dir / "data.csv", small_csv(300));
    const mtl::Table table = mtl::read_table(dir / "data.csv");
    cli::DataOptions data;
    data.data = dir / "data.csv";
    data.main = "label=yes";
    data.aux = {"score:regression", "grade:multiclass"};
    data.drop = {"id"};
    cli::TrainingSetup setup;
    setup.trunk = {16};
    setup.batch = 32;
    setup.epochs = 2;
    const std::vector<cli::Method> methods = {cli::parse_method("stl", 3), cli::parse_method("ew", 3)};
    std::ostringstream progress;
    const cli::CompareRuns runs = cli::run_compare({table, data, setup, methods, {1, 2}, 2, 2}, &progress);
    REQUIRE(runs.runs.size() == 4);
    // The losses of every task on the first step, before any update: the initial weights
    // and the first batch alone decide them.
    auto first_losses = [&](std::size_t i) {
        std::istringstream in(runs.runs[i].trace);
        const mtl::Table trace = mtl::read_table(in, "trace");
        std::vector<double> losses;
        for (const char* task : {"loss_label", "loss_score", "loss_grade"}) losses.push_back(trace.columns[std::size_t(trace.column(task))].numbers.at(0));
        return losses;
    };
    // runs[m * seeds + s]
    CHECK(first_losses(0) == first_losses(2));  // seed 1: stl and ew
    CHECK(first_losses(1) == first_losses(3));  // seed 2
    CHECK(first_losses(0) != first_losses(1));  // the seed matters
    // ...and then the methods part ways.
    CHECK(runs.runs[0].report.result.epochs.back().train_loss != runs.runs[2].report.result.epochs.back().train_loss);
}

TEST_CASE("compare: a CSV given only its column names, with missing labels in an auxiliary task", "[cli]") {
    TempDir dir("compare_missing_aux");
    // Features f1, f2 and a category; a 0/1 main task "target" and a numeric auxiliary
    // "level", empty in about 30% of the rows. No kinds on the command line: the data
    // decides them (binary, regression).
    ad::Rng rng(3);
    std::ostringstream csv;
    csv.precision(6);
    csv << "f1,f2,kind,target,level\n";
    const char* kinds[] = {"p", "q"};
    int missing = 0;
    for (int i = 0; i < 400; ++i) {
        const double f1 = rng.normal(), f2 = rng.normal();
        csv << f1 << ',' << f2 << ',' << kinds[rng.below(2)] << ',' << (f1 - f2 + 0.7 * rng.normal() > 0 ? 1 : 0) << ',';
        if (rng.uniform() < 0.3) ++missing;
        else csv << 10 + 3 * f1 + rng.normal();
        csv << '\n';
    }
    CHECK((missing > 90 && missing < 150));
    write_file(dir / "data.csv", csv.str());
    const Result r = run_hyda({"compare", "--data", dir / "data.csv", "--main", "target", "--aux", "level", "--methods", "ew,hydalearn", "--seeds", "2",
                               "--trunk", "8", "--epochs", "4", "--batch", "32", "--out", dir / "out", "--quiet"});
    INFO(r.err);
    REQUIRE(r.code == 0);
    CHECK(mtl::read_table(dir / "out/results.csv").rows() == 4);
}

TEST_CASE("compare: --baseline pairs every method with the one named", "[cli]") {
    TempDir dir("compare_baseline");
    write_file(dir / "data.csv", small_csv(300));
    const auto options = std::vector<std::string>{"compare"} + small_task_options(dir / "data.csv");
    const Result r = run_hyda(options + std::vector<std::string>{"--methods", "stl,ew", "--seeds", "3", "--baseline", "stl", "--out", dir / "out", "--quiet"});
    INFO(r.err);
    REQUIRE(r.code == 0);
    CHECK_THAT(r.out, Catch::Contains("roc_auc - stl"));
    // The ew row's difference is the mean over seeds of ew - stl, recomputed from results.csv.
    const mtl::Table results = mtl::read_table(dir / "out/results.csv");
    const mtl::Column& method = results.columns[std::size_t(results.column("method"))];
    const mtl::Column& auc = results.columns[std::size_t(results.column("test_roc_auc"))];
    std::vector<double> stl, ew;
    for (int i = 0; i < results.rows(); ++i) (method.text(std::size_t(i)) == "stl" ? stl : ew).push_back(auc.numbers[std::size_t(i)]);
    REQUIRE((stl.size() == 3 && ew.size() == 3));
    const double mean = ((ew[0] - stl[0]) + (ew[1] - stl[1]) + (ew[2] - stl[2])) / 3;
    char expected[32];
    std::snprintf(expected, sizeof expected, "%.4f +- ", mean);
    CHECK_THAT(r.out, Catch::Contains(expected));

    const Result unknown = run_hyda(options + std::vector<std::string>{"--methods", "stl,ew", "--baseline", "pcgrad"});
    CHECK(unknown.code == 2);
    CHECK_THAT(unknown.err, Catch::Contains("--baseline"));
}
