// Predictions and metrics of a trained model.
#include <cmath>
#include <limits>
#include <stdexcept>

#include "hyda/mtl/metrics.hpp"
#include "hyda/mtl/trainer.hpp"

namespace hyda::mtl {

template <class T>
std::vector<std::vector<double>> predict(const Model<T>& model, const Dataset<T>& data) {
    data.check_shapes(model.spec(), "predict: data", false);  // labels are not read
    const int K = model.tasks(), chunk = 1024;
    std::vector<std::vector<double>> out(static_cast<std::size_t>(K));
    for (int k = 0; k < K; ++k) out[std::size_t(k)].resize(std::size_t(data.rows) * model.spec().tasks[std::size_t(k)].outputs());
    ad::Tape<T> tape;
    std::vector<ad::Var<T>> heads(static_cast<std::size_t>(K));
    for (int start = 0; start < data.rows; start += chunk) {
        const int B = std::min(chunk, data.rows - start);
        tape.reset();
        model.forward(tape, tape.input(data.x.data() + std::size_t(start) * data.features, B, data.features, "x"), false, heads);
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

namespace {

// A metric, or NaN where it is undefined (a single class present, no labels, ...).
template <class F>
double or_nan(F f) {
    try {
        return f();
    } catch (const std::invalid_argument&) {
        return std::numeric_limits<double>::quiet_NaN();
    }
}

template <class T>
std::vector<double> labels_of(const Dataset<T>& data, int k) {
    return std::vector<double>(data.labels[std::size_t(k)].begin(), data.labels[std::size_t(k)].end());
}

}  // namespace

template <class T>
std::vector<TaskMetrics> evaluate(const Model<T>& model, const Dataset<T>& data) {
    data.check_shapes(model.spec(), "evaluate: data");
    const auto predictions = predict(model, data);
    std::vector<TaskMetrics> out;
    for (int k = 0; k < model.tasks(); ++k) {
        const TaskSpec& task = model.spec().tasks[std::size_t(k)];
        const std::vector<double> y = labels_of(data, k);
        const std::vector<double>& p = predictions[std::size_t(k)];
        TaskMetrics m{task.name, {}};
        switch (task.kind) {
            case TaskKind::binary:
                m.values = {{"roc_auc", or_nan([&] { return roc_auc(p, y); })},
                            {"pr_auc", or_nan([&] { return pr_auc(p, y); })},
                            {"log_loss", or_nan([&] { return log_loss(p, y); })},
                            {"brier", or_nan([&] { return brier(p, y); })},
                            {"accuracy", or_nan([&] { return accuracy(p, y); })}};
                break;
            case TaskKind::regression:
                m.values = {{"rmse", or_nan([&] { return rmse(p, y); })},
                            {"mae", or_nan([&] { return mae(p, y); })},
                            {"r2", or_nan([&] { return r2(p, y); })}};
                break;
            case TaskKind::multiclass:
                m.values = {{"accuracy", or_nan([&] { return multiclass_accuracy(p, std::size_t(task.classes), y); })},
                            {"log_loss", or_nan([&] { return multiclass_log_loss(p, std::size_t(task.classes), y); })}};
                break;
        }
        out.push_back(std::move(m));
    }
    return out;
}

template <class T>
double main_metric(const Model<T>& model, const Dataset<T>& data, int task) {
    const auto metrics = evaluate(model, data);
    const auto& values = metrics.at(std::size_t(task)).values;
    switch (model.spec().tasks[std::size_t(task)].kind) {
        case TaskKind::binary: return values[0].second;       // ROC AUC
        case TaskKind::multiclass: return values[0].second;   // accuracy
        case TaskKind::regression: return -values[0].second;  // minus RMSE
    }
    return std::numeric_limits<double>::quiet_NaN();
}

template std::vector<std::vector<double>> predict(const Model<float>&, const Dataset<float>&);
template std::vector<std::vector<double>> predict(const Model<double>&, const Dataset<double>&);
template std::vector<TaskMetrics> evaluate(const Model<float>&, const Dataset<float>&);
template std::vector<TaskMetrics> evaluate(const Model<double>&, const Dataset<double>&);
template double main_metric(const Model<float>&, const Dataset<float>&, int);
template double main_metric(const Model<double>&, const Dataset<double>&, int);

}  // namespace hyda::mtl
