// The C API (hyda.h) over mtl::Predictor. Every entry point catches every exception and
// turns it into the thread's last error: no C++ exception may cross into C.
#include "hyda.h"

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <exception>
#include <limits>
#include <numeric>
#include <stdexcept>
#include <string>
#include <vector>

#include "hyda/mtl/model_file.hpp"
#include "hyda/mtl/table.hpp"

// Everything a query returns is computed at load, so that the strings it hands out live
// as long as the model and the queries only read.
struct hyda_model {
    std::string path;
    hyda::mtl::Predictor predictor;
    std::vector<std::size_t> first_output;               // per task: its first value in a prediction row
    std::vector<std::vector<std::string>> classes;       // per task: class names (multiclass only)
    std::vector<std::string> output_names;               // per value of a prediction row
    std::vector<std::string> input_names;                // empty without preprocessing
};

namespace {

thread_local std::string last_error;
// Points at last_error, or at a fixed text if recording the message itself ran out of memory.
thread_local const char* last_error_text = "";

void record_error(const char* message) noexcept {
    try {
        last_error = message;
        last_error_text = last_error.c_str();
    } catch (...) {
        last_error_text = "out of memory (while recording an error)";
    }
}

void clear_error() noexcept {
    last_error.clear();
    last_error_text = "";
}

// Runs f and returns its result, or `failed` with the exception's message as the last error.
template <class R, class F>
R guarded(R failed, F f) noexcept {
    clear_error();
    try {
        return f();
    } catch (const std::exception& e) {
        record_error(e.what());
    } catch (...) {
        record_error("unknown error");
    }
    return failed;
}

const hyda_model& model_of(const hyda_model* m) {
    if (!m) throw std::invalid_argument("the model is NULL");
    return *m;
}

const hyda::mtl::TaskSpec& task_of(const hyda_model& m, int task) {
    const auto& tasks = m.predictor.file().spec.tasks;
    if (task < 0 || std::size_t(task) >= tasks.size())
        throw std::invalid_argument("task " + std::to_string(task) + " out of range: " + m.path + " has " + std::to_string(tasks.size()) + " tasks");
    return tasks[std::size_t(task)];
}

void check_index(long long index, std::size_t count, const std::string& what, const hyda_model& m) {
    if (index < 0 || static_cast<unsigned long long>(index) >= count)
        throw std::invalid_argument(what + " " + std::to_string(index) + " out of range: " + m.path + " has " + std::to_string(count));
}

hyda_model* load(const char* path) {
    if (!path) throw std::invalid_argument("the path is NULL");
    auto m = new hyda_model{path, hyda::mtl::Predictor::load(path), {}, {}, {}, {}};
    try {
        const hyda::mtl::ModelFile& file = m->predictor.file();
        const auto& targets = file.preprocessor.targets;  // empty without preprocessing
        std::size_t column = 0;
        for (std::size_t k = 0; k < file.spec.tasks.size(); ++k) {
            const hyda::mtl::TaskSpec& t = file.spec.tasks[k];
            m->first_output.push_back(column);
            m->classes.emplace_back();
            if (t.kind == hyda::mtl::TaskKind::multiclass) {
                for (int c = 0; c < t.classes; ++c) {
                    m->classes.back().push_back(targets.empty() ? std::to_string(c) : targets[k].levels[std::size_t(c)]);
                    m->output_names.push_back(t.name + "=" + m->classes.back().back());
                }
            } else {
                m->output_names.push_back(t.name);
            }
            column += std::size_t(t.outputs());
        }
        if (!file.preprocessor.features.empty()) m->input_names = file.preprocessor.input_names();
        return m;
    } catch (...) {
        delete m;
        throw;
    }
}

// Per-task outputs (rows x outputs each) of `rows` rows into prediction rows out[first
// row ...], laid out as hyda predict prints them.
void interleave(const hyda_model& m, const std::vector<std::vector<double>>& per_task, std::size_t rows, double* out) {
    const std::size_t width = m.output_names.size();
    for (std::size_t k = 0; k < per_task.size(); ++k) {
        const std::size_t outputs = per_task[k].size() / rows, first = m.first_output[k];
        for (std::size_t i = 0; i < rows; ++i)
            for (std::size_t j = 0; j < outputs; ++j) out[i * width + first + j] = per_task[k][i * outputs + j];
    }
}

// Rows per call to the Predictor: bounds the copy it makes of a float64 model's inputs
// and the int it counts rows in. A multiple of mtl::predict's own chunk (1024 rows), so
// the numbers are those of one call over all rows.
constexpr std::size_t rows_per_call = std::size_t(1) << 16;

void predict(const hyda_model* model, const float* x, std::size_t rows, double* out) {
    const hyda_model& m = model_of(model);
    if (rows == 0) return;
    if (!x || !out) throw std::invalid_argument("hyda_predict: the input or output is NULL");
    const std::size_t inputs = std::size_t(m.predictor.inputs()), width = m.output_names.size();
    const std::size_t largest = std::max({inputs * sizeof(float), width * sizeof(double), std::size_t(1)});
    if (rows > std::numeric_limits<std::size_t>::max() / largest)
        throw std::invalid_argument("hyda_predict: " + std::to_string(rows) + " rows are more than memory can hold");
    for (std::size_t start = 0; start < rows; start += rows_per_call) {
        const std::size_t n = std::min(rows_per_call, rows - start);
        const auto per_task = m.predictor.predict_inputs({x + start * inputs, n * inputs}, int(n));
        interleave(m, per_task, n, out + start * width);
    }
}

double* predict_csv(const hyda_model* model, const char* csv_path, std::size_t* rows) {
    if (rows) *rows = 0;
    const hyda_model& m = model_of(model);
    if (!csv_path || !rows) throw std::invalid_argument("hyda_predict_csv: the CSV path or the row count is NULL");
    if (m.input_names.empty())
        throw std::invalid_argument(m.path + " has no preprocessing (it was trained on encoded inputs): predict its encoded rows with hyda_predict");
    const hyda::mtl::Table table = hyda::mtl::read_table(csv_path);
    std::vector<int> all(std::size_t(table.rows()));
    std::iota(all.begin(), all.end(), 0);
    const auto per_task = m.predictor.predict(table, all);
    const std::size_t values = all.size() * m.output_names.size();
    auto* out = static_cast<double*>(std::malloc(std::max<std::size_t>(1, values) * sizeof(double)));
    if (!out) throw std::bad_alloc();
    if (!all.empty()) interleave(m, per_task, all.size(), out);
    *rows = all.size();
    return out;
}

}  // namespace

extern "C" {

hyda_model* hyda_load(const char* path) {
    return guarded<hyda_model*>(nullptr, [&] { return load(path); });
}

void hyda_free(hyda_model* model) {
    clear_error();
    delete model;
}

int hyda_task_count(const hyda_model* model) {
    return guarded(-1, [&] { return int(model_of(model).predictor.file().spec.tasks.size()); });
}

const char* hyda_task_name(const hyda_model* model, int task) {
    return guarded<const char*>(nullptr, [&] { return task_of(model_of(model), task).name.c_str(); });
}

int hyda_task_kind(const hyda_model* model, int task) {
    return guarded(-1, [&] {
        switch (task_of(model_of(model), task).kind) {
            case hyda::mtl::TaskKind::binary: return int(HYDA_BINARY);
            case hyda::mtl::TaskKind::regression: return int(HYDA_REGRESSION);
            case hyda::mtl::TaskKind::multiclass: return int(HYDA_MULTICLASS);
        }
        throw std::logic_error("unknown task kind");
    });
}

int hyda_task_outputs(const hyda_model* model, int task) {
    return guarded(-1, [&] { return task_of(model_of(model), task).outputs(); });
}

const char* hyda_task_class(const hyda_model* model, int task, int index) {
    return guarded<const char*>(nullptr, [&] {
        const hyda_model& m = model_of(model);
        const hyda::mtl::TaskSpec& t = task_of(m, task);
        if (t.kind != hyda::mtl::TaskKind::multiclass) throw std::invalid_argument("task '" + t.name + "' of " + m.path + " is not multiclass");
        const auto& classes = m.classes[std::size_t(task)];
        check_index(index, classes.size(), "class of task '" + t.name + "':", m);
        return classes[std::size_t(index)].c_str();
    });
}

size_t hyda_output_count(const hyda_model* model) {
    return guarded<std::size_t>(0, [&] { return model_of(model).output_names.size(); });
}

const char* hyda_output_name(const hyda_model* model, size_t column) {
    return guarded<const char*>(nullptr, [&] {
        const hyda_model& m = model_of(model);
        check_index(static_cast<long long>(column), m.output_names.size(), "output", m);
        return m.output_names[column].c_str();
    });
}

size_t hyda_input_count(const hyda_model* model) {
    return guarded<std::size_t>(0, [&] { return std::size_t(model_of(model).predictor.inputs()); });
}

const char* hyda_input_name(const hyda_model* model, size_t index) {
    return guarded<const char*>(nullptr, [&] {
        const hyda_model& m = model_of(model);
        if (m.input_names.empty()) throw std::invalid_argument(m.path + " has no input names (it was trained on encoded inputs)");
        check_index(static_cast<long long>(index), m.input_names.size(), "input", m);
        return m.input_names[index].c_str();
    });
}

int hyda_predict(const hyda_model* model, const float* x, size_t rows, double* out) {
    return guarded(-1, [&] {
        predict(model, x, rows, out);
        return 0;
    });
}

double* hyda_predict_csv(const hyda_model* model, const char* csv_path, size_t* rows) {
    return guarded<double*>(nullptr, [&] { return predict_csv(model, csv_path, rows); });
}

void hyda_free_predictions(double* predictions) {
    clear_error();
    std::free(predictions);
}

const char* hyda_last_error(void) { return last_error_text; }

}  // extern "C"
