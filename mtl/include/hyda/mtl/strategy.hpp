#pragma once
// Task-weighting strategies. Each sees the statistics of one mini-batch and returns one
// coefficient per task: the shared parameters then move along sum_k c_k g_k, where g_k
// is task k's gradient of the shared parameters; task k's head takes its own gradient
// h_k, or c_k h_k (heads(), below). Most methods need only the losses and the Gram matrix
// G_ij = <g_i, g_j>; the trainer computes the extra statistics a strategy asks for
// in needs(), and nothing else.
#include <algorithm>
#include <cstdint>
#include <memory>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "hyda/autodiff/state.hpp"

#pragma GCC visibility push(default)  // the public API: exported by the shared libraries (cmake/package.cmake)
namespace hyda::mtl {

using StateVisitor = ad::StateVisitor;

// The preconditioner P of the gains: the optimizer's own step (its diagonal
// preconditioner, lr included) or the plain learning rate, P = lr I (an SGD look-ahead).
enum class GainPreconditioner { step, lr };

// The reference gradient g_ref of the per-sample inner products (sample_weights): the main
// task's gradient on a held-out batch (SLGrad), or P g_main with P the gain
// preconditioner and g_main the main task's gradient on the training batch from the first
// sweep, or on a held-out batch with held_out_gains (HydaLearn's sample-level gains).
enum class SampleReference { held_out_main, main_step };

// Statistics a strategy may ask the trainer for, beyond losses and G.
struct Needs {
    bool first_order_gains = false;  // <g_main, P g_k>, P: gain_preconditioner
    bool exact_gains = false;        // L_main(theta) - L_main(theta - P g_k), by look-ahead
    // With first_order_gains on the training batch (arch=hps): the main task's own gain
    // <g_main, P g_main> (and each layer's, with layer_grams) becomes the U-statistic
    // n/(n-1) (delta - sum_i ||a_i||_P^2), a_i row i's part of g_main over its n labelled
    // rows: the cross terms only, without each row's gradient against itself.
    bool debiased_self_gain = false;
    bool held_out_gains = false;     // gains measured on a held-out batch, not the training batch
    GainPreconditioner gain_preconditioner = GainPreconditioner::step;
    bool last_layer_gram = false;    // G over the last shared layer only (GradNorm; Model::last_shared_weights)
    bool sample_weights = false;     // per-sample seeds from gradient alignment (SLGrad)
    SampleReference sample_reference = SampleReference::held_out_main;
    // With sample_weights: the heads' gradients follow the sample weights too (a second
    // sweep with them as seeds, SLGrad), or keep their task's plain mean (false: only the
    // trunk's gradients are recomputed, layer by layer from the first sweep's adjoints, and
    // that sweep skips every task's but the main one's trunk gradients).
    bool sample_weighted_heads = true;
    bool losses_after_step = false;  // every task's loss on the batch again after the step (FAMO)
    // One G per shared layer, and one coefficient vector per layer (layer_coefficients())
    // instead of one for the whole trunk (GradVac per layer). A layer is one linear map of
    // the trunk, its weight and its bias together (Model::shared_layer_of). With
    // first_order_gains also each layer's gains, layer_gains.
    bool layer_grams = false;
    // The shared parameters move along tracked task gradients y_k instead of the g_k
    // (MoCo): track() sets how the y_k follow the g_k, coefficients() sees their Gram
    // matrix in tracked_gram.
    bool tracked_gradients = false;
    // G of the task gradients with respect to the trunk's output h (batch x width) instead
    // of the shared parameters, summed over the batch: the upper-bound variants (Sener &
    // Koltun's MGDA-UB) of Aligned-MTL and IMTL. The coefficients still combine the g_k.
    bool feature_gram = false;
};

// Everything about one mini-batch a strategy can read. Spans are valid during the call.
struct StepContext {
    int tasks = 0;
    int main = 0;                          // index of the main task
    std::int64_t step = 0;                 // global step, from 0
    int epoch = 0;                         // from 0
    std::span<const double> losses;        // L_k on the batch
    std::span<const double> gram;          // tasks x tasks, row-major
    std::span<const double> gram_last;     // over the last shared layer's weights, if asked
    std::span<const double> feature_gram;  // tasks x tasks, over the trunk's output, if asked
    std::span<const double> gains;         // gain of each task for the main task, if asked
    int layers = 0;                        // shared layers, if layer_grams is asked
    std::span<const double> layer_grams;   // layers x tasks x tasks, if asked: G of each layer
    std::span<const double> layer_gains;   // layers x tasks, with layer_grams and first-order gains: each layer's share of the gains
    std::span<const double> tracked_gram;  // tasks x tasks, if asked: G_ij = <y_i, y_j>
    std::uint64_t seed = 0;                // for strategies that randomise (PCGrad's order)
};

// What a sample-level strategy sees of one mini-batch: for task k and sample i, with
// l_ki sample i's own loss for task k and g_ref the reference gradient (Needs::
// sample_reference; both over the shared parameters), <grad l_ki, g_ref> and
// ||grad l_ki||; 0 where sample i has no label for task k.
struct SampleContext {
    int tasks = 0;
    int main = 0;
    int samples = 0;               // rows of the training batch
    std::span<const double> dots;  // tasks x samples, task-major
    std::span<const double> norms; // tasks x samples, task-major
    double ref_norm = 0;           // ||g_ref||
    std::span<const double> labelled;  // tasks x samples: 1 where sample i has task k's label, else 0 (empty: every sample)
};

// How the coefficients reach the task heads. A head serves one task, so c_k only scales
// its step: `weighted` (c_k h_k) is what differentiating the weighted loss sum_k c_k L_k
// does, as the loss-weighting papers do; `own` (h_k) is what the gradient-surgery
// methods' code does, the coefficients deciding only how the tasks share the trunk.
enum class Heads { own, weighted };

class Strategy {
public:
    virtual ~Strategy() = default;
    virtual std::string name() const = 0;
    virtual Needs needs() const { return {}; }

    // The entry points check what they are given against the strategy's task count, then
    // call the method's own rule: a wrong size throws std::invalid_argument naming the
    // strategy and the span, so no rule reads past a span.
    //
    // Writes one coefficient per task into c (size tasks). ctx must hold losses (tasks),
    // gram (tasks x tasks), and what needs() asks for: gram_last, feature_gram and
    // tracked_gram (tasks x tasks), gains (tasks).
    void coefficients(const StepContext& ctx, std::span<double> c);
    // With needs().layer_grams, instead of coefficients(): writes the coefficients of each
    // shared layer into per_layer (layers x tasks, layer-major), the layer's parameters
    // then moving along sum_k per_layer[l][k] g_k, and one coefficient per task into c
    // (size tasks), what the heads (heads() weighted) and the trace see. ctx must also hold
    // layers >= 1 and layer_grams (layers x tasks x tasks), and with first_order_gains
    // layer_gains (layers x tasks). Other strategies throw
    // std::logic_error.
    void layer_coefficients(const StepContext& ctx, std::span<double> c, std::span<double> per_layer);
    // With needs().tracked_gradients, after the sweep and before coefficients(): given
    // the step's losses and G, writes the factor s_k with which each task's gradient enters
    // its tracker (size tasks) and returns the tracking rate b in [0, 1]; the trainer then
    // sets y_k <- y_k + b (s_k g_k - y_k) over the shared parameters (y_k = 0 before the
    // first step), and coefficients() sees tracked_gram. Other strategies throw
    // std::logic_error.
    double track(const StepContext& ctx, std::span<double> scale);
    // With needs().sample_weights: writes the weight w_ki of every task and sample (tasks x
    // samples, task-major; so are ctx.dots and ctx.norms); task k's gradient becomes
    // sum_i w_ki grad l_ki instead of the mean over its labelled samples. Called before
    // coefficients(), which then sees G of the reweighted gradients (the losses stay plain
    // means). Other strategies throw std::logic_error.
    void sample_weights(const SampleContext& ctx, std::span<double> w);
    // Called after each epoch with the mean training loss of each task (DWA).
    void end_epoch(std::span<const double> mean_losses);
    // With needs().losses_after_step: called after each optimizer step with every task's
    // loss on the step's batch just before and just after the step, both measured without
    // dropout (one extra forward; FAMO). Sizes: one per task.
    void after_step(std::span<const double> losses_before, std::span<const double> losses_after);
    // With heads() weighted, head k's gradient is scaled by h_k (size tasks), given the
    // coefficients c of the step: the weight the method gives L_k in the loss it
    // differentiates whole. That is c_k for most methods; one whose shared coefficients
    // add a correction to that weight (IMTL's gradient balance on top of its loss scales,
    // Nash-MTL's and FairGrad's clipping of the shared step) gives the heads the weight
    // alone.
    void head_weights(std::span<const double> c, std::span<double> h) const;

    // The state a later step reads (running averages, learned weights, step counters;
    // autodiff/state.hpp), for training checkpoints: one function both saves and loads
    // it. A stateless method visits nothing (the default).
    virtual void visit_state(StateVisitor&) {}

    // The task count and main task make_strategy built it for, which the entry points and
    // the Trainer check (0 tasks: a strategy built directly, checked against the contexts'
    // own task counts only).
    int tasks() const { return tasks_; }
    int main_task() const { return main_; }
    // The key=value options make_strategy built it with, as given (empty for a strategy
    // built directly): with name(), what a checkpoint records of the method.
    const std::vector<std::string>& options() const { return options_; }
    // Option heads=own|weighted; the default is the method's paper's (make_strategy), and
    // own for a strategy built directly.
    Heads heads() const { return heads_; }

private:
    // Each method's rule, given checked inputs.
    virtual void do_coefficients(const StepContext& ctx, std::span<double> c) = 0;
    virtual void do_sample_weights(const SampleContext&, std::span<double>) { throw std::logic_error(name() + " does not weight samples"); }
    virtual void do_end_epoch(std::span<const double>) {}
    virtual void do_after_step(std::span<const double>, std::span<const double>) {}
    virtual void do_layer_coefficients(const StepContext&, std::span<double>, std::span<double>) { throw std::logic_error(name() + " has no per-layer coefficients"); }
    virtual double do_track(const StepContext&, std::span<double>) { throw std::logic_error(name() + " does not track gradients"); }
    virtual void do_head_weights(std::span<const double> c, std::span<double> h) const { std::copy(c.begin(), c.end(), h.begin()); }

    friend std::unique_ptr<Strategy> make_strategy(const std::string&, int, int, const std::vector<std::string>&);
    int tasks_ = 0, main_ = 0;
    std::vector<std::string> options_;
    Heads heads_ = Heads::own;
};

// Builds a strategy by name ("hydalearn", "equal", "pcgrad", ...; see strategy_names()).
// Options as "key=value" pairs, e.g. {"gain=exact", "normalize=sum"}; every strategy takes
// heads=own|weighted. Throws
// std::invalid_argument naming the unknown strategy or option.
std::unique_ptr<Strategy> make_strategy(const std::string& name, int tasks, int main, const std::vector<std::string>& options = {});
std::vector<std::string> strategy_names();

}  // namespace hyda::mtl
#pragma GCC visibility pop
