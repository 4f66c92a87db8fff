#pragma once
// Task-weighting strategies. Each sees the statistics of one mini-batch and returns one
// coefficient per task: the shared parameters then move along sum_k c_k g_k, where g_k
// is task k's gradient of the shared parameters (task heads always take their own
// task's gradient). Most methods need only the losses and the Gram matrix
// G_ij = <g_i, g_j>; the trainer computes the extra statistics a strategy asks for
// in needs(), and nothing else.
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace hyda::mtl {

// Statistics a strategy may ask the trainer for, beyond losses and G.
struct Needs {
    bool first_order_gains = false;  // <g_main, P g_k>, P: the optimizer's step (lr included)
    bool exact_gains = false;        // L_main(theta) - L_main(theta - P g_k), by look-ahead
    bool held_out_gains = false;     // gains measured on a held-out batch, not the training batch
    bool last_layer_gram = false;    // G over the last shared weight only (GradNorm)
};

// Everything about one mini-batch a strategy can read. Spans are valid during the call.
struct StepContext {
    int tasks = 0;
    int main = 0;                          // index of the main task
    std::int64_t step = 0;                 // global step, from 0
    int epoch = 0;                         // from 0
    std::span<const double> losses;        // L_k on the batch
    std::span<const double> gram;          // tasks x tasks, row-major
    std::span<const double> gram_last;     // over the last shared weight, if asked
    std::span<const double> gains;         // gain of each task for the main task, if asked
    std::uint64_t seed = 0;                // for strategies that randomise (PCGrad's order)
};

class Strategy {
public:
    virtual ~Strategy() = default;
    virtual std::string name() const = 0;
    virtual Needs needs() const { return {}; }
    // Writes one coefficient per task into c (size ctx.tasks).
    virtual void coefficients(const StepContext& ctx, std::span<double> c) = 0;
    // Called after each epoch with the mean training loss of each task (DWA).
    virtual void end_epoch(std::span<const double> mean_losses) { (void)mean_losses; }
};

// Builds a strategy by name ("hydalearn", "equal", "pcgrad", ...; see strategy_names()).
// Options as "key=value" pairs, e.g. {"gain=exact", "normalize=sum"}. Throws
// std::invalid_argument naming the unknown strategy or option.
std::unique_ptr<Strategy> make_strategy(const std::string& name, int tasks, int main, const std::vector<std::string>& options = {});
std::vector<std::string> strategy_names();

}  // namespace hyda::mtl
