#pragma once
// numpy arrays in and out of hyda: inputs read in place when their layout allows, outputs
// handed to numpy without a copy, and the Dataset the trainer and metrics take.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <cmath>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "hyda/mtl/dataset.hpp"

namespace hyda::python {

namespace py = pybind11;

// The array of `values`, which it takes over (a capsule frees them with the array): no copy.
template <class T>
py::array_t<T> to_numpy(std::vector<T>&& values, const std::vector<py::ssize_t>& shape) {
    if (values.empty()) return py::array_t<T>(shape);
    auto owner = std::make_unique<std::vector<T>>(std::move(values));
    T* data = owner->data();
    py::capsule free_values(owner.get(), [](void* p) { delete static_cast<std::vector<T>*>(p); });
    owner.release();  // the capsule owns it now
    return py::array_t<T>(shape, data, free_values);
}

// `x` as a C-contiguous array of T: the array itself if it is one (read in place), else a
// converted copy (another dtype, a strided view, a list). Keep the result alive while its
// data are read.
template <class T>
py::array_t<T, py::array::c_style | py::array::forcecast> as_array(py::handle x, const std::string& what) {
    auto a = py::array_t<T, py::array::c_style | py::array::forcecast>::ensure(x);
    if (!a) throw py::type_error(what + ": expected an array of numbers");
    return a;
}

// `x` as rows x `inputs` values; throws ValueError naming `what` and the shape otherwise.
template <class T>
py::array_t<T, py::array::c_style | py::array::forcecast> as_rows(py::handle x, int inputs, const std::string& what) {
    auto a = as_array<T>(x, what);
    if (a.ndim() != 2 || a.shape(1) != inputs) {
        std::string shape;
        for (py::ssize_t d = 0; d < a.ndim(); ++d) shape += (d ? ", " : "") + std::to_string(a.shape(d));
        throw py::value_error(what + ": expected an array of shape (rows, " + std::to_string(inputs) + "), got (" + shape + ")");
    }
    if (a.shape(0) > std::numeric_limits<int>::max()) throw py::value_error(what + ": more rows than an int counts");
    return a;
}

// A Dataset of the model's tasks: x (rows x spec.inputs) and labels, a dict from task name
// to one value per row (NaN = missing; a multiclass task's class index). A task the dict
// does not name has no label in any row; a name that is no task is an error. Copies both
// into the Dataset, which owns its values.
template <class T>
mtl::Dataset<T> to_dataset(py::handle x, const py::dict& labels, const mtl::ModelSpec& spec, const std::string& what) {
    const auto rows = as_rows<T>(x, spec.inputs, what + " x");
    mtl::Dataset<T> data;
    data.rows = int(rows.shape(0));
    data.features = spec.inputs;
    data.x.assign(rows.data(), rows.data() + rows.size());
    data.labels.assign(spec.tasks.size(), std::vector<T>(std::size_t(data.rows), std::numeric_limits<T>::quiet_NaN()));
    for (const auto& [key, value] : labels) {
        const std::string name = py::str(key);
        std::size_t k = 0;
        while (k < spec.tasks.size() && spec.tasks[k].name != name) ++k;
        if (k == spec.tasks.size()) throw py::value_error(what + " labels: no task '" + name + "'");
        const auto y = as_array<T>(value, what + " labels['" + name + "']");
        if (y.ndim() != 1 || y.shape(0) != data.rows)
            throw py::value_error(what + " labels['" + name + "']: expected " + std::to_string(data.rows) + " values, one per row of x");
        data.labels[k].assign(y.data(), y.data() + y.size());
    }
    data.validate(spec, what);
    return data;
}

// (x, labels) or None.
template <class T>
std::optional<mtl::Dataset<T>> to_optional_dataset(const py::object& pair, const mtl::ModelSpec& spec, const std::string& what) {
    if (pair.is_none()) return std::nullopt;
    const auto t = pair.cast<py::tuple>();
    if (t.size() != 2) throw py::value_error(what + ": expected (x, labels)");
    return to_dataset<T>(t[0], t[1].cast<py::dict>(), spec, what);
}

}  // namespace hyda::python
