// Predictions and metrics of a trained model.
#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "hyda/mtl/metrics.hpp"
#include "hyda/mtl/trainer.hpp"
#include "main_metric.hpp"
#include "predict_rows.hpp"

namespace hyda::mtl {

namespace detail {

template <class T>
std::vector<std::vector<double>> predict_rows(const Model<T>& model, const T* x, int rows) {
    const int K = model.tasks(), chunk = 1024, features = model.spec().inputs;
    std::vector<std::vector<double>> out(static_cast<std::size_t>(K));
    for (int k = 0; k < K; ++k) out[std::size_t(k)].resize(std::size_t(rows) * model.spec().tasks[std::size_t(k)].outputs());
    ad::Tape<T> tape;
    std::vector<ad::Var<T>> heads(static_cast<std::size_t>(K));
    for (int start = 0; start < rows; start += chunk) {
        const int B = std::min(chunk, rows - start);
        tape.reset();
        model.forward(tape, tape.input(x + std::size_t(start) * std::size_t(features), B, features, "x"), false, heads);
        for (int k = 0; k < K; ++k) {
            const TaskSpec& task = model.spec().tasks[std::size_t(k)];
            const int C = task.outputs();
            const T* v = heads[std::size_t(k)].data();
            double* o = out[std::size_t(k)].data() + std::size_t(start) * C;
            for (int i = 0; i < B; ++i) {
                if (task.kind == TaskKind::binary) {
                    o[i] = 1 / (1 + std::exp(-double(v[i])));
                } else if (task.kind == TaskKind::regression) {
                    o[i] = double(v[i]);
                } else {  // softmax, shifted by the row maximum
                    const T* z = v + std::size_t(i) * C;
                    double m = z[0], total = 0;
                    for (int j = 1; j < C; ++j) m = std::max(m, double(z[j]));
                    for (int j = 0; j < C; ++j) total += std::exp(double(z[j]) - m);
                    for (int j = 0; j < C; ++j) o[std::size_t(i) * C + j] = std::exp(double(z[j]) - m) / total;
                }
            }
        }
    }
    return out;
}

template std::vector<std::vector<double>> predict_rows(const Model<float>&, const float*, int);
template std::vector<std::vector<double>> predict_rows(const Model<double>&, const double*, int);

}  // namespace detail

template <class T>
std::vector<std::vector<double>> predict(const Model<T>& model, const Dataset<T>& data) {
    data.check_shapes(model.spec(), "predict: data", false);  // labels are not read
    return detail::predict_rows(model, data.x.data(), data.rows);
}

std::string main_metric_name(TaskKind kind) {
    switch (kind) {
        case TaskKind::binary: return "roc_auc";
        case TaskKind::multiclass: return "accuracy";
        case TaskKind::regression: return "rmse";
    }
    throw std::invalid_argument("main_metric_name: unknown task kind");
}

std::optional<double> TaskMetrics::value(std::string_view metric) const {
    std::string known;
    for (const auto& [name, v] : values) {
        if (name == metric) return v;
        known += (known.empty() ? "" : ", ") + name;
    }
    throw std::invalid_argument("task '" + task + "' has no metric '" + std::string(metric) + "' (it has " + known + ")");
}

namespace {

template <class T>
std::vector<double> labels_of(const Dataset<T>& data, int k) {
    return std::vector<double>(data.labels[std::size_t(k)].begin(), data.labels[std::size_t(k)].end());
}

// What evaluate() and main_metric() ask of their data: valid, and not empty.
template <class T>
void check_data(const Model<T>& model, const Dataset<T>& data, const std::string& what) {
    data.validate(model.spec(), what);
    if (data.rows == 0) throw std::invalid_argument(what + ": no rows");
}

// A prediction that is not finite comes from a model that has diverged: no metric of it
// means anything.
void check_finite(const TaskSpec& task, const std::vector<double>& predictions, const std::string& what) {
    for (std::size_t i = 0; i < predictions.size(); ++i) {
        if (!std::isfinite(predictions[i])) {
            throw std::runtime_error(what + ": task '" + task.name + "' row " + std::to_string(i / std::size_t(task.outputs())) +
                                     ": the prediction is not finite (has training diverged?)");
        }
    }
}

// The value, or nullopt where `why` says the metric is undefined on the labels.
template <class F>
std::optional<double> unless(const std::optional<std::string>& why, F compute) {
    if (why) return std::nullopt;
    return compute();
}

TaskMetrics task_metrics(const TaskSpec& task, const std::vector<double>& p, const std::vector<double>& y, const std::string& what) {
    check_finite(task, p, what);
    const std::optional<std::string> unlabeled = metric_undefined(y);
    TaskMetrics m{task.name, {}};
    switch (task.kind) {
        case TaskKind::binary:
            m.values = {{"roc_auc", unless(roc_auc_undefined(y), [&] { return roc_auc(p, y); })},
                        {"pr_auc", unless(pr_auc_undefined(y), [&] { return pr_auc(p, y); })},
                        {"log_loss", unless(unlabeled, [&] { return log_loss(p, y); })},
                        {"brier", unless(unlabeled, [&] { return brier(p, y); })},
                        {"accuracy", unless(unlabeled, [&] { return accuracy(p, y); })}};
            break;
        case TaskKind::regression:
            m.values = {{"rmse", unless(unlabeled, [&] { return rmse(p, y); })},
                        {"mae", unless(unlabeled, [&] { return mae(p, y); })},
                        {"r2", unless(r2_undefined(y), [&] { return r2(p, y); })}};
            break;
        case TaskKind::multiclass:
            m.values = {{"accuracy", unless(unlabeled, [&] { return multiclass_accuracy(p, std::size_t(task.classes), y); })},
                        {"log_loss", unless(unlabeled, [&] { return multiclass_log_loss(p, std::size_t(task.classes), y); })}};
            break;
    }
    return m;
}

}  // namespace

template <class T>
std::vector<TaskMetrics> evaluate(const Model<T>& model, const Dataset<T>& data) {
    const std::string what = "evaluate: data";
    check_data(model, data, what);
    const auto predictions = predict(model, data);
    std::vector<TaskMetrics> out;
    for (int k = 0; k < model.tasks(); ++k) out.push_back(task_metrics(model.spec().tasks[std::size_t(k)], predictions[std::size_t(k)], labels_of(data, k), what));
    return out;
}

template <class T>
std::optional<double> main_metric(const Model<T>& model, const Dataset<T>& data, int task) {
    if (task < 0 || task >= model.tasks()) throw std::invalid_argument("main_metric: task index " + std::to_string(task) + " out of range");
    const std::string what = "main_metric: data";
    check_data(model, data, what);
    return detail::main_metric_of_valid(model, data, task, what);
}

namespace detail {

template <class T>
std::optional<std::string> main_metric_undefined(const ModelSpec& spec, const Dataset<T>& data, int task) {
    const std::vector<double> y = labels_of(data, task);
    // The definedness rule of the metric main_metric_name() picks.
    return spec.tasks[std::size_t(task)].kind == TaskKind::binary ? roc_auc_undefined(y) : metric_undefined(y);
}

template <class T>
std::optional<double> main_metric_of_valid(const Model<T>& model, const Dataset<T>& data, int task, const std::string& what) {
    const TaskSpec& spec = model.spec().tasks[std::size_t(task)];
    const TaskMetrics m = task_metrics(spec, predict(model, data)[std::size_t(task)], labels_of(data, task), what);
    const std::optional<double> v = m.value(main_metric_name(spec.kind));
    if (v && spec.kind == TaskKind::regression) return -*v;  // higher is better
    return v;
}

template std::optional<std::string> main_metric_undefined(const ModelSpec&, const Dataset<float>&, int);
template std::optional<std::string> main_metric_undefined(const ModelSpec&, const Dataset<double>&, int);
template std::optional<double> main_metric_of_valid(const Model<float>&, const Dataset<float>&, int, const std::string&);
template std::optional<double> main_metric_of_valid(const Model<double>&, const Dataset<double>&, int, const std::string&);

}  // namespace detail

template std::vector<std::vector<double>> predict(const Model<float>&, const Dataset<float>&);
template std::vector<std::vector<double>> predict(const Model<double>&, const Dataset<double>&);
template std::vector<TaskMetrics> evaluate(const Model<float>&, const Dataset<float>&);
template std::vector<TaskMetrics> evaluate(const Model<double>&, const Dataset<double>&);
template std::optional<double> main_metric(const Model<float>&, const Dataset<float>&, int);
template std::optional<double> main_metric(const Model<double>&, const Dataset<double>&, int);

}  // namespace hyda::mtl
