#include "hyda/mtl/model.hpp"

#include <cmath>
#include <stdexcept>

#include "hyda/autodiff/init.hpp"

namespace hyda::mtl {

void ModelSpec::validate() const {
    auto fail = [](const std::string& what) { throw std::invalid_argument("model: " + what); };
    if (inputs < 1) fail("inputs must be >= 1, got " + std::to_string(inputs));
    if (trunk.empty()) fail("the shared trunk (or each expert) needs at least one layer");
    for (int h : trunk)
        if (h < 1) fail("trunk layer sizes must be >= 1, got " + std::to_string(h));
    if (arch != Architecture::hps && experts < 1) fail("experts must be >= 1, got " + std::to_string(experts));
    if ((arch == Architecture::cgc || arch == Architecture::ple) && task_experts < 1)
        fail("task_experts must be >= 1 for cgc and ple (0 task experts is mmoe), got " + std::to_string(task_experts));
    if (arch == Architecture::ple && levels < 1) fail("levels must be >= 1, got " + std::to_string(levels));
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

namespace {

// The shape of a gated architecture: shared experts, experts per task, levels (mmoe is
// cgc without task experts, cgc is ple with one level).
struct Gating {
    int shared, per_task, levels;
};

std::uint64_t all_tasks(int K) { return K == 64 ? ~std::uint64_t(0) : (std::uint64_t(1) << K) - 1; }

Gating gating_of(const ModelSpec& s) {
    switch (s.arch) {
        case Architecture::hps: break;
        case Architecture::mmoe: return {s.experts, 0, 1};
        case Architecture::cgc: return {s.experts, s.task_experts, 1};
        case Architecture::ple: return {s.experts, s.task_experts, s.levels};
    }
    return {0, 0, 0};
}

// Tensors and values of a group of parameters, saturating (a count that large is refused).
struct Size {
    std::uint64_t tensors = 0, values = 0;

    static std::uint64_t add(std::uint64_t a, std::uint64_t b) {
        std::uint64_t s;
        return __builtin_add_overflow(a, b, &s) ? UINT64_MAX : s;
    }
    static std::uint64_t mul(std::uint64_t a, std::uint64_t b) {
        std::uint64_t p;
        return __builtin_mul_overflow(a, b, &p) ? UINT64_MAX : p;
    }
    Size& operator+=(Size o) {
        tensors = add(tensors, o.tensors);
        values = add(values, o.values);
        return *this;
    }
    Size operator+(Size o) const { return Size(*this) += o; }
    Size times(std::uint64_t n) const { return {mul(tensors, n), mul(values, n)}; }
};

Size layer_size(std::uint64_t in, std::uint64_t out) { return {2, Size::add(Size::mul(in, out), out)}; }

Size mlp_size(const ModelSpec& s, std::uint64_t in) {
    Size z;
    for (const int h : s.trunk) z += layer_size(in, std::uint64_t(h)), in = std::uint64_t(h);
    return z;
}

}  // namespace

// Follows the constructor below layer by layer; tests/mtl/model_file_test.cpp compares
// the two for every architecture. Counts, not loops over experts or levels, so that a
// hostile spec costs no time.
ParameterCount parameter_count(const ModelSpec& spec) {
    const Gating g = gating_of(spec);
    const std::uint64_t K = spec.tasks.size(), S = std::uint64_t(g.shared), P = std::uint64_t(g.per_task), L = std::uint64_t(g.levels);
    const std::uint64_t in0 = std::uint64_t(spec.inputs), width = std::uint64_t(spec.trunk.back());
    // The sum of size(n_j) over levels j < m, where level 0 reads the inputs and the others `width`.
    auto levels_below = [&](std::uint64_t m, auto size) {
        Size z;
        if (m >= 1) z += size(in0);
        if (m >= 2) z += size(width).times(m - 1);
        return z;
    };
    auto task_gate = [&](std::uint64_t n) { return layer_size(n, P + S); };
    auto task_experts = [&](std::uint64_t n) { return mlp_size(spec, n).times(P); };
    Size shared, own, named;  // own: a task's gated parameters; named: every gated parameter named after a task
    if (spec.arch == Architecture::hps) {
        shared = mlp_size(spec, in0);
    } else {
        const std::uint64_t below_last = L - 1, below_two = L >= 2 ? L - 2 : 0;
        shared = levels_below(L, [&](std::uint64_t n) { return mlp_size(spec, n).times(S); }) +
                 levels_below(below_last, [&](std::uint64_t n) { return task_experts(n).times(K) + layer_size(n, Size::add(Size::mul(K, P), S)); }) +
                 levels_below(below_two, [&](std::uint64_t n) { return task_gate(n).times(K); });
        const std::uint64_t n_last = L == 1 ? in0 : width, n_before = L == 2 ? in0 : width;
        own = (L >= 2 ? task_gate(n_before) : Size{}) + task_experts(n_last) + task_gate(n_last);
        named = levels_below(below_last, task_experts) + levels_below(below_two, task_gate) + own;
    }
    ParameterCount count{shared.tensors, shared.values, 0};
    for (const TaskSpec& t : spec.tasks) {
        Size head;
        std::uint64_t w = width;
        for (const int h : t.head_hidden) head += layer_size(w, std::uint64_t(h)), w = std::uint64_t(h);
        head += layer_size(w, std::uint64_t(t.outputs()));
        const Size task = own + head;
        count.tensors = Size::add(count.tensors, task.tensors);
        count.values = Size::add(count.values, task.values);
        count.task_name_bytes = Size::add(count.task_name_bytes, Size::mul(t.name.size(), Size::add(named.tensors, head.tensors)));
    }
    return count;
}

// Parameters are created in their storage order (shared first, then each task's block)
// and drawn in that order from one generator.
template <class T>
Model<T>::Model(ModelSpec spec, std::uint64_t seed) : spec_(std::move(spec)) {
    spec_.validate();
    ad::Rng rng(seed);
    const int K = tasks(), depth = int(spec_.trunk.size());
    const Gating g = gating_of(spec_);
    auto layer = [&](const std::string& name, int in, int out, bool output_layer) {
        params_.emplace_back(name + ".W", in, out);
        params_.emplace_back(name + ".b", 1, out);  // zero unless drawn
        ad::Parameter<T>& W = params_[params_.size() - 2];
        ad::Parameter<T>& b = params_.back();
        switch (spec_.init) {
            case Init::he_xavier: output_layer ? ad::xavier_uniform(W, rng) : ad::he_uniform(W, rng); break;
            case Init::fan_in_uniform: ad::fan_in_uniform(W, b, rng); break;
            case Init::xavier: ad::xavier_uniform(W, rng); break;
        }
    };
    // An MLP of the trunk's shape from `in` inputs.
    auto mlp = [&](const std::string& name, int in) {
        for (int l = 0; l < depth; ++l) {
            layer(name + std::to_string(l), in, spec_.trunk[std::size_t(l)], false);
            in = spec_.trunk[std::size_t(l)];
        }
    };
    const int width = spec_.trunk.back();  // of the trunk's, every expert's and every gate's output
    const int L = g.levels;
    auto level_input = [&](int j) { return j == 0 ? spec_.inputs : width; };
    auto task_gate = [&](int j, int k) {
        levels_[std::size_t(j)].task_gates[std::size_t(k)] = params_.size();
        layer("level" + std::to_string(j) + "." + spec_.tasks[std::size_t(k)].name + ".gate", level_input(j), g.per_task + g.shared, true);
    };
    auto task_experts = [&](int j, int k) {
        levels_[std::size_t(j)].task_experts[std::size_t(k)] = params_.size();
        for (int e = 0; e < g.per_task; ++e)
            mlp("level" + std::to_string(j) + "." + spec_.tasks[std::size_t(k)].name + ".expert" + std::to_string(e) + ".", level_input(j));
    };

    if (spec_.arch == Architecture::hps) {
        mlp("trunk", spec_.inputs);
        last_shared_weights_ = {2 * std::size_t(depth) - 2};
    } else {
        levels_.assign(std::size_t(L), Level{0, std::vector<std::size_t>(std::size_t(K)), std::vector<std::size_t>(std::size_t(K)), 0});
        for (int j = 0; j < L; ++j) {  // the shared parameters, level by level (docs/architectures.md)
            const std::string name = "level" + std::to_string(j);
            Level& level = levels_[std::size_t(j)];
            level.shared_experts = params_.size();
            for (int e = 0; e < g.shared; ++e) mlp(name + ".expert" + std::to_string(e) + ".", level_input(j));
            if (j == L - 1) break;
            for (int k = 0; k < K; ++k) task_experts(j, k);
            level.shared_gate = params_.size();
            layer(name + ".gate", level_input(j), K * g.per_task + g.shared, true);
            if (j < L - 2)
                for (int k = 0; k < K; ++k) task_gate(j, k);
        }
        const std::size_t first = levels_.back().shared_experts, stride = 2 * std::size_t(depth);
        for (int e = 0; e < g.shared; ++e) last_shared_weights_.push_back(first + std::size_t(e) * stride + stride - 2);
    }
    shared_count_ = params_.size();
    for (int k = 0; k < K; ++k) {
        const TaskSpec& t = spec_.tasks[std::size_t(k)];
        const std::size_t first = params_.size();
        if (spec_.arch != Architecture::hps) {  // task k's own part of the gated levels
            if (L >= 2) task_gate(L - 2, k);
            task_experts(L - 1, k);
            task_gate(L - 1, k);
        }
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
    : spec_(other.spec_), params_(other.params_), shared_count_(other.shared_count_), head_ranges_(other.head_ranges_),
      levels_(other.levels_), last_shared_weights_(other.last_shared_weights_) {
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
ad::Var<T> Model<T>::mlp(ad::Tape<T>& tape, std::size_t first, ad::Var<T> h, bool training, std::vector<ad::Var<T>>* io) const {
    for (std::size_t l = 0; l < spec_.trunk.size(); ++l) {
        const ad::Var<T> z = ad::linear(h, tape.param(*pointers_[first + 2 * l]), tape.param(*pointers_[first + 2 * l + 1]));
        if (io) io->insert(io->end(), {h, z});
        h = activate(z);
        if (training && spec_.dropout > 0) h = ad::dropout(h, T(spec_.dropout));
    }
    return h;
}

template <class T>
ad::Var<T> Model<T>::gate(ad::Tape<T>& tape, std::size_t weight, ad::Var<T> in) const {
    return ad::softmax(ad::linear(in, tape.param(*pointers_[weight]), tape.param(*pointers_[weight + 1])));
}

// One level of a gated architecture. in[k] is task k's input and in[K] the shared one; on
// return in[k] holds task k's mixture sum_e w_ke f_e (its own experts, then the shared
// ones) and, below the last level, in[K] the shared gate's mixture of all experts (each
// task's, in task order, then the shared ones). Each expert's output is recorded once
// and added, column e of a gate times it (mix_add), into every mixture that reads it.
template <class T>
void Model<T>::gated_level(ad::Tape<T>& tape, const Level& level, bool last, std::uint64_t wanted, bool training, Streams& in) const {
    const Gating g = gating_of(spec_);
    const int K = tasks();
    const std::size_t stride = 2 * spec_.trunk.size();  // parameters per expert
    Streams w, mix;  // gate weights [B x experts] and mixtures, per task and shared
    auto add_to = [&](int stream, int column, ad::Var<T> f) {
        mix[std::size_t(stream)] = ad::mix_add(mix[std::size_t(stream)], f, w[std::size_t(stream)], column);
    };
    for (int k = 0; k < K; ++k)
        if (wanted >> k & 1) w[std::size_t(k)] = gate(tape, level.task_gates[std::size_t(k)], in[std::size_t(k)]);
    if (!last) w[std::size_t(K)] = gate(tape, level.shared_gate, in[std::size_t(K)]);
    for (int k = 0; k < K; ++k) {
        if (last && !(wanted >> k & 1)) continue;  // only task k reads them
        for (int e = 0; e < g.per_task; ++e) {
            const ad::Var<T> f = mlp(tape, level.task_experts[std::size_t(k)] + std::size_t(e) * stride, in[std::size_t(k)], training, nullptr);
            if (wanted >> k & 1) add_to(k, e, f);
            if (!last) add_to(K, k * g.per_task + e, f);
        }
    }
    for (int e = 0; e < g.shared; ++e) {
        const ad::Var<T> f = mlp(tape, level.shared_experts + std::size_t(e) * stride, in[std::size_t(K)], training, nullptr);
        for (int k = 0; k < K; ++k)
            if (wanted >> k & 1) add_to(k, g.per_task + e, f);
        if (!last) add_to(K, K * g.per_task + e, f);
    }
    in = mix;
}

template <class T>
void Model<T>::head_inputs(ad::Tape<T>& tape, ad::Var<T> x, bool training, std::uint64_t wanted, Streams& h,
                           std::vector<ad::Var<T>>* trunk_io) const {
    const int K = tasks();
    if (spec_.arch == Architecture::hps) {
        if (trunk_io) trunk_io->clear();
        h.fill(mlp(tape, 0, x, training, trunk_io));
        return;
    }
    if (trunk_io) throw std::invalid_argument("Model: per-layer trunk inputs (trunk_io) exist for arch=hps only");
    h.fill(x);
    const std::size_t L = levels_.size();
    // Below level L - 2 every task's stream reaches the shared gate of the next level; from
    // there on only the wanted tasks' streams are needed.
    for (std::size_t j = 0; j < L; ++j) gated_level(tape, levels_[j], j + 1 == L, j + 2 < L ? all_tasks(K) : wanted, training, h);
}

template <class T>
ad::Var<T> Model<T>::head(ad::Tape<T>& tape, ad::Var<T> h, int k) const {
    const std::size_t last = head_ranges_[std::size_t(k)].second;  // the head's layers end task k's block
    const std::size_t first = last - 2 * (spec_.tasks[std::size_t(k)].head_hidden.size() + 1);
    for (std::size_t i = first; i < last; i += 2) {
        h = ad::linear(h, tape.param(*pointers_[i]), tape.param(*pointers_[i + 1]));
        if (i + 2 < last) h = activate(h);
    }
    return h;
}

template <class T>
void Model<T>::forward(ad::Tape<T>& tape, ad::Var<T> x, bool training, std::span<ad::Var<T>> out,
                       std::vector<ad::Var<T>>* trunk_io, ad::Var<T>* representation) const {
    if (out.size() != spec_.tasks.size()) throw std::invalid_argument("Model::forward: one output per task expected");
    if (representation && spec_.arch != Architecture::hps) throw std::invalid_argument("Model: a shared representation exists for arch=hps only");
    const int K = tasks();
    Streams h;
    head_inputs(tape, x, training, all_tasks(K), h, trunk_io);
    if (representation) *representation = h[0];
    for (int k = 0; k < K; ++k) out[std::size_t(k)] = head(tape, h[std::size_t(k)], k);
}

template <class T>
ad::Var<T> Model<T>::task_output(ad::Tape<T>& tape, ad::Var<T> x, bool training, int k) const {
    if (k < 0 || k >= tasks()) throw std::invalid_argument("Model::task_output: task " + std::to_string(k) + " of " + std::to_string(tasks()));
    Streams h;
    head_inputs(tape, x, training, std::uint64_t(1) << k, h, nullptr);
    return head(tape, h[std::size_t(k)], k);
}

template <class T>
ad::Var<T> Model<T>::loss(const TaskSpec& task, ad::Var<T> output, ad::Var<T> labels, ad::Var<T> mask, ad::Var<T> weight) {
    const ad::LossOptions<T> opt{weight, mask};
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
