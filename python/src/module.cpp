// The Python module `hyda` (docs/python.md): the bindings. What they call is in model.cpp
// (hyda.Model) and train.cpp (hyda.train).
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include "hyda/kernels/threads.hpp"
#include "hyda/mtl/data_error.hpp"
#include "hyda/mtl/strategy.hpp"
#include "model.hpp"
#include "train.hpp"

namespace py = pybind11;
using hyda::python::Model;

PYBIND11_MODULE(hyda, m) {
    m.doc() = "hyda: multi-task learning on the CPU (model files, prediction, training, per-task gradients). See docs/python.md.";
    m.attr("__version__") = HYDA_VERSION;
    // A file or data problem (a damaged model file, a CSV with a missing column) names the
    // file, line and column; a ValueError like the other bad arguments.
    py::register_exception<hyda::mtl::DataError>(m, "DataError", PyExc_ValueError);

    py::class_<Model>(m, "Model", "A trained model: loaded by hyda.load or returned by hyda.train. Immutable; threads may share it.")
        .def_property_readonly("tasks", &Model::tasks, "[{'name', 'kind', 'classes'}] per task, the main task's index is .main")
        .def_property_readonly("main", [](const Model& self) { return self.file().spec.main_task; }, "the main task's index in .tasks")
        .def_property_readonly("inputs", [](const Model& self) { return self.file().spec.inputs; }, "the width of an encoded input row")
        .def_property_readonly("input_names", &Model::input_names, "the encoded inputs' names; None without preprocessing")
        .def_property_readonly("precision", [](const Model& self) { return self.file().precision == hyda::mtl::Precision::float64 ? "float64" : "float32"; })
        .def_property_readonly("metadata", [](const Model& self) { return py::bytes(self.file().metadata); },
                               "the file's metadata (hyda train's training record, as JSON)")
        .def_property_readonly("history", &hyda::python::history, "hyda.train's epochs: train_loss, mean_coefficients, validation_metric, ...")
        .def("parameters", &Model::parameters, "{name: (rows, cols) array}, the shared parameters first; a layer is x @ W + b")
        .def("predict", &Model::predict, py::arg("x"),
             "{task: array} for encoded rows x (rows, inputs): (rows,) or (rows, classes), in the targets' units. "
             "x is read in place if C-contiguous of the model's dtype, else converted first.")
        .def("predict_csv", &Model::predict_csv, py::arg("path"), "{task: array} for every row of a CSV file, the numbers `hyda predict` prints")
        .def("encode_csv", &Model::encode_csv, py::arg("path"), "(x, labels) of a CSV file as the model sees them (labels in the model's units)")
        .def("evaluate", &Model::evaluate, py::arg("x"), py::arg("labels"), "{task: {metric: value or None}} on encoded rows and labels")
        .def("inspect", &Model::inspect, py::arg("x"), py::arg("labels"), py::arg("rows") = py::none(), py::arg("method") = "hydalearn",
             py::arg("options") = std::vector<std::string>{}, py::arg("held_out") = py::none(), py::arg("optimizer") = "adam",
             py::arg("lr") = hyda::mtl::TrainOptions{}.lr, py::arg("seed") = 1,
             "one batch's losses, Gram matrix, gains, coefficients and per-task gradients of the shared parameters, at the model's parameters")
        .def("save", &Model::save, py::arg("path"), "writes the model file (atomically); hyda.load and the C API read it")
        .def("__repr__", [](const Model& self) {
            std::string tasks;
            for (const auto& t : self.file().spec.tasks) tasks += (tasks.empty() ? "" : ", ") + t.name + ":" + hyda::python::kind_name(t.kind);
            return "<hyda.Model " + self.source() + ": " + std::to_string(self.file().spec.inputs) + " inputs, tasks " + tasks + ">";
        });

    m.def(
        "load", [](const std::string& path) {
            hyda::mtl::ModelFile file;
            {
                py::gil_scoped_release unlocked;
                file = hyda::mtl::load_model(path);
            }
            return Model(std::move(file), path);
        },
        py::arg("path"), "loads a model file (hyda train's, Model.save's)");

    m.def(
        "train",
        [](py::object x, py::dict labels, py::sequence tasks, py::object main, std::string method, std::vector<std::string> options, int epochs,
           int batch_size, double lr, std::string optimizer, double weight_decay, std::uint64_t seed, std::vector<int> trunk,
           std::string activation, double dropout, std::string arch, py::object validation, int patience, std::string precision) {
            return hyda::python::train({std::move(x), std::move(labels), std::move(tasks), std::move(main), std::move(method), std::move(options),
                                        epochs, batch_size, lr, std::move(optimizer), weight_decay, seed, std::move(trunk), std::move(activation),
                                        dropout, std::move(arch), std::move(validation), patience, std::move(precision)});
        },
        py::arg("x"), py::arg("labels"), py::kw_only(), py::arg("tasks"), py::arg("main") = py::none(), py::arg("method") = "hydalearn",
        py::arg("options") = std::vector<std::string>{}, py::arg("epochs") = hyda::python::TrainArguments{}.epochs,
        py::arg("batch_size") = hyda::python::TrainArguments{}.batch_size, py::arg("lr") = hyda::python::TrainArguments{}.lr,
        py::arg("optimizer") = "adam", py::arg("weight_decay") = 0.0, py::arg("seed") = 1, py::arg("trunk") = hyda::python::TrainArguments{}.trunk,
        py::arg("activation") = "relu", py::arg("dropout") = 0.0, py::arg("arch") = "hps", py::arg("validation") = py::none(),
        py::arg("patience") = 0, py::arg("precision") = "float32",
        "trains a model on encoded rows x (rows, inputs) and labels {task: (rows,)} (NaN = missing, class index for multiclass)");

    m.def("methods", &hyda::mtl::strategy_names, "the weighting methods train and inspect take");
    m.def("set_num_threads", &hyda::set_num_threads, py::arg("n"), "hyda's kernel threads (results do not depend on them)");
    m.def("num_threads", &hyda::num_threads);
}
