// The C API (hyda.h) against the C++ Predictor it wraps: load errors are NULL with a
// message naming the file, bad arguments are errors rather than crashes, the task and
// output descriptions are those `hyda predict` prints, predictions equal Predictor's bit
// for bit (on a CSV, on encoded rows, past the C API's own row chunks), and four threads
// predicting with one model at once get the numbers of one thread alone.
#include <catch2/catch.hpp>

#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <latch>
#include <limits>
#include <numeric>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "hyda.h"
#include "hyda/autodiff/random.hpp"
#include "hyda/mtl/model_file.hpp"
#include "hyda/mtl/preprocess.hpp"
#include "hyda/mtl/trainer.hpp"
#include "temp_dir.hpp"

using namespace hyda::mtl;

namespace {

// A CSV of `rows` rows: numeric features (one with missing fields), a categorical one, a
// binary target y ("yes"), a logregression target amount and a multiclass target grade.
std::string make_csv(int rows) {
    hyda::ad::Rng rng(3);
    std::ostringstream csv;
    csv.precision(17);
    csv << "a,b,c,color,y,amount,grade\n";
    const char* colors[] = {"red", "green", "blue"};
    for (int i = 0; i < rows; ++i) {
        const double a = rng.normal(), b = rng.normal(), c = rng.normal();
        csv << a << ',' << b << ',';
        if (rng.below(6) != 0) csv << c;
        csv << ',' << colors[rng.below(3)] << ',' << (a + b > 0 ? "yes" : "no") << ',' << std::abs(10 * a + c) << ',' << "ABC"[rng.below(3)] << '\n';
    }
    return csv.str();
}

void write_file(const std::string& path, const std::string& bytes) { std::ofstream(path, std::ios::binary) << bytes; }

// A model of the CSV's tasks with its fitted preprocessing, at its initial parameters
// (predictions need no training to be compared).
ModelFile make_model_file(const Table& table) {
    DataSpec data;
    data.targets = {parse_target("y=yes"), parse_target("amount:logregression"), parse_target("grade:multiclass")};
    std::vector<int> rows(std::size_t(table.rows()));
    std::iota(rows.begin(), rows.end(), 0);
    const Preprocessor pre = Preprocessor::fit(table, data, rows);
    ModelSpec spec;
    spec.inputs = pre.inputs();
    spec.trunk = {8};
    spec.tasks = pre.tasks();
    return model_file_of(Model<float>(spec, 5), pre, "");
}

// Predictor's per-task outputs as rows of every task's values, hyda predict's layout.
std::vector<double> interleaved(const std::vector<std::vector<double>>& per_task, const ModelSpec& spec, std::size_t rows) {
    std::vector<double> out;
    for (std::size_t i = 0; i < rows; ++i)
        for (std::size_t k = 0; k < per_task.size(); ++k) {
            const std::size_t width = std::size_t(spec.tasks[k].outputs());
            out.insert(out.end(), per_task[k].begin() + std::ptrdiff_t(i * width), per_task[k].begin() + std::ptrdiff_t((i + 1) * width));
        }
    return out;
}

std::vector<int> all_rows(const Table& table) {
    std::vector<int> rows(std::size_t(table.rows()));
    std::iota(rows.begin(), rows.end(), 0);
    return rows;
}

struct Fixture {
    TempDir dir{"c_api"};
    std::string csv = dir / "data.csv", model = dir / "m.model";
    Table table;
    ModelFile file;
    Fixture(int rows = 300) {
        write_file(csv, make_csv(rows));
        table = read_table(csv);
        file = make_model_file(table);
        save_model(model, file);
    }
};

std::string last_error() { return hyda_last_error(); }

}  // namespace

TEST_CASE("C API: a file that does not load gives NULL and a message naming it", "[c_api]") {
    Fixture f;
    const std::string missing = f.dir / "missing.model";
    CHECK(hyda_load(missing.c_str()) == nullptr);
    CHECK_THAT(last_error(), Catch::Contains(missing));

    std::ifstream in(f.model, std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const std::string truncated = f.dir / "truncated.model";
    write_file(truncated, bytes.substr(0, bytes.size() / 2));
    CHECK(hyda_load(truncated.c_str()) == nullptr);
    CHECK_THAT(last_error(), Catch::Contains(truncated));

    CHECK(hyda_load(f.csv.c_str()) == nullptr);  // a foreign file
    CHECK_THAT(last_error(), Catch::Contains(f.csv));

    CHECK(hyda_load(nullptr) == nullptr);
    CHECK_THAT(last_error(), Catch::Contains("NULL"));

    hyda_model* m = hyda_load(f.model.c_str());
    REQUIRE(m != nullptr);
    CHECK(last_error().empty());  // a successful call clears the last error
    hyda_free(m);
    hyda_free(nullptr);
}

TEST_CASE("C API: tasks, classes and output names as hyda predict prints them", "[c_api]") {
    Fixture f;
    hyda_model* m = hyda_load(f.model.c_str());
    REQUIRE(m != nullptr);
    REQUIRE(hyda_task_count(m) == 3);
    CHECK(std::string(hyda_task_name(m, 0)) == "y");
    CHECK(std::string(hyda_task_name(m, 1)) == "amount");
    CHECK(std::string(hyda_task_name(m, 2)) == "grade");
    CHECK(hyda_task_kind(m, 0) == HYDA_BINARY);
    CHECK(hyda_task_kind(m, 1) == HYDA_REGRESSION);  // logregression
    CHECK(hyda_task_kind(m, 2) == HYDA_MULTICLASS);
    CHECK(hyda_task_outputs(m, 0) == 1);
    CHECK(hyda_task_outputs(m, 2) == 3);
    CHECK(std::string(hyda_task_class(m, 2, 0)) == "A");
    CHECK(std::string(hyda_task_class(m, 2, 2)) == "C");
    REQUIRE(hyda_output_count(m) == 5);
    const char* names[] = {"y", "amount", "grade=A", "grade=B", "grade=C"};
    for (std::size_t j = 0; j < 5; ++j) CHECK(std::string(hyda_output_name(m, j)) == names[j]);
    REQUIRE(hyda_input_count(m) == std::size_t(f.file.preprocessor.inputs()));
    const auto inputs = f.file.preprocessor.input_names();
    for (std::size_t i = 0; i < inputs.size(); ++i) CHECK(std::string(hyda_input_name(m, i)) == inputs[i]);

    SECTION("bad indices and NULL are errors that name what is wrong") {
        CHECK(hyda_task_name(m, 3) == nullptr);
        CHECK_THAT(last_error(), Catch::Contains("task 3 out of range") && Catch::Contains(f.model));
        CHECK(hyda_task_name(m, -1) == nullptr);
        CHECK(hyda_task_kind(m, 7) == -1);
        CHECK(hyda_task_outputs(m, -2) == -1);
        CHECK(hyda_task_class(m, 0, 0) == nullptr);
        CHECK_THAT(last_error(), Catch::Contains("'y'") && Catch::Contains("not multiclass"));
        CHECK(hyda_task_class(m, 2, 3) == nullptr);
        CHECK_THAT(last_error(), Catch::Contains("3 out of range"));
        CHECK(hyda_task_class(m, 2, -1) == nullptr);
        CHECK(hyda_output_name(m, 5) == nullptr);
        CHECK(hyda_input_name(m, inputs.size()) == nullptr);
        CHECK(hyda_task_count(nullptr) == -1);
        CHECK_THAT(last_error(), Catch::Contains("NULL"));
        CHECK(hyda_output_count(nullptr) == 0);
        CHECK(hyda_input_count(nullptr) == 0);
        CHECK(hyda_task_name(nullptr, 0) == nullptr);
    }
    hyda_free(m);
}

TEST_CASE("C API: predictions equal Predictor's, on a CSV and on encoded rows", "[c_api]") {
    Fixture f;
    const Predictor predictor = Predictor::load(f.model);
    const std::vector<int> rows = all_rows(f.table);
    const std::vector<double> expected = interleaved(predictor.predict(f.table, rows), f.file.spec, rows.size());

    hyda_model* m = hyda_load(f.model.c_str());
    REQUIRE(m != nullptr);
    std::size_t n = 0;
    double* p = hyda_predict_csv(m, f.csv.c_str(), &n);
    REQUIRE(p != nullptr);
    REQUIRE(n == rows.size());
    CHECK(std::vector<double>(p, p + expected.size()) == expected);
    hyda_free_predictions(p);

    // The encoded rows give the same numbers (a float32 model reads them as they are).
    const Dataset<float> encoded = f.file.preprocessor.transform<float>(f.table, rows, false);
    std::vector<double> out(expected.size());
    REQUIRE(hyda_predict(m, encoded.x.data(), rows.size(), out.data()) == 0);
    CHECK(out == expected);
    CHECK(hyda_predict(m, nullptr, 0, nullptr) == 0);

    SECTION("bad arguments are errors") {
        n = 7;
        CHECK(hyda_predict_csv(m, (f.dir / "none.csv").c_str(), &n) == nullptr);
        CHECK_THAT(last_error(), Catch::Contains("none.csv"));
        CHECK(n == 0);
        CHECK(hyda_predict_csv(m, nullptr, &n) == nullptr);
        CHECK(hyda_predict_csv(m, f.csv.c_str(), nullptr) == nullptr);
        CHECK(hyda_predict_csv(nullptr, f.csv.c_str(), &n) == nullptr);
        const std::string no_feature = f.dir / "no_feature.csv";
        write_file(no_feature, "a,b,color\n1,2,red\n");
        CHECK(hyda_predict_csv(m, no_feature.c_str(), &n) == nullptr);
        CHECK_THAT(last_error(), Catch::Contains("no_feature.csv") && Catch::Contains("'c'"));
        CHECK(hyda_predict(m, nullptr, 1, out.data()) == -1);
        CHECK(hyda_predict(m, encoded.x.data(), 1, nullptr) == -1);
        CHECK(hyda_predict(nullptr, encoded.x.data(), 1, out.data()) == -1);
        // So many rows that their size overflows: refused before x is read.
        CHECK(hyda_predict(m, encoded.x.data(), std::numeric_limits<std::size_t>::max() / 2, out.data()) == -1);
        CHECK_THAT(last_error(), Catch::Contains("rows"));
    }
    hyda_free(m);
}

TEST_CASE("C API: more rows than one call to the Predictor give the numbers of one call", "[c_api]") {
    // 70,000 rows: past the C API's chunks of 65,536 rows (an int-sized piece each), so that
    // rows past INT_MAX would take the same path.
    Fixture f(50);
    const Predictor predictor = Predictor::load(f.model);
    const int rows = 70000, inputs = predictor.inputs();
    std::vector<float> x(std::size_t(rows) * std::size_t(inputs));
    hyda::ad::Rng rng(9);
    for (float& v : x) v = float(rng.normal());
    const std::vector<double> expected = interleaved(predictor.predict_inputs(x, rows), f.file.spec, std::size_t(rows));

    hyda_model* m = hyda_load(f.model.c_str());
    REQUIRE(m != nullptr);
    std::vector<double> out(expected.size());
    REQUIRE(hyda_predict(m, x.data(), std::size_t(rows), out.data()) == 0);
    CHECK(out == expected);
    hyda_free(m);
}

TEST_CASE("C API: a model without preprocessing predicts encoded rows only", "[c_api]") {
    TempDir dir("c_api_plain");
    ModelSpec spec;
    spec.inputs = 3;
    spec.trunk = {4};
    spec.tasks.resize(2);
    spec.tasks[0].name = "main";
    spec.tasks[1].name = "k";
    spec.tasks[1].kind = TaskKind::multiclass;
    spec.tasks[1].classes = 3;
    const std::string path = dir / "plain.model";
    save_model(path, model_file_of(Model<double>(spec, 2), Preprocessor{}, ""));

    hyda_model* m = hyda_load(path.c_str());
    REQUIRE(m != nullptr);
    CHECK(std::string(hyda_task_class(m, 1, 2)) == "2");  // class names are the indices
    CHECK(std::string(hyda_output_name(m, 3)) == "k=2");
    CHECK(hyda_input_count(m) == 3);
    CHECK(hyda_input_name(m, 0) == nullptr);
    CHECK_THAT(last_error(), Catch::Contains("no input names"));
    const std::string csv = dir / "x.csv";
    write_file(csv, "a,b,c\n1,2,3\n");
    std::size_t n = 0;
    CHECK(hyda_predict_csv(m, csv.c_str(), &n) == nullptr);
    CHECK_THAT(last_error(), Catch::Contains(path) && Catch::Contains("hyda_predict"));

    const std::vector<float> x = {0.5f, -1, 2, 0, 0.25f, 1};
    std::vector<double> out(8);
    REQUIRE(hyda_predict(m, x.data(), 2, out.data()) == 0);
    CHECK(out == interleaved(Predictor::load(path).predict_inputs(x, 2), spec, 2));
    hyda_free(m);
}

TEST_CASE("C API: four threads predict with one model at once", "[c_api]") {
    Fixture f(1500);  // past predict's chunk of 1024 rows
    hyda_model* m = hyda_load(f.model.c_str());
    REQUIRE(m != nullptr);
    std::size_t n = 0;
    double* alone = hyda_predict_csv(m, f.csv.c_str(), &n);
    REQUIRE(alone != nullptr);
    const std::vector<double> expected(alone, alone + n * hyda_output_count(m));
    hyda_free_predictions(alone);

    constexpr int threads = 4;
    std::vector<std::vector<double>> got(threads);
    std::vector<std::string> errors(threads);
    std::latch start(threads);
    std::vector<std::thread> pool;
    for (int t = 0; t < threads; ++t)
        pool.emplace_back([&, t] {
            start.arrive_and_wait();
            for (int repeat = 0; repeat < 3; ++repeat) {
                std::size_t rows = 0;
                double* p = hyda_predict_csv(m, f.csv.c_str(), &rows);
                if (!p) {
                    errors[std::size_t(t)] = hyda_last_error();
                    return;
                }
                got[std::size_t(t)].assign(p, p + rows * hyda_output_count(m));
                hyda_free_predictions(p);
                // Each thread has its own last error: this one's failure is not another's.
                if (t == 0 && hyda_task_name(m, 99) == nullptr && last_error().find("task 99") == std::string::npos) errors[0] = "wrong error";
            }
        });
    for (auto& t : pool) t.join();
    for (int t = 0; t < threads; ++t) {
        CHECK(errors[std::size_t(t)].empty());
        CHECK(got[std::size_t(t)] == expected);
    }
    CHECK(last_error().empty());
    hyda_free(m);
}
