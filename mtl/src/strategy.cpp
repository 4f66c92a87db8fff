// The registry of weighting strategies: one line per strategy.
#include "hyda/mtl/strategy.hpp"

#include <functional>
#include <stdexcept>

#include "strategies/alignedmtl.hpp"
#include "strategies/cagrad.hpp"
#include "strategies/dbmtl.hpp"
#include "strategies/dwa.hpp"
#include "strategies/fairgrad.hpp"
#include "strategies/famo.hpp"
#include "strategies/fixed.hpp"
#include "strategies/gcossim.hpp"
#include "strategies/gls.hpp"
#include "strategies/gradnorm.hpp"
#include "strategies/gradvac.hpp"
#include "strategies/hydalearn.hpp"
#include "strategies/imtl.hpp"
#include "strategies/metabalance.hpp"
#include "strategies/mgda.hpp"
#include "strategies/moco.hpp"
#include "strategies/nashmtl.hpp"
#include "strategies/olaux.hpp"
#include "strategies/options.hpp"
#include "strategies/pcgrad.hpp"
#include "strategies/rlw.hpp"
#include "strategies/slgrad.hpp"
#include "strategies/stch.hpp"
#include "strategies/uncertainty.hpp"
#include "strategies/upgrad.hpp"

namespace hyda::mtl {
namespace {

using Factory = std::function<std::unique_ptr<Strategy>(int tasks, int main, detail::Options&)>;

// A strategy's name, how its paper's coefficients reach the heads, and its constructor.
struct Entry {
    std::string name;
    Heads heads;
    Factory make;
};

const std::vector<Entry>& registry() {
    static const std::vector<Entry> table = {
        {"hydalearn", Heads::own, [](int k, int m, detail::Options& o) { return std::make_unique<HydaLearn>(k, m, o); }},
        {"equal", Heads::weighted, [](int k, int, detail::Options&) { return std::make_unique<FixedWeights>("equal", std::vector<double>(std::size_t(k), 1.0)); }},
        {"single", Heads::own, [](int k, int m, detail::Options&) {
             std::vector<double> w(std::size_t(k), 0.0);
             w[std::size_t(m)] = 1;
             return std::make_unique<FixedWeights>("single", w);
         }},
        {"static", Heads::weighted, [](int k, int, detail::Options& o) { return std::make_unique<FixedWeights>("static", o.per_task("weights", std::size_t(k))); }},
        {"pcgrad", Heads::own, [](int k, int, detail::Options& o) { return std::make_unique<PCGrad>(k, o); }},
        {"mgda", Heads::own, [](int k, int, detail::Options& o) { return std::make_unique<MGDA>(k, o); }},
        {"cagrad", Heads::own, [](int k, int, detail::Options& o) { return std::make_unique<CAGrad>(k, o); }},
        {"gradvac", Heads::own, [](int k, int, detail::Options& o) { return std::make_unique<GradVac>(k, o); }},
        {"moco", Heads::own, [](int k, int, detail::Options& o) { return std::make_unique<MoCo>(k, o); }},
        {"uncertainty", Heads::weighted, [](int k, int, detail::Options& o) { return std::make_unique<UncertaintyWeighting>(k, o); }},
        {"dwa", Heads::weighted, [](int k, int, detail::Options& o) { return std::make_unique<DynamicWeightAverage>(k, o); }},
        {"gradnorm", Heads::weighted, [](int k, int, detail::Options& o) { return std::make_unique<GradNorm>(k, o); }},
        {"gcossim", Heads::weighted, [](int, int m, detail::Options& o) { return std::make_unique<GradientCosineSimilarity>(m, o); }},
        {"olaux", Heads::weighted, [](int k, int m, detail::Options& o) { return std::make_unique<OnlineAuxiliaryWeighting>(k, m, o); }},
        {"slgrad", Heads::weighted, [](int, int, detail::Options& o) { return std::make_unique<SLGrad>(o); }},
        {"rlw", Heads::weighted, [](int, int, detail::Options& o) { return std::make_unique<RandomLossWeighting>(o); }},
        {"gls", Heads::weighted, [](int k, int, detail::Options&) { return std::make_unique<GeometricLossStrategy>(k); }},
        {"dbmtl", Heads::weighted, [](int k, int, detail::Options& o) { return std::make_unique<DualBalancing>(k, o); }},
        {"stch", Heads::weighted, [](int k, int, detail::Options& o) { return std::make_unique<SmoothTchebycheff>(k, o); }},
        {"famo", Heads::weighted, [](int k, int, detail::Options& o) { return std::make_unique<FAMO>(k, o); }},
        {"metabalance", Heads::own, [](int k, int, detail::Options& o) { return std::make_unique<MetaBalance>(k, o); }},
        // IMTL's heads take the loss scales e^{s_k} (1 under mode=gradient), see imtl.hpp.
        {"imtl", Heads::weighted, [](int k, int, detail::Options& o) { return std::make_unique<IMTL>(k, o); }},
        {"nashmtl", Heads::weighted, [](int k, int, detail::Options& o) { return std::make_unique<NashMTL>(k, o); }},
        {"fairgrad", Heads::own, [](int k, int, detail::Options& o) { return std::make_unique<FairGrad>(k, o); }},
        {"alignedmtl", Heads::own, [](int k, int, detail::Options& o) { return std::make_unique<AlignedMTL>(k, o); }},
        {"upgrad", Heads::own, [](int k, int, detail::Options& o) { return std::make_unique<UPGrad>(k, o); }},
        {"dualproj", Heads::own, [](int k, int, detail::Options& o) { return std::make_unique<DualProj>(k, o); }},
    };
    return table;
}

}  // namespace

std::unique_ptr<Strategy> make_strategy(const std::string& name, int tasks, int main, const std::vector<std::string>& options) {
    if (tasks < 1 || main < 0 || main >= tasks) throw std::invalid_argument("make_strategy: main task " + std::to_string(main) + " of " + std::to_string(tasks));
    for (const Entry& e : registry()) {
        if (e.name != name) continue;
        detail::Options o(name, options);
        std::unique_ptr<Strategy> s = e.make(tasks, main, o);
        s->heads_ = o.text("heads", e.heads == Heads::own ? "own" : "weighted", {"own", "weighted"}) == "own" ? Heads::own : Heads::weighted;
        o.finish();
        s->tasks_ = tasks;
        s->main_ = main;
        s->options_ = options;
        return s;
    }
    std::string known;
    for (const Entry& e : registry()) known += (known.empty() ? "" : ", ") + e.name;
    throw std::invalid_argument("unknown weighting strategy '" + name + "' (known: " + known + ")");
}

namespace {

// Throws unless a span the caller gave has the size the strategy reads.
void require_size(const Strategy& s, const std::string& span, std::size_t got, std::size_t want, const char* shape) {
    if (got != want)
        throw std::invalid_argument("strategy '" + s.name() + "': " + span + " has " + std::to_string(got) + " values, expected " + std::to_string(want) + " (" + shape + ")");
}

// The task count of a context, checked against the strategy's (or, for a strategy built
// directly, for consistency).
std::size_t checked_tasks(const Strategy& s, const char* context, int tasks, int main) {
    const bool made = s.tasks() != 0;
    if (made ? tasks != s.tasks() || main != s.main_task() : tasks < 1 || main < 0 || main >= tasks) {
        throw std::invalid_argument("strategy '" + s.name() + "': " + context + " for " + std::to_string(tasks) + " tasks with main task " + std::to_string(main) +
                                    (made ? ", the strategy was made for " + std::to_string(s.tasks()) + " tasks with main task " + std::to_string(s.main_task()) : ""));
    }
    return std::size_t(tasks);
}

// Checks a step context against what the strategy reads; returns the task count.
std::size_t checked_step(const Strategy& s, const StepContext& ctx) {
    const std::size_t K = checked_tasks(s, "StepContext", ctx.tasks, ctx.main);
    const Needs n = s.needs();
    require_size(s, "losses", ctx.losses.size(), K, "one per task");
    require_size(s, "gram", ctx.gram.size(), K * K, "tasks x tasks");
    if (n.last_layer_gram) require_size(s, "gram_last", ctx.gram_last.size(), K * K, "tasks x tasks");
    if (n.feature_gram) require_size(s, "feature_gram", ctx.feature_gram.size(), K * K, "tasks x tasks");
    if (n.first_order_gains || n.exact_gains) require_size(s, "gains", ctx.gains.size(), K, "one per task");
    return K;
}

}  // namespace

void Strategy::coefficients(const StepContext& ctx, std::span<double> c) {
    const std::size_t K = checked_step(*this, ctx);
    if (needs().layer_grams) throw std::logic_error("strategy '" + name() + "' has per-layer coefficients: call layer_coefficients()");
    if (needs().tracked_gradients) require_size(*this, "tracked_gram", ctx.tracked_gram.size(), K * K, "tasks x tasks");
    require_size(*this, "the output c", c.size(), K, "one per task");
    do_coefficients(ctx, c);
}

void Strategy::layer_coefficients(const StepContext& ctx, std::span<double> c, std::span<double> per_layer) {
    const std::size_t K = checked_step(*this, ctx);
    if (ctx.layers < 1) throw std::invalid_argument("strategy '" + name() + "': StepContext with " + std::to_string(ctx.layers) + " layers");
    const std::size_t L = std::size_t(ctx.layers);
    require_size(*this, "layer_grams", ctx.layer_grams.size(), L * K * K, "layers x tasks x tasks");
    if (needs().first_order_gains) require_size(*this, "layer_gains", ctx.layer_gains.size(), L * K, "layers x tasks");
    require_size(*this, "the output c", c.size(), K, "one per task");
    require_size(*this, "the output per_layer", per_layer.size(), L * K, "layers x tasks");
    do_layer_coefficients(ctx, c, per_layer);
}

double Strategy::track(const StepContext& ctx, std::span<double> scale) {
    const std::size_t K = checked_step(*this, ctx);
    require_size(*this, "the output scale", scale.size(), K, "one per task");
    return do_track(ctx, scale);
}

void Strategy::sample_weights(const SampleContext& ctx, std::span<double> w) {
    const std::size_t K = checked_tasks(*this, "SampleContext", ctx.tasks, ctx.main);
    if (ctx.samples < 0) throw std::invalid_argument("strategy '" + name() + "': SampleContext with " + std::to_string(ctx.samples) + " samples");
    const std::size_t KB = K * std::size_t(ctx.samples);
    require_size(*this, "dots", ctx.dots.size(), KB, "tasks x samples");
    require_size(*this, "norms", ctx.norms.size(), KB, "tasks x samples");
    if (!ctx.labelled.empty()) require_size(*this, "labelled", ctx.labelled.size(), KB, "tasks x samples");
    require_size(*this, "the output w", w.size(), KB, "tasks x samples");
    do_sample_weights(ctx, w);
}

void Strategy::end_epoch(std::span<const double> mean_losses) {
    if (tasks_ != 0) require_size(*this, "mean_losses", mean_losses.size(), std::size_t(tasks_), "one per task");
    do_end_epoch(mean_losses);
}

void Strategy::head_weights(std::span<const double> c, std::span<double> h) const {
    const std::size_t K = c.size();
    if (tasks_ != 0) require_size(*this, "c", K, std::size_t(tasks_), "one per task");
    require_size(*this, "the output h", h.size(), K, "one per task");
    do_head_weights(c, h);
}

void Strategy::after_step(std::span<const double> losses_before, std::span<const double> losses_after) {
    if (tasks_ != 0) {
        require_size(*this, "losses_before", losses_before.size(), std::size_t(tasks_), "one per task");
        require_size(*this, "losses_after", losses_after.size(), std::size_t(tasks_), "one per task");
    } else if (losses_before.size() != losses_after.size()) {
        require_size(*this, "losses_after", losses_after.size(), losses_before.size(), "as many as losses_before");
    }
    do_after_step(losses_before, losses_after);
}

std::vector<std::string> strategy_names() {
    std::vector<std::string> names;
    for (const Entry& e : registry()) names.push_back(e.name);
    return names;
}

}  // namespace hyda::mtl
