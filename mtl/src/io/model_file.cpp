// What a model file must satisfy to be saved or loaded, and the model it describes.
#include "hyda/mtl/model_file.hpp"

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <stdexcept>

#include "hyda/mtl/atomic_file.hpp"
#include "hyda/mtl/binary_io.hpp"
#include "hyda/mtl/data_error.hpp"
#include "../json_writer.hpp"

namespace hyda::mtl {
namespace {

std::string text_of(double v) {
    std::string s;
    detail::append_number(s, v);
    return s;
}

[[noreturn]] void fail(const std::string& what) { throw std::invalid_argument(what); }

void check_text(const std::string& text, const std::string& what) {
    if (text.size() > max_model_text_bytes)
        fail(what + ": " + std::to_string(text.size()) + " bytes, more than the limit of " + std::to_string(max_model_text_bytes));
}

void check_count(std::size_t n, std::uint64_t limit, const std::string& what) {
    if (n > limit) fail(what + ": " + std::to_string(n) + ", more than the limit of " + std::to_string(limit));
}

// Levels are looked up by binary search (Preprocessor::transform): unsorted ones would
// encode the wrong inputs without an error.
void check_levels(const std::vector<std::string>& levels, const std::string& what) {
    check_count(levels.size(), max_model_items, what + ": levels");
    for (const std::string& level : levels) check_text(level, what + ": a level");
    if (std::adjacent_find(levels.begin(), levels.end(), std::greater_equal<>()) != levels.end()) fail(what + ": the levels are not sorted and distinct");
}

void check_scaling(double mean, double scale, const std::string& what) {
    if (!std::isfinite(mean) || !std::isfinite(scale) || !(scale > 0))
        fail(what + ": mean " + text_of(mean) + " and scale " + text_of(scale) + " (finite, scale > 0 expected)");
}

bool fits(const Preprocessor::Target& target, const TaskSpec& task) {
    switch (target.kind) {
        case TargetKind::binary: return task.kind == TaskKind::binary;
        case TargetKind::regression:
        case TargetKind::logregression: return task.kind == TaskKind::regression;
        case TargetKind::multiclass: return task.kind == TaskKind::multiclass && std::size_t(task.classes) == target.levels.size();
    }
    return false;
}

void check_preprocessor(const Preprocessor& p, const ModelSpec& spec) {
    if (p.features.empty() && p.targets.empty()) return;  // encoded inputs only
    check_count(p.features.size(), max_model_items, "preprocessor: features");
    for (const Preprocessor::Feature& f : p.features) {
        const std::string what = "preprocessor: feature '" + f.column + "'";
        check_text(f.column, "preprocessor: a feature column");
        check_levels(f.levels, what);
        check_scaling(f.mean, f.scale, what);
    }
    if (p.targets.size() != spec.tasks.size())
        fail("preprocessor: " + std::to_string(p.targets.size()) + " targets for a model of " + std::to_string(spec.tasks.size()) + " tasks");
    for (std::size_t k = 0; k < p.targets.size(); ++k) {
        const Preprocessor::Target& t = p.targets[k];
        const std::string what = "preprocessor: target '" + t.column + "'";
        check_text(t.column, "preprocessor: a target column");
        check_text(t.positive, what + ": the positive value");
        check_levels(t.levels, what);
        check_scaling(t.mean, t.scale, what);
        if (!fits(t, spec.tasks[k])) fail(what + " does not fit the model's task " + std::to_string(k) + " '" + spec.tasks[k].name + "' (kind or classes)");
    }
    if (p.inputs() != spec.inputs)
        fail("preprocessor: " + std::to_string(p.inputs()) + " encoded inputs for a model of " + std::to_string(spec.inputs) + " inputs");
}

// The parameters as the spec's model has them, compared before a model is built: the
// model's size must be the values the file holds, so that building it is bounded by them.
void check_parameters(const ModelFile& f) {
    check_count(f.parameters.size(), max_model_items, "parameters");
    std::uint64_t values = 0, name_bytes = 0;
    for (const ModelFile::Parameter& p : f.parameters) {
        const std::string what = "parameter '" + p.name + "'";
        check_text(p.name, "a parameter name");
        if (p.rows < 1 || p.cols < 1 || p.values.size() != std::uint64_t(p.rows) * std::uint64_t(p.cols))
            fail(what + ": " + std::to_string(p.values.size()) + " values for a shape of " + std::to_string(p.rows) + " x " + std::to_string(p.cols));
        const double largest = f.precision == Precision::float32 ? std::numeric_limits<float>::max() : std::numeric_limits<double>::max();
        for (std::size_t i = 0; i < p.values.size(); ++i)
            if (!(std::abs(p.values[i]) <= largest))
                fail(what + ": value " + std::to_string(i) + " is " + text_of(p.values[i]) + ", not a finite " +
                     (f.precision == Precision::float32 ? "float" : "double"));
        values += p.values.size();
        name_bytes += p.name.size();
    }
    const ParameterCount model = parameter_count(f.spec);
    if (model.tensors != f.parameters.size() || model.values != values)
        fail(std::to_string(f.parameters.size()) + " parameters of " + std::to_string(values) + " values, the model of the spec has " +
             std::to_string(model.tensors) + " of " + std::to_string(model.values));
    // Each task's parameters repeat its name: names shorter than that cannot be the model's.
    if (name_bytes < model.task_name_bytes) fail("the parameter names are shorter than the model's (the task names they hold)");
}

const char* name_of(Precision p) { return p == Precision::float32 ? "float32" : "float64"; }

}  // namespace

void check_model_file(const ModelFile& f) {
    f.spec.validate();
    check_count(f.spec.trunk.size(), max_model_layers, "model: trunk layers");
    for (const TaskSpec& t : f.spec.tasks) {
        check_text(t.name, "model: a task name");
        check_count(t.head_hidden.size(), max_model_layers, "model: task '" + t.name + "': head layers");
    }
    check_preprocessor(f.preprocessor, f.spec);
    check_parameters(f);
    check_count(f.metadata.size(), max_model_metadata_bytes, "metadata bytes");
}

void save_model(const std::string& path, const ModelFile& file) { write_atomically(path, "model", encode_model(file)); }

ModelFile load_model(const std::string& path) { return decode_model(read_file_bytes(path, max_model_file_bytes), path); }

template <class T>
ModelFile model_file_of(const Model<T>& model, const Preprocessor& pre, std::string metadata) {
    ModelFile f{precision_of<T>(), model.spec(), pre, {}, std::move(metadata)};
    for (const ad::Parameter<T>* p : model.parameters()) {
        const T* v = p->value().data();
        f.parameters.push_back({p->name(), p->rows(), p->cols(), std::vector<double>(v, v + p->size())});
    }
    return f;
}

template <class T>
Model<T> model_of(const ModelFile& file, const std::string& source) {
    auto bad = [&](const std::string& what) { return DataError(source, 0, "", "bad model file: " + what); };
    if (file.precision != precision_of<T>())
        throw bad(std::string("a ") + name_of(file.precision) + " model, read as a " + name_of(precision_of<T>()) + " one");
    try {
        check_model_file(file);
    } catch (const std::invalid_argument& e) {
        throw bad(e.what());
    }
    Model<T> model(file.spec, 0);
    const auto& params = model.parameters();
    for (std::size_t i = 0; i < params.size(); ++i) {
        const ModelFile::Parameter& p = file.parameters[i];
        ad::Parameter<T>& q = *params[i];
        if (p.name != q.name() || p.rows != q.rows() || p.cols != q.cols())
            throw bad("parameter " + std::to_string(i) + " '" + p.name + "' " + ad::shape_string(p.rows, p.cols) + ", the model expects '" + q.name() +
                      "' " + ad::shape_string(q.rows(), q.cols()));
        std::transform(p.values.begin(), p.values.end(), q.value().data(), [](double v) { return T(v); });
    }
    return model;
}

template ModelFile model_file_of(const Model<float>&, const Preprocessor&, std::string);
template ModelFile model_file_of(const Model<double>&, const Preprocessor&, std::string);
template Model<float> model_of(const ModelFile&, const std::string&);
template Model<double> model_of(const ModelFile&, const std::string&);

}  // namespace hyda::mtl
