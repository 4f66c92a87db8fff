#pragma once
// hyda.train: a model trained from numpy arrays (encoded inputs, labels per task), with
// the library's defaults (mtl::ModelSpec, mtl::TrainOptions) unless told otherwise.
#include <cstdint>
#include <string>
#include <vector>

#include "model.hpp"

namespace hyda::python {

struct TrainArguments {
    py::object x;
    py::dict labels;
    py::sequence tasks;           // (name, kind) or (name, "multiclass", classes)
    py::object main = py::none(); // a task name; None: the first task
    std::string method = "hydalearn";
    std::vector<std::string> options;
    int epochs = mtl::TrainOptions{}.epochs;
    int batch_size = mtl::TrainOptions{}.batch_size;
    double lr = mtl::TrainOptions{}.lr;
    std::string optimizer = "adam";
    double weight_decay = 0;
    std::uint64_t seed = 1;  // initial parameters, batch order, dropout
    std::vector<int> trunk = mtl::ModelSpec{}.trunk;
    std::string activation = "relu";
    double dropout = 0;
    std::string arch = "hps";
    py::object validation = py::none();  // (x, labels)
    int patience = 0;
    std::string precision = "float32";
};

Model train(const TrainArguments& a);
// The trained model's epochs as dicts (empty for a loaded model).
py::list history(const Model& m);

}  // namespace hyda::python
