#pragma once
// hyda.Model: a model file in memory (spec, preprocessing, parameters, metadata) and its
// Predictor. Loaded by hyda.load or returned by hyda.train; immutable, so Python threads
// may predict with one at once (the GIL is released while hyda computes).
#include <string>
#include <vector>

#include "arrays.hpp"
#include "hyda/mtl/model_file.hpp"
#include "hyda/mtl/trainer.hpp"

namespace hyda::python {

class Model {
public:
    // `source` names the model in errors: its file, or "<hyda.train>".
    Model(mtl::ModelFile file, std::string source, std::vector<mtl::EpochReport> history = {});

    const mtl::ModelFile& file() const { return file_; }
    const std::string& source() const { return source_; }
    const std::vector<mtl::EpochReport>& history() const { return history_; }

    // [{"name", "kind", "classes"}] per task.
    py::list tasks() const;
    // The encoded inputs' names; None for a model trained on encoded inputs.
    py::object input_names() const;
    // name -> (rows, cols) array of the model's dtype, in Model::parameters() order.
    py::dict parameters() const;

    // task name -> (rows,) or (rows, classes) float64 array, in the targets' units (as
    // `hyda predict` prints them).
    py::dict predict(py::handle x) const;
    py::dict predict_csv(const std::string& path) const;
    // (x, labels) of a CSV file as the model sees them: encoded inputs, and labels in the
    // model's units (binary 0/1, class indices, standardized regression targets).
    py::tuple encode_csv(const std::string& path) const;
    // task -> metric -> value (None where undefined), as mtl::evaluate computes them.
    py::dict evaluate(py::handle x, const py::dict& labels) const;
    // Trainer::inspect's statistics of one batch at the model's parameters, as arrays.
    py::dict inspect(py::handle x, const py::dict& labels, const py::object& rows, const std::string& method,
                     const std::vector<std::string>& options, const py::object& held_out, const std::string& optimizer, double lr,
                     std::uint64_t seed) const;
    void save(const std::string& path) const;

private:
    // The Preprocessor, or a ValueError naming what needs it.
    const mtl::Preprocessor& preprocessor(const std::string& what) const;

    mtl::ModelFile file_;
    std::string source_;
    mtl::Predictor predictor_;
    std::vector<mtl::EpochReport> history_;
};

// "binary", "regression", "multiclass".
std::string kind_name(mtl::TaskKind kind);
// One of `choices` by name; ValueError naming `what` and the choices otherwise.
template <class E>
E choose(const std::string& name, const std::vector<std::pair<std::string, E>>& choices, const std::string& what) {
    std::string names;
    for (const auto& [n, e] : choices) {
        if (n == name) return e;
        names += (names.empty() ? "" : ", ") + n;
    }
    throw py::value_error(what + ": expected one of " + names + ", got '" + name + "'");
}
mtl::OptimizerKind optimizer_kind(const std::string& name);

// Calls f(T{}) with T the precision's type.
template <class F>
decltype(auto) with_precision(mtl::Precision p, F&& f) {
    if (p == mtl::Precision::float64) return f(double{});
    return f(float{});
}

}  // namespace hyda::python
