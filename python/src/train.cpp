#include "train.hpp"

#include <pybind11/stl.h>

namespace hyda::python {
namespace {

mtl::TaskSpec task_spec(const py::handle& item) {
    const auto t = item.cast<py::sequence>();
    if (py::isinstance<py::str>(item) || t.size() < 2 || t.size() > 3)
        throw py::value_error("tasks: expected (name, kind) or (name, 'multiclass', classes), got " + std::string(py::repr(item)));
    mtl::TaskSpec task;
    task.name = t[0].cast<std::string>();
    task.kind = choose<mtl::TaskKind>(t[1].cast<std::string>(),
                                      {{"binary", mtl::TaskKind::binary}, {"regression", mtl::TaskKind::regression}, {"multiclass", mtl::TaskKind::multiclass}},
                                      "tasks: the kind of '" + task.name + "'");
    if ((task.kind == mtl::TaskKind::multiclass) != (t.size() == 3))
        throw py::value_error("tasks: '" + task.name + "': a multiclass task, and only one, gives its class count");
    if (t.size() == 3) task.classes = t[2].cast<int>();
    return task;
}

int main_index(const std::vector<mtl::TaskSpec>& tasks, const py::object& main) {
    if (main.is_none()) return 0;
    const auto name = main.cast<std::string>();
    for (std::size_t k = 0; k < tasks.size(); ++k)
        if (tasks[k].name == name) return int(k);
    throw py::value_error("main: no task '" + name + "'");
}

py::list history_of(const std::vector<mtl::EpochReport>& epochs) {
    py::list out;
    for (const mtl::EpochReport& e : epochs) {
        py::dict d;
        d["epoch"] = e.epoch;
        d["seconds"] = e.seconds;
        d["train_loss"] = e.train_loss;
        d["mean_coefficients"] = e.mean_coefficients;
        d["validation_metric"] = e.validation_metric ? py::object(py::float_(*e.validation_metric)) : py::object(py::none());
        d["best"] = e.best;
        d["skipped_steps"] = e.skipped_steps;
        out.append(d);
    }
    return out;
}

}  // namespace

Model train(const TrainArguments& a) {
    mtl::ModelSpec spec;
    const py::array first = py::array::ensure(a.x);  // only its shape is read here: no conversion
    if (!first || first.ndim() != 2) throw py::value_error("train: x: expected an array of shape (rows, inputs)");
    spec.inputs = int(first.shape(1));
    for (const auto& item : a.tasks) spec.tasks.push_back(task_spec(item));
    spec.main_task = main_index(spec.tasks, a.main);
    spec.trunk = a.trunk;
    spec.activation = choose<mtl::Activation>(a.activation,
                                              {{"relu", mtl::Activation::relu}, {"leaky_relu", mtl::Activation::leaky_relu},
                                               {"gelu", mtl::Activation::gelu}, {"tanh", mtl::Activation::tanh}},
                                              "activation");
    spec.dropout = a.dropout;
    spec.arch = choose<mtl::Architecture>(a.arch,
                                          {{"hps", mtl::Architecture::hps}, {"mmoe", mtl::Architecture::mmoe},
                                           {"cgc", mtl::Architecture::cgc}, {"ple", mtl::Architecture::ple}},
                                          "arch");
    spec.validate();
    const mtl::Precision precision =
        choose<mtl::Precision>(a.precision, {{"float32", mtl::Precision::float32}, {"float64", mtl::Precision::float64}}, "precision");

    mtl::TrainOptions o;
    o.epochs = a.epochs;
    o.batch_size = a.batch_size;
    o.seed = a.seed;
    o.optimizer = optimizer_kind(a.optimizer);
    o.lr = a.lr;
    o.weight_decay = a.weight_decay;
    o.patience = a.patience;
    o.validate();
    const auto strategy = mtl::make_strategy(a.method, int(spec.tasks.size()), spec.main_task, a.options);

    return with_precision(precision, [&](auto tag) {
        using T = decltype(tag);
        const mtl::Dataset<T> data = to_dataset<T>(a.x, a.labels, spec, "train");
        const std::optional<mtl::Dataset<T>> validation = to_optional_dataset<T>(a.validation, spec, "train: validation");
        mtl::TrainResult result;
        mtl::ModelFile file;
        {
            py::gil_scoped_release unlocked;
            mtl::Model<T> model(spec, a.seed);
            mtl::Trainer<T> trainer(model, *strategy, o);
            result = trainer.fit(data, validation ? &*validation : nullptr);
            file = mtl::model_file_of(model, mtl::Preprocessor{}, "");
        }
        return Model(std::move(file), "<hyda.train>", std::move(result.epochs));
    });
}

py::list history(const Model& m) { return history_of(m.history()); }

}  // namespace hyda::python
