#include "hyda/mtl/model.hpp"

#include <cmath>
#include <stdexcept>

#include "hyda/autodiff/init.hpp"

namespace hyda::mtl {

void ModelSpec::validate() const {
    auto fail = [](const std::string& what) { throw std::invalid_argument("model: " + what); };
    if (inputs < 1) fail("inputs must be >= 1, got " + std::to_string(inputs));
    if (trunk.empty()) fail("the shared trunk needs at least one layer");
    for (int h : trunk)
        if (h < 1) fail("trunk layer sizes must be >= 1, got " + std::to_string(h));
    if (!(dropout >= 0 && dropout < 1)) fail("dropout must be in [0, 1), got " + std::to_string(dropout));
    if (tasks.empty() || tasks.size() > 64) fail("needs 1 to 64 tasks, got " + std::to_string(tasks.size()));
    if (main_task < 0 || main_task >= int(tasks.size())) fail("main task index " + std::to_string(main_task) + " out of range");
    for (const TaskSpec& t : tasks) {
        if (t.kind == TaskKind::multiclass && t.classes < 2) fail("task '" + t.name + "' needs >= 2 classes");
        if (!(t.huber_delta >= 0 && std::isfinite(t.huber_delta))) fail("task '" + t.name + "': huber_delta must be finite and >= 0 (0: MSE)");
        for (int h : t.head_hidden)
            if (h < 1) fail("task '" + t.name + "': head layer sizes must be >= 1");
    }
}

template <class T>
Model<T>::Model(ModelSpec spec, std::uint64_t seed) : spec_(std::move(spec)) {
    spec_.validate();
    ad::Rng rng(seed);
    std::size_t count = 2 * spec_.trunk.size();
    for (const TaskSpec& t : spec_.tasks) count += 2 * (t.head_hidden.size() + 1);
    params_.reserve(count);  // pointers into params_ stay valid
    auto layer = [&](const std::string& name, int in, int out, bool output_layer) {
        ad::Parameter<T>& W = params_.emplace_back(name + ".W", in, out);
        ad::Parameter<T>& b = params_.emplace_back(name + ".b", 1, out);  // zero unless drawn
        switch (spec_.init) {
            case Init::he_xavier: output_layer ? ad::xavier_uniform(W, rng) : ad::he_uniform(W, rng); break;
            case Init::fan_in_uniform: ad::fan_in_uniform(W, b, rng); break;
            case Init::xavier: ad::xavier_uniform(W, rng); break;
        }
    };
    int width = spec_.inputs;
    for (std::size_t l = 0; l < spec_.trunk.size(); ++l) {
        layer("trunk" + std::to_string(l), width, spec_.trunk[l], false);
        width = spec_.trunk[l];
    }
    shared_count_ = params_.size();
    for (const TaskSpec& t : spec_.tasks) {
        const std::size_t first = params_.size();
        int w = width;
        for (std::size_t l = 0; l < t.head_hidden.size(); ++l) {
            layer(t.name + ".hidden" + std::to_string(l), w, t.head_hidden[l], false);
            w = t.head_hidden[l];
        }
        layer(t.name + ".out", w, t.outputs(), true);
        head_ranges_.emplace_back(first, params_.size());
    }
    point_at_params();
}

template <class T>
Model<T>::Model(const Model& other)
    : spec_(other.spec_), params_(other.params_), shared_count_(other.shared_count_), head_ranges_(other.head_ranges_) {
    point_at_params();
}

template <class T>
Model<T>& Model<T>::operator=(const Model& other) {
    if (this != &other) *this = Model(other);
    return *this;
}

template <class T>
void Model<T>::point_at_params() {
    pointers_.clear();
    for (auto& p : params_) pointers_.push_back(&p);
}

template <class T>
ad::Var<T> Model<T>::activate(ad::Var<T> v) const {
    switch (spec_.activation) {
        case Activation::relu: return ad::relu(v);
        case Activation::leaky_relu: return ad::leaky_relu(v, T(0.01));
        case Activation::gelu: return ad::gelu(v);
        case Activation::tanh: return ad::tanh(v);
    }
    return v;
}

template <class T>
ad::Var<T> Model<T>::trunk(ad::Tape<T>& tape, ad::Var<T> x, bool training, std::vector<ad::Var<T>>* trunk_io) const {
    if (trunk_io) trunk_io->clear();
    ad::Var<T> h = x;
    for (std::size_t l = 0; l < spec_.trunk.size(); ++l) {
        const ad::Var<T> z = ad::linear(h, tape.param(*pointers_[2 * l]), tape.param(*pointers_[2 * l + 1]));
        if (trunk_io) trunk_io->insert(trunk_io->end(), {h, z});
        h = activate(z);
        if (training && spec_.dropout > 0) h = ad::dropout(h, T(spec_.dropout));
    }
    return h;
}

template <class T>
ad::Var<T> Model<T>::head(ad::Tape<T>& tape, ad::Var<T> h, int k) const {
    const auto [first, last] = head_ranges_[std::size_t(k)];
    for (std::size_t i = first; i < last; i += 2) {
        h = ad::linear(h, tape.param(*pointers_[i]), tape.param(*pointers_[i + 1]));
        if (i + 2 < last) h = activate(h);
    }
    return h;
}

template <class T>
void Model<T>::forward(ad::Tape<T>& tape, ad::Var<T> x, bool training, std::span<ad::Var<T>> out,
                       std::vector<ad::Var<T>>* trunk_io) const {
    if (out.size() != spec_.tasks.size()) throw std::invalid_argument("Model::forward: one output per task expected");
    const ad::Var<T> h = trunk(tape, x, training, trunk_io);
    for (int k = 0; k < tasks(); ++k) out[std::size_t(k)] = head(tape, h, k);
}

template <class T>
ad::Var<T> Model<T>::loss(const TaskSpec& task, ad::Var<T> output, ad::Var<T> labels, ad::Var<T> mask) {
    const ad::LossOptions<T> opt{{}, mask};
    switch (task.kind) {
        case TaskKind::binary: return ad::bce_with_logits(output, labels, opt);
        case TaskKind::multiclass: return ad::softmax_cross_entropy(output, labels, opt);
        case TaskKind::regression:
            return task.huber_delta > 0 ? ad::huber(output, labels, T(task.huber_delta), opt) : ad::mse(output, labels, opt);
    }
    return output;
}

template <class T>
std::vector<std::vector<T>> Model<T>::snapshot() const {
    std::vector<std::vector<T>> values;
    for (const auto& p : params_) values.emplace_back(p.value().data(), p.value().data() + p.size());
    return values;
}

template <class T>
void Model<T>::restore(const std::vector<std::vector<T>>& values) {
    if (values.size() != params_.size())
        throw std::invalid_argument("Model::restore: " + std::to_string(values.size()) + " parameters for a model of " + std::to_string(params_.size()));
    for (std::size_t i = 0; i < params_.size(); ++i)
        if (values[i].size() != params_[i].size())
            throw std::invalid_argument("Model::restore: " + std::to_string(values[i].size()) + " values for parameter '" + params_[i].name() + "' of " + std::to_string(params_[i].size()));
    for (std::size_t i = 0; i < params_.size(); ++i) std::copy(values[i].begin(), values[i].end(), params_[i].value().data());
}

template class Model<float>;
template class Model<double>;

}  // namespace hyda::mtl
