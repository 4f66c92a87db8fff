#pragma once
// A multi-task model: a shared part, then one tower (head) per task. The shared part is
// one of four architectures (docs/architectures.md has their formulas and papers):
//
//   hps   hard parameter sharing: an MLP trunk shared by all tasks
//         x -> [linear -> activation -> dropout] x trunk layers -> h, the input of every head
//   mmoe  Multi-gate Mixture-of-Experts (Ma et al., KDD 2018): `experts` expert MLPs of
//         the trunk's shape on x; task k's head reads sum_e softmax(x Wg_k + bg_k)_e f_e(x)
//   cgc   Customized Gate Control (Tang et al., RecSys 2020): `experts` shared experts and
//         `task_experts` experts of each task; task k's gate mixes its own and the shared ones
//   ple   Progressive Layered Extraction (same paper): `levels` stacked CGC layers; below
//         the last, a shared gate mixes all experts of its level into the next level's
//         shared input, and task k's gate output is the next level's input of task k
//
// and each head: h -> [linear -> activation] x head layers -> linear -> task output.
//
// Which parameters are shared. parameters() lists the shared ones first, [0,
// shared_count()), then each task's own in one block, head_range(k). A parameter is shared
// iff the loss of every task depends on it, and task k's iff only task k's does: the
// Trainer forms the Gram matrix of the task gradients over the shared ones and gives each
// task's parameters that task's own gradient. Per architecture:
//   hps   the trunk is shared; task k owns its head
//   mmoe  the experts are shared; task k owns its gate and its head
//   cgc   the shared experts are shared; task k owns its experts, its gate and its head
//   ple   (levels 0..L-1) the shared experts of every level, and below the last level all
//         experts and the shared gates, are shared, and so are the task gates below level
//         L-2 (their output reaches the shared gate of the next level); task k owns its gate
//         at level L-2 (it feeds only task k's experts of the last level), its experts and
//         gate of the last level, and its head
// tests/mtl/architectures_test.cpp checks this against the tape's reach of every loss.
//
// Task kinds and their losses, each a mean over the labelled rows: binary (one logit,
// BCE-with-logits), regression (one value, plain MSE mean (p - y)^2, not 1/2 MSE, or
// Huber), multiclass (one logit per class, softmax cross-entropy). One task is the main task.
#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "hyda/autodiff/ops.hpp"
#include "hyda/autodiff/parameter.hpp"

#pragma GCC visibility push(default)  // the public API: exported by the shared libraries (cmake/package.cmake)
namespace hyda::mtl {

enum class TaskKind { binary, regression, multiclass };
enum class Activation { relu, leaky_relu, gelu, tanh };
enum class Architecture { hps, mmoe, cgc, ple };

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
    // Hidden sizes of the shared trunk (hps), or of each expert (mmoe, cgc, ple).
    std::vector<int> trunk = {64, 64};
    Activation activation = Activation::relu;
    double dropout = 0;                 // after each trunk or expert activation, in training only
    std::vector<TaskSpec> tasks;
    int main_task = 0;
    Init init = Init::fan_in_uniform;  // the best in a paired study (docs/initialization.md)
    Architecture arch = Architecture::hps;
    // Read by the architectures named, ignored by the others.
    int experts = 4;       // shared experts (per level): mmoe, cgc, ple
    int task_experts = 1;  // experts of each task (per level): cgc, ple
    int levels = 2;        // extraction layers: ple (1 level is cgc)

    // Throws std::invalid_argument naming the offending field.
    void validate() const;
};

// The size of Model(spec)'s parameters from the spec alone, with no allocation: what a
// model file loader checks a file against before it builds the model. Each count
// saturates at UINT64_MAX. The spec must be valid (ModelSpec::validate).
struct ParameterCount {
    std::uint64_t tensors = 0;  // parameters().size()
    std::uint64_t values = 0;   // the sum of their sizes
    // The bytes of task names the parameter names repeat: each parameter of task k (its
    // head, and its experts and gates where it has some) has task k's name in its own.
    std::uint64_t task_name_bytes = 0;
};
ParameterCount parameter_count(const ModelSpec& spec);

// A value type: a copy owns its own parameters (parameters() of the copy points into the
// copy), and a move carries them over. A Trainer holds a reference to its model, so copy
// the model to train a variant and keep the original unchanged.
//
// Threads: forward and task_output only read the model, so any number of threads may
// run inference on one model at once, each with its own Tape: predict, evaluate and
// main_metric (trainer.hpp) take a const Model (tests/mtl/concurrent_inference_test.cpp,
// also run under ThreadSanitizer). Training is not: a Trainer (fit, step and inspect too)
// writes the parameters and their gradients through parameters(), whose pointers are not
// const, so no other thread may use the model meanwhile.
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
    // task k's output [B x outputs()] (logits for classification). If trunk_io is given
    // (hps only, else std::invalid_argument), it receives for each trunk layer l its input
    // and its pre-activation output (2l and 2l + 1), the layer being linear with weight
    // parameters()[2l] and bias parameters()[2l + 1]: what per-sample gradients of the
    // trunk are made of (SLGrad). If representation is given (hps only, else
    // std::invalid_argument), it receives the trunk's output, the one input of every head
    // (the upper-bound variants' Gram matrix, Needs::feature_gram).
    void forward(ad::Tape<T>& tape, ad::Var<T> x, bool training, std::span<ad::Var<T>> out,
                 std::vector<ad::Var<T>>* trunk_io = nullptr, ad::Var<T>* representation = nullptr) const;
    // Task k's output alone, as forward() computes it, recording only what it depends on
    // (the look-ahead and held-out evaluations of the main task).
    ad::Var<T> task_output(ad::Tape<T>& tape, ad::Var<T> x, bool training, int k) const;

    // Task k's loss of outputs against labels [B x 1] (class indices for multiclass) with
    // a mask [B x 1] (1 = labelled) and optional row weights [B x 1]:
    // sum_i mask_i weight_i l_i / sum_i mask_i (ad::LossOptions).
    static ad::Var<T> loss(const TaskSpec& task, ad::Var<T> output, ad::Var<T> labels, ad::Var<T> mask, ad::Var<T> weight = {});

    // All parameters: the shared ones first (shared_count() of them), then each head's.
    const std::vector<ad::Parameter<T>*>& parameters() const { return pointers_; }
    std::size_t shared_count() const { return shared_count_; }
    // Index range [first, last) of task k's own parameters in parameters(): its head, and
    // its experts and gates where the architecture gives it some.
    std::pair<std::size_t, std::size_t> head_range(int k) const { return head_ranges_[std::size_t(k)]; }
    // The last shared layer, where GradNorm balances gradient norms: the weight of the last
    // trunk layer (hps), or the last-layer weights of the last level's shared experts
    // (mmoe, cgc, ple), whose outputs every task's gate reads. Indices into parameters().
    const std::vector<std::size_t>& last_shared_weights() const { return last_shared_weights_; }
    // The shared layers, for strategies that work per layer (GradVac): each is one linear
    // map (a trunk layer, an expert's layer, a gate), shared layer l being weight
    // parameters()[2l] and bias parameters()[2l + 1].
    std::size_t shared_layers() const { return shared_count_ / 2; }
    std::size_t shared_layer_of(std::size_t i) const { return i / 2; }

    // Copies of every parameter value, and their restoration (best-epoch restore).
    std::vector<std::vector<T>> snapshot() const;
    void restore(const std::vector<std::vector<T>>& values);  // throws if the shapes differ

private:
    // Where a level of a gated architecture (mmoe, cgc: one level) keeps its parameters:
    // indices into params_ of the first layer's weight of expert 0 of a group (a group's
    // experts follow each other, 2 * trunk layers parameters each) and of a gate's weight
    // (its bias follows).
    struct Level {
        std::size_t shared_experts = 0;
        std::vector<std::size_t> task_experts;  // per task
        std::vector<std::size_t> task_gates;    // per task
        std::size_t shared_gate = 0;            // below the last level only
    };
    // Up to 64 task inputs and the shared one: what a level reads and writes.
    using Streams = std::array<ad::Var<T>, 65>;

    ad::Var<T> activate(ad::Var<T> v) const;
    // The MLP of trunk-shaped layers whose first weight is params_[first].
    ad::Var<T> mlp(ad::Tape<T>& tape, std::size_t first, ad::Var<T> h, bool training, std::vector<ad::Var<T>>* io) const;
    ad::Var<T> gate(ad::Tape<T>& tape, std::size_t weight, ad::Var<T> in) const;
    // The input of the head of every task in `wanted` (a bit per task) into h[k].
    void head_inputs(ad::Tape<T>& tape, ad::Var<T> x, bool training, std::uint64_t wanted, Streams& h,
                     std::vector<ad::Var<T>>* trunk_io) const;
    void gated_level(ad::Tape<T>& tape, const Level& level, bool last, std::uint64_t wanted, bool training, Streams& in) const;
    ad::Var<T> head(ad::Tape<T>& tape, ad::Var<T> h, int k) const;
    void point_at_params();  // pointers_ = the addresses of params_

    // A member added here must be copied in Model(const Model&) too.
    ModelSpec spec_;
    std::vector<ad::Parameter<T>> params_;
    std::vector<ad::Parameter<T>*> pointers_;  // into params_, never another model's
    std::size_t shared_count_ = 0;
    std::vector<std::pair<std::size_t, std::size_t>> head_ranges_;
    std::vector<Level> levels_;  // gated architectures only
    std::vector<std::size_t> last_shared_weights_;
};

}  // namespace hyda::mtl
#pragma GCC visibility pop
