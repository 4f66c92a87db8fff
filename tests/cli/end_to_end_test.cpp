// train -> predict -> eval on a small CSV: the test metrics that train reports come back
// bit for bit, and the main ROC AUC recomputed from predict's CSV agrees.
#include <catch2/catch.hpp>

#include <cmath>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "cli_test_support.hpp"
#include "hyda/mtl/metrics.hpp"
#include "hyda/mtl/preprocess.hpp"
#include "hyda/mtl/table.hpp"

using namespace cli_test;

namespace {

// The labels of the binary task `column=positive` for the rows predict wrote, and
// predict's column for that task: their ROC AUC is the reported one.
void check_roc_auc_from_predictions(const std::string& data, const std::string& predictions, const std::string& column, const std::string& positive,
                                    double reported) {
    const hyda::mtl::Table table = hyda::mtl::read_table(data);
    const hyda::mtl::Table pred = hyda::mtl::read_table(predictions);
    const auto& row = pred.columns[std::size_t(pred.column("row"))].numbers;
    const auto& score = pred.columns[std::size_t(pred.column(column))].numbers;
    const auto& label = table.columns[std::size_t(table.column(column))];
    std::vector<double> y;
    for (const double r : row) y.push_back(label.text(std::size_t(r)) == positive ? 1 : 0);
    CHECK(hyda::mtl::roc_auc(score, y) == reported);
}

void train_predict_eval(const std::string& precision, const std::vector<std::string>& architecture = {}) {
    TempDir dir("e2e_" + precision + (architecture.empty() ? "" : "_" + architecture[1]));
    write_file(dir / "data.csv", small_csv(600));
    const Result train = run_hyda(std::vector<std::string>{"train"} + small_task_options(dir / "data.csv") + architecture +
                              std::vector<std::string>{"--precision", precision, "--out", dir / "model.json", "--report-json", dir / "report.json", "--quiet"});
    INFO(train.err);
    REQUIRE(train.code == 0);
    CHECK(train.err.empty());  // --quiet
    const nlohmann::json report = nlohmann::json::parse(read_file(dir / "report.json"));
    CHECK(report["epochs"].get<int>() >= 1);
    CHECK(report["train_seconds"].get<double>() > 0);
    CHECK(report["task_names"] == nlohmann::json({"label", "score", "grade"}));
    CHECK(report["test"] == report["tasks"]["label"]["test"]);

    const Result predict = run_hyda({"predict", "--model", dir / "model.json", "--data", dir / "data.csv", "--part", "test", "--out", dir / "pred.csv"});
    INFO(predict.err);
    REQUIRE(predict.code == 0);
    const hyda::mtl::Table pred = hyda::mtl::read_table(dir / "pred.csv");
    std::vector<std::string> names;
    for (const auto& c : pred.columns) names.push_back(c.name);
    CHECK(names == std::vector<std::string>{"row", "label", "score", "grade=A", "grade=B", "grade=C"});
    CHECK(pred.rows() == 120);  // 20% of 600
    check_roc_auc_from_predictions(dir / "data.csv", dir / "pred.csv", "label", "yes", report["test"]["roc_auc"].get<double>());

    const Result eval = run_hyda({"eval", "--model", dir / "model.json", "--data", dir / "data.csv", "--part", "test", "--json"});
    INFO(eval.err);
    REQUIRE(eval.code == 0);
    const nlohmann::json metrics = nlohmann::json::parse(eval.out);
    CHECK(metrics["rows"] == 120);
    // Every metric of every task, bit for bit (JSON numbers read back exactly).
    for (const std::string task : {"label", "score", "grade"}) CHECK(metrics["tasks"][task] == report["tasks"][task]["test"]);
    CHECK(metrics["main"]["roc_auc"].get<double>() == report["test"]["roc_auc"].get<double>());
}

}  // namespace

TEST_CASE("train, predict and eval reproduce the reported test metrics (float)", "[cli]") { train_predict_eval("float"); }
TEST_CASE("train, predict and eval reproduce the reported test metrics (double)", "[cli]") { train_predict_eval("double"); }
TEST_CASE("train, predict and eval reproduce the reported test metrics of gated models", "[cli]") {
    train_predict_eval("float", {"--arch", "mmoe", "--experts", "3"});
    train_predict_eval("double", {"--arch", "ple", "--experts", "2", "--task-experts", "1", "--levels", "2"});
}

TEST_CASE("predict on a file without the target columns, all rows, in target units", "[cli]") {
    TempDir dir("predict_features");
    write_file(dir / "data.csv", small_csv(300));
    REQUIRE(run_hyda(std::vector<std::string>{"train"} + small_task_options(dir / "data.csv") + std::vector<std::string>{"--out", dir / "m.json", "--quiet"}).code == 0);
    // The same rows without their targets, plus a color never seen in training.
    std::string features = "id,x1,x2,color\nq1,0.5,-1,red\nq2,1.5,,purple\n";
    write_file(dir / "new.csv", features);
    const Result r = run_hyda({"predict", "--model", dir / "m.json", "--data", dir / "new.csv"});
    INFO(r.err);
    REQUIRE(r.code == 0);
    std::istringstream in(r.out);
    const hyda::mtl::Table pred = hyda::mtl::read_table(in, "stdout");
    REQUIRE(pred.rows() == 2);
    const auto column = [&](const std::string& name) { return pred.columns[std::size_t(pred.column(name))].numbers; };
    CHECK(column("row") == std::vector<double>{0, 1});
    for (const double p : column("label")) CHECK((p > 0 && p < 1));
    for (int i = 0; i < 2; ++i) CHECK(column("grade=A")[std::size_t(i)] + column("grade=B")[std::size_t(i)] + column("grade=C")[std::size_t(i)] == Approx(1));
    // The regression target in its own units (around 100), not standardized (around 0).
    for (const double v : column("score")) CHECK((v > 50 && v < 150));
    // --part needs the training file's rows.
    const Result part = run_hyda({"predict", "--model", dir / "m.json", "--data", dir / "new.csv", "--part", "test"});
    CHECK(part.code == 2);
    CHECK_THAT(part.err, Catch::Contains("the model was trained on"));
}

TEST_CASE("predict writes its CSV whole or not at all", "[cli]") {
    TempDir dir("predict_atomic");
    write_file(dir / "data.csv", small_csv(300));
    REQUIRE(run_hyda(std::vector<std::string>{"train"} + small_task_options(dir / "data.csv") + std::vector<std::string>{"--out", dir / "m.json", "--quiet"}).code == 0);
    const Result ok = run_hyda({"predict", "--model", dir / "m.json", "--data", dir / "data.csv", "--out", dir / "pred.csv"});
    REQUIRE(ok.code == 0);
    CHECK(hyda::mtl::read_table(dir / "pred.csv").rows() == 300);
    CHECK_FALSE(std::filesystem::exists(dir / "pred.csv.tmp"));
    // A folder that does not exist: an error naming the file, and nothing written.
    const Result bad = run_hyda({"predict", "--model", dir / "m.json", "--data", dir / "data.csv", "--out", dir / "missing/pred.csv"});
    CHECK(bad.code != 0);
    CHECK_THAT(bad.err, Catch::Contains("missing/pred.csv"));
    CHECK_FALSE(std::filesystem::exists(dir / "missing"));
}

TEST_CASE("rotterdam: train, predict and eval on the shipped file reproduce the test metrics", "[cli]") {
    TempDir dir("rotterdam");
    const std::string data = std::string(HYDA_EXAMPLE_DATA) + "/rotterdam.csv";
    const Result train = run_hyda({"train", "--data", data, "--main", "death=1", "--aux", "recur", "--aux", "rtime:logregression", "--drop", "pid,dtime",
                                   "--epochs", "3", "--out", dir / "model.json", "--report-json", dir / "report.json", "--quiet"});
    INFO(train.err);
    REQUIRE(train.code == 0);
    const nlohmann::json report = nlohmann::json::parse(read_file(dir / "report.json"));
    CHECK(report["task_names"] == nlohmann::json({"death", "recur", "rtime"}));
    CHECK(report["tasks"]["recur"]["kind"] == "binary");
    CHECK(report["tasks"]["rtime"]["kind"] == "regression");
    CHECK(report["test"]["roc_auc"].get<double>() > 0.6);  // age, nodes and size predict death

    const Result predict = run_hyda({"predict", "--model", dir / "model.json", "--data", data, "--part", "test", "--out", dir / "pred.csv"});
    INFO(predict.err);
    REQUIRE(predict.code == 0);
    check_roc_auc_from_predictions(data, dir / "pred.csv", "death", "1", report["test"]["roc_auc"].get<double>());
    const Result eval = run_hyda({"eval", "--model", dir / "model.json", "--data", data, "--part", "test", "--json"});
    INFO(eval.err);
    REQUIRE(eval.code == 0);
    const nlohmann::json metrics = nlohmann::json::parse(eval.out);
    for (const std::string task : {"death", "recur", "rtime"}) CHECK(metrics["tasks"][task] == report["tasks"][task]["test"]);
}
