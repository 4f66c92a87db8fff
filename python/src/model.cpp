#include "model.hpp"

#include <pybind11/stl.h>

#include <map>
#include <numeric>
#include <span>

#include "hyda/mtl/table.hpp"

namespace hyda::python {
namespace {

std::vector<int> all_rows(int rows) {
    std::vector<int> all(std::size_t(rows), 0);
    std::iota(all.begin(), all.end(), 0);
    return all;
}

// Per task rows x outputs values -> {task: (rows,) or (rows, classes)}, without a copy.
py::dict outputs(const mtl::ModelSpec& spec, std::vector<std::vector<double>> values, py::ssize_t rows) {
    py::dict out;
    for (std::size_t k = 0; k < spec.tasks.size(); ++k) {
        const mtl::TaskSpec& t = spec.tasks[k];
        std::vector<py::ssize_t> shape = {rows};
        if (t.kind == mtl::TaskKind::multiclass) shape.push_back(t.classes);
        out[py::str(t.name)] = to_numpy(std::move(values[k]), shape);
    }
    return out;
}

// A K x n matrix of K rows of n values each (empty: None).
py::object matrix(const std::vector<double>& values, std::size_t tasks) {
    if (values.empty()) return py::none();
    return to_numpy(std::vector<double>(values), {py::ssize_t(tasks), py::ssize_t(values.size() / tasks)});
}

py::object vector_or_none(const std::vector<double>& values) {
    if (values.empty()) return py::none();
    return to_numpy(std::vector<double>(values), {py::ssize_t(values.size())});
}

}  // namespace

std::string kind_name(mtl::TaskKind kind) {
    switch (kind) {
        case mtl::TaskKind::binary: return "binary";
        case mtl::TaskKind::regression: return "regression";
        case mtl::TaskKind::multiclass: return "multiclass";
    }
    throw std::logic_error("unknown task kind");
}

mtl::OptimizerKind optimizer_kind(const std::string& name) {
    return choose<mtl::OptimizerKind>(name, {{"sgd", mtl::OptimizerKind::sgd}, {"adam", mtl::OptimizerKind::adam}, {"adamw", mtl::OptimizerKind::adamw}},
                                      "optimizer");
}

Model::Model(mtl::ModelFile file, std::string source, std::vector<mtl::EpochReport> history)
    : file_(std::move(file)), source_(std::move(source)), predictor_(file_, source_), history_(std::move(history)) {}

const mtl::Preprocessor& Model::preprocessor(const std::string& what) const {
    if (file_.preprocessor.features.empty())
        throw py::value_error(what + ": " + source_ + " has no preprocessing (it was trained on encoded inputs, as hyda.train does): give it encoded rows");
    return file_.preprocessor;
}

py::list Model::tasks() const {
    py::list out;
    for (std::size_t k = 0; k < file_.spec.tasks.size(); ++k) {
        const mtl::TaskSpec& t = file_.spec.tasks[k];
        py::list classes;
        if (t.kind == mtl::TaskKind::multiclass)
            for (int c = 0; c < t.classes; ++c)
                classes.append(file_.preprocessor.targets.empty() ? std::to_string(c) : file_.preprocessor.targets[k].levels[std::size_t(c)]);
        py::dict task;
        task["name"] = t.name;
        task["kind"] = kind_name(t.kind);
        task["classes"] = classes;
        out.append(task);
    }
    return out;
}

py::object Model::input_names() const {
    if (file_.preprocessor.features.empty()) return py::none();
    return py::cast(file_.preprocessor.input_names());
}

py::dict Model::parameters() const {
    return with_precision(file_.precision, [&](auto tag) {
        using T = decltype(tag);
        py::dict out;
        for (const auto& p : file_.parameters)
            out[py::str(p.name)] = to_numpy(std::vector<T>(p.values.begin(), p.values.end()), {p.rows, p.cols});
        return out;
    });
}

py::dict Model::predict(py::handle x) const {
    return with_precision(file_.precision, [&](auto tag) {
        using T = decltype(tag);
        const auto rows = as_rows<T>(x, predictor_.inputs(), "predict: x");  // in place if C-contiguous T
        std::vector<std::vector<double>> values;
        {
            py::gil_scoped_release unlocked;
            values = predictor_.predict_inputs(std::span<const T>(rows.data(), std::size_t(rows.size())), int(rows.shape(0)));
        }
        return outputs(file_.spec, std::move(values), rows.shape(0));
    });
}

py::dict Model::predict_csv(const std::string& path) const {
    preprocessor("predict_csv");
    std::vector<std::vector<double>> values;
    int rows = 0;
    {
        py::gil_scoped_release unlocked;
        const mtl::Table table = mtl::read_table(path);
        rows = table.rows();
        values = predictor_.predict(table, all_rows(rows));
    }
    return outputs(file_.spec, std::move(values), rows);
}

py::tuple Model::encode_csv(const std::string& path) const {
    const mtl::Preprocessor& pre = preprocessor("encode_csv");
    return with_precision(file_.precision, [&](auto tag) {
        using T = decltype(tag);
        mtl::Dataset<T> data;
        {
            py::gil_scoped_release unlocked;
            const mtl::Table table = mtl::read_table(path);
            data = pre.transform<T>(table, all_rows(table.rows()), true);
        }
        py::dict labels;
        for (std::size_t k = 0; k < data.labels.size(); ++k)
            labels[py::str(file_.spec.tasks[k].name)] = to_numpy(std::move(data.labels[k]), {data.rows});
        return py::make_tuple(to_numpy(std::move(data.x), {data.rows, data.features}), labels);
    });
}

py::dict Model::evaluate(py::handle x, const py::dict& labels) const {
    const auto metrics = with_precision(file_.precision, [&](auto tag) {
        using T = decltype(tag);
        const mtl::Dataset<T> data = to_dataset<T>(x, labels, file_.spec, "evaluate");
        py::gil_scoped_release unlocked;
        return mtl::evaluate(mtl::model_of<T>(file_, source_), data);
    });
    py::dict out;
    for (const mtl::TaskMetrics& task : metrics) {
        py::dict values;
        for (const auto& [name, value] : task.values) values[py::str(name)] = value ? py::object(py::float_(*value)) : py::object(py::none());
        out[py::str(task.task)] = values;
    }
    return out;
}

py::dict Model::inspect(py::handle x, const py::dict& labels, const py::object& rows, const std::string& method,
                        const std::vector<std::string>& options, const py::object& held_out, const std::string& optimizer, double lr,
                        std::uint64_t seed) const {
    const mtl::Introspection in = with_precision(file_.precision, [&](auto tag) {
        using T = decltype(tag);
        const mtl::Dataset<T> data = to_dataset<T>(x, labels, file_.spec, "inspect");
        const std::optional<mtl::Dataset<T>> held = to_optional_dataset<T>(held_out, file_.spec, "inspect: held_out");
        std::vector<int> batch = rows.is_none() ? all_rows(data.rows) : rows.cast<std::vector<int>>();
        for (const int i : batch)
            if (i < 0 || i >= data.rows) throw py::value_error("inspect: row " + std::to_string(i) + " out of range (x has " + std::to_string(data.rows) + " rows)");
        mtl::TrainOptions o;
        o.optimizer = optimizer_kind(optimizer);
        o.lr = lr;
        o.seed = seed;
        py::gil_scoped_release unlocked;
        mtl::Model<T> model = mtl::model_of<T>(file_, source_);
        const auto strategy = mtl::make_strategy(method, model.tasks(), file_.spec.main_task, options);
        mtl::Trainer<T> trainer(model, *strategy, o);
        return trainer.inspect(data, batch, held ? &*held : nullptr);
    });

    const std::size_t K = in.tasks.size();
    std::vector<double> gradients;
    for (const auto& g : in.task_gradients) gradients.insert(gradients.end(), g.begin(), g.end());
    std::map<std::string, std::pair<int, int>> shapes;
    for (const auto& p : file_.parameters) shapes[p.name] = {p.rows, p.cols};
    py::list shared_shapes;
    for (const std::string& name : in.shared_parameters) shared_shapes.append(py::make_tuple(shapes[name].first, shapes[name].second));

    py::dict out;
    out["tasks"] = in.tasks;
    out["losses"] = vector_or_none(in.losses);
    out["gram"] = matrix(in.gram, K);
    out["feature_gram"] = matrix(in.feature_gram, K);
    out["gains"] = vector_or_none(in.gains);
    out["coefficients"] = vector_or_none(in.coefficients);
    out["grad_norms"] = vector_or_none(in.grad_norms);
    out["task_gradients"] = matrix(gradients, K);
    out["shared_parameters"] = in.shared_parameters;
    out["shared_shapes"] = shared_shapes;
    out["sample_dots"] = matrix(in.sample_dots, K);
    out["sample_norms"] = matrix(in.sample_norms, K);
    out["sample_weights"] = matrix(in.sample_weights, K);
    return out;
}

void Model::save(const std::string& path) const {
    py::gil_scoped_release unlocked;
    mtl::save_model(path, file_);
}

}  // namespace hyda::python
