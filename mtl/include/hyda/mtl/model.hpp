#pragma once
// Hard parameter sharing: an MLP trunk shared by all tasks, and one head per task.
//
//     x -> [linear -> activation -> dropout] x trunk layers -> h
//     h -> [linear -> activation] x head layers -> linear -> task output
//
// Task kinds and their losses, each a mean over the labelled rows: binary (one logit,
// BCE-with-logits), regression (one value, plain MSE mean (p - y)^2, not 1/2 MSE, or
// Huber), multiclass (one logit per class, softmax cross-entropy). One task is the main task.
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "hyda/autodiff/ops.hpp"
#include "hyda/autodiff/parameter.hpp"

namespace hyda::mtl {

enum class TaskKind { binary, regression, multiclass };
enum class Activation { relu, leaky_relu, gelu, tanh };

struct TaskSpec {
    std::string name;
    TaskKind kind = TaskKind::binary;
    int classes = 2;              // multiclass only
    double huber_delta = 0;       // regression: 0 = MSE, > 0 = Huber with this threshold
    std::vector<int> head_hidden; // hidden layer sizes of the head; empty = one linear layer

    int outputs() const { return kind == TaskKind::multiclass ? classes : 1; }
};

// How Model's constructor draws the initial parameters (docs/initialization.md has the
// papers and the study that chose the default). fan_in of a layer = its input width.
enum class Init {
    // Weights: He-uniform U(+-sqrt(6 / fan_in)) (He et al. 2015) in the trunk and hidden
    // head layers, Xavier-uniform U(+-sqrt(6 / (fan_in + fan_out))) (Glorot & Bengio
    // 2010) in the output layers. Biases zero.
    he_xavier,
    // PyTorch's torch.nn.Linear default in every layer: weights and biases
    // U(+-1 / sqrt(fan_in)) (the scale of LeCun et al. 1998). The default.
    fan_in_uniform,
    // Xavier-uniform weights in every layer. Biases zero.
    xavier,
};

struct ModelSpec {
    int inputs = 0;
    std::vector<int> trunk = {64, 64};  // hidden sizes of the shared trunk
    Activation activation = Activation::relu;
    double dropout = 0;                 // after each trunk activation, in training only
    std::vector<TaskSpec> tasks;
    int main_task = 0;
    Init init = Init::fan_in_uniform;  // the best in a paired study (docs/initialization.md)

    // Throws std::invalid_argument naming the offending field.
    void validate() const;
};

// A value type: a copy owns its own parameters (parameters() of the copy points into the
// copy), and a move carries them over. A Trainer holds a reference to its model, so copy
// the model to train a variant and keep the original unchanged.
template <class T>
class Model {
public:
    // Parameters drawn as spec.init says, from `seed`.
    Model(ModelSpec spec, std::uint64_t seed);
    Model(const Model& other);
    Model& operator=(const Model& other);
    // The moved vector's storage, and with it every Parameter, changes owner in place:
    // pointers_ stays valid. The moved-from model may only be destroyed or assigned to.
    Model(Model&&) noexcept = default;
    Model& operator=(Model&&) noexcept = default;

    const ModelSpec& spec() const { return spec_; }
    int tasks() const { return int(spec_.tasks.size()); }

    // Records the forward pass of a batch x [B x inputs] on the tape; out[k] receives
    // task k's output [B x outputs()] (logits for classification). trunk_io: as in trunk().
    void forward(ad::Tape<T>& tape, ad::Var<T> x, bool training, std::span<ad::Var<T>> out,
                 std::vector<ad::Var<T>>* trunk_io = nullptr) const;
    // The trunk only: its output h [B x last trunk width]. If trunk_io is given, it receives
    // for each trunk layer l its input and its pre-activation output (2l and 2l + 1), the
    // layer being linear with weight parameters()[2l] and bias parameters()[2l + 1]: what
    // per-sample gradients of the trunk are made of (SLGrad).
    ad::Var<T> trunk(ad::Tape<T>& tape, ad::Var<T> x, bool training, std::vector<ad::Var<T>>* trunk_io = nullptr) const;
    // Task k's head on a trunk output.
    ad::Var<T> head(ad::Tape<T>& tape, ad::Var<T> h, int k) const;

    // Task k's loss of outputs against labels [B x 1] (class indices for multiclass) with
    // a mask [B x 1] (1 = labelled).
    static ad::Var<T> loss(const TaskSpec& task, ad::Var<T> output, ad::Var<T> labels, ad::Var<T> mask);

    // All parameters: the shared ones first (shared_count() of them), then each head's.
    const std::vector<ad::Parameter<T>*>& parameters() const { return pointers_; }
    std::size_t shared_count() const { return shared_count_; }
    // Index range [first, last) of task k's head in parameters().
    std::pair<std::size_t, std::size_t> head_range(int k) const { return head_ranges_[std::size_t(k)]; }
    // The weight of the last trunk layer (GradNorm balances gradient norms there).
    std::size_t last_shared_weight() const { return shared_count_ - 2; }
    // The shared layers, for strategies that work per layer (GradVac): trunk layer l is
    // one linear map, its weight parameters()[2l] and its bias parameters()[2l + 1].
    std::size_t shared_layers() const { return shared_count_ / 2; }
    std::size_t shared_layer_of(std::size_t i) const { return i / 2; }

    // Copies of every parameter value, and their restoration (best-epoch restore).
    std::vector<std::vector<T>> snapshot() const;
    void restore(const std::vector<std::vector<T>>& values);  // throws if the shapes differ

private:
    ad::Var<T> activate(ad::Var<T> v) const;
    void point_at_params();  // pointers_ = the addresses of params_

    // A member added here must be copied in Model(const Model&) too.
    ModelSpec spec_;
    std::vector<ad::Parameter<T>> params_;
    std::vector<ad::Parameter<T>*> pointers_;  // into params_, never another model's
    std::size_t shared_count_ = 0;
    std::vector<std::pair<std::size_t, std::size_t>> head_ranges_;
};

}  // namespace hyda::mtl
