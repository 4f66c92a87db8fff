// HydaLearn: Verboven, Chaudhary, Berrevoets, Ginis & Verbeke, "HydaLearn: Highly Dynamic
// Task Weighting for Multitask Learning with Auxiliary Tasks", Applied Intelligence 53(5),
// 2023 (arXiv 2008.11643). On every mini-batch, task k's weight follows the gain delta_k
// its gradient brings to the main task, w_i / w_j = delta_i / delta_j. The options beyond
// the paper's rule (precondition, measure, smooth, prior, granularity, gain=sample,
// self_gain) are our variants, off by default. See docs/hydalearn.md for which details
// follow the paper and which are our choices, and for each variant's formula.
#include "hydalearn.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <stdexcept>

namespace hyda::mtl {

HydaLearn::HydaLearn(int tasks, int main, detail::Options& options)
    : tasks_(tasks), main_(main), x_(std::size_t(tasks)), smoothed_(std::size_t(tasks)), silent_(std::size_t(tasks), 0) {
    // preset=held_out_prior: the variant docs/results.md found best (chosen on other seeds
    // than those it is judged on), one option away; options given beside it override it.
    const bool preset = options.text("preset", "paper", {"paper", "held_out_prior"}) == "held_out_prior";
    const std::string gain = options.text("gain", "first_order", {"first_order", "exact", "sample"});
    gain_ = gain == "first_order" ? Gain::first_order : gain == "exact" ? Gain::exact : Gain::sample;
    held_out_ = options.text("batch", preset ? "held_out" : "train", {"train", "held_out"}) == "held_out";
    const std::string norm = options.text("normalize", preset ? "main" : "sum", {"sum", "one", "main"});
    normalize_ = norm == "sum" ? Normalize::sum_to_tasks : norm == "one" ? Normalize::sum_to_one : Normalize::main_is_one;
    auxiliary_ = options.text("aux", "on", {"on", "off"}) == "on";
    lr_precondition_ = options.text("precondition", "step", {"step", "lr"}) == "lr";
    const std::string measure = options.text("measure", "gain", {"gain", "cosine", "normalized"});
    measure_ = measure == "gain" ? Measure::gain : measure == "cosine" ? Measure::cosine : Measure::normalized;
    const bool cosine = measure_ == Measure::cosine;
    smooth_ = options.number("smooth", 0);
    prior_ = options.number("prior", preset ? 0.5 : 0);
    per_layer_ = options.text("granularity", preset ? "layer" : "whole", {"whole", "layer"}) == "layer";
    debiased_ = options.text("self_gain", "batch", {"batch", "debiased"}) == "debiased";

    auto refuse = [preset](bool bad, const std::string& why) {
        if (bad)
            throw std::invalid_argument("hydalearn: " + why +
                                        (preset ? " (preset=held_out_prior sets batch=held_out, normalize=main, prior=0.5 and granularity=layer; give the option to change beside it)" : ""));
    };
    refuse(!(smooth_ >= 0 && smooth_ < 1), "smooth must be in [0, 1), got " + std::to_string(smooth_));
    refuse(!(prior_ >= 0 && prior_ <= 1), "prior must be in [0, 1], got " + std::to_string(prior_));
    refuse(per_layer_ && gain_ != Gain::first_order, "granularity=layer needs gain=first_order (per-layer gains come from the sweep's per-layer gradients)");
    refuse(cosine && gain_ == Gain::exact, "measure=cosine reads the Gram matrix, not look-ahead gains: gain=exact has no effect with it");
    // With gain=sample, P and the batch still choose the sample reference.
    refuse(cosine && gain_ != Gain::sample && lr_precondition_, "measure=cosine does not involve the gain's preconditioner: precondition=lr has no effect with it");
    refuse(cosine && gain_ != Gain::sample && held_out_, "measure=cosine is the training batch's Gram matrix: batch=held_out has no effect with it");
    // A held-out main gradient carries no self terms of the batch it is compared with; a
    // look-ahead is no sum of row pairs.
    refuse(debiased_ && gain_ != Gain::first_order, "self_gain=debiased corrects first-order gains: it needs gain=first_order");
    refuse(debiased_ && held_out_, "self_gain=debiased removes the training batch's self terms: held-out gains (batch=held_out) have none");
    refuse(debiased_ && cosine, "measure=cosine reads the Gram matrix, not the gains: self_gain=debiased has no effect with it");
    const bool variant = lr_precondition_ || measure_ != Measure::gain || smooth_ > 0 || prior_ > 0 || per_layer_ || gain_ == Gain::sample || debiased_;
    refuse(!auxiliary_ && variant, "aux=off keeps only the main task, which the options precondition, measure, smooth, prior, granularity, self_gain and gain=sample cannot change");
}

Needs HydaLearn::needs() const {
    Needs n;
    n.first_order_gains = measure_ != Measure::cosine && gain_ != Gain::exact;
    n.exact_gains = gain_ == Gain::exact;
    n.held_out_gains = held_out_;
    n.gain_preconditioner = lr_precondition_ ? GainPreconditioner::lr : GainPreconditioner::step;
    n.layer_grams = per_layer_;
    n.debiased_self_gain = debiased_;
    n.sample_weights = gain_ == Gain::sample;
    n.sample_reference = SampleReference::main_step;
    n.sample_weighted_heads = false;  // a head serves its own task: all its rows
    return n;
}

void HydaLearn::measure(std::span<const double> gram, std::span<const double> gains, std::span<double> x) const {
    const std::size_t K = std::size_t(tasks_), m = std::size_t(main_);
    for (std::size_t k = 0; k < K; ++k) {
        switch (measure_) {
            case Measure::gain: x[k] = gains[k]; break;
            case Measure::cosine: {
                const double norms = gram[m * K + m] * gram[k * K + k];
                x[k] = k == m ? 1.0 : norms > 0 ? gram[m * K + k] / std::sqrt(norms) : 0.0;  // a zero gradient: cosine 0
                break;
            }
            // The gain per unit length of g_k, <P g_ref, g_k> / ||g_k||: the reference
            // gradient's scale, common to every task, cancels in the normalisation, so with
            // precondition=lr on a held-out batch this ranks tasks by cos(g_main^held, g_k),
            // the main task's own included.
            case Measure::normalized: x[k] = gram[k * K + k] > 0 ? gains[k] / std::sqrt(gram[k * K + k]) : 0.0; break;
        }
    }
}

void HydaLearn::weigh(std::span<const double> x, std::span<double> m, bool first, std::span<double> c) const {
    for (std::size_t k = 0; k < x.size(); ++k) m[k] = first || smooth_ == 0 ? x[k] : smooth_ * m[k] + (1 - smooth_) * x[k];
    // Negative gains would move the main task backwards: those tasks sit this batch out.
    for (int k = 0; k < tasks_; ++k) c[k] = (k == main_ || (auxiliary_ && !silent_[std::size_t(k)])) ? std::max(m[std::size_t(k)], 0.0) : 0.0;
    // The main task never drops out: if its own step does not help on this batch, it
    // keeps the weight of the best auxiliary task, or all the weight if none helps.
    if (c[main_] <= 0) {
        c[main_] = *std::max_element(c.begin(), c.end());
        if (c[main_] <= 0) c[main_] = 1;
    }
    double scale = 1;
    switch (normalize_) {
        case Normalize::sum_to_tasks: scale = tasks_ / std::accumulate(c.begin(), c.end(), 0.0); break;
        case Normalize::sum_to_one: scale = 1 / std::accumulate(c.begin(), c.end(), 0.0); break;
        case Normalize::main_is_one: scale = 1 / c[main_]; break;
    }
    for (double& w : c) w *= scale;
    if (prior_ > 0) {  // toward equal weights of the same normalisation
        const double equal = normalize_ == Normalize::sum_to_one ? 1.0 / tasks_ : 1.0;
        for (double& w : c) w = (1 - prior_) * w + prior_ * equal;
    }
}

void HydaLearn::do_coefficients(const StepContext& ctx, std::span<double> c) {
    measure(ctx.gram, ctx.gains, x_);
    weigh(x_, smoothed_, !started_, c);
    started_ = true;
}

void HydaLearn::do_layer_coefficients(const StepContext& ctx, std::span<double> c, std::span<double> per_layer) {
    const std::size_t K = std::size_t(tasks_), L = std::size_t(ctx.layers);
    const bool first = !started_;
    if (first) layer_smoothed_.assign(L * K, 0.0);
    if (layer_smoothed_.size() != L * K)
        throw std::invalid_argument("hydalearn: StepContext with " + std::to_string(L) + " layers, earlier steps had " + std::to_string(layer_smoothed_.size() / K));
    for (std::size_t l = 0; l < L; ++l) {
        const std::span<const double> gains = ctx.layer_gains.empty() ? ctx.layer_gains : ctx.layer_gains.subspan(l * K, K);
        measure(ctx.layer_grams.subspan(l * K * K, K * K), gains, x_);
        weigh(x_, std::span<double>(layer_smoothed_).subspan(l * K, K), first, per_layer.subspan(l * K, K));
    }
    do_coefficients(ctx, c);  // what the heads and the trace see: the whole trunk's rule
}

// Within auxiliary task k, row i's weight follows max(0, s_ki), s_ki its gradient's inner
// product with the reference P g_main, normalised over the task's labelled rows; the main
// task's rows keep their plain mean.
void HydaLearn::do_sample_weights(const SampleContext& ctx, std::span<double> w) {
    const std::size_t B = std::size_t(ctx.samples);
    for (std::size_t k = 0; k < std::size_t(tasks_); ++k) {
        const auto labelled = [&](std::size_t i) { return ctx.labelled.empty() ? 1.0 : ctx.labelled[k * B + i]; };
        double positive = 0, rows = 0;
        for (std::size_t i = 0; i < B; ++i) {
            rows += labelled(i);
            w[k * B + i] = k == std::size_t(main_) ? 0.0 : labelled(i) * std::max(ctx.dots[k * B + i], 0.0);
            positive += w[k * B + i];
        }
        // No row helps: the plain mean, and the task sits the batch out (its coefficient 0).
        silent_[k] = k != std::size_t(main_) && !(positive > 0);
        const bool uniform = !(positive > 0);
        for (std::size_t i = 0; i < B; ++i) w[k * B + i] = uniform ? (rows > 0 ? labelled(i) / rows : 0.0) : w[k * B + i] / positive;
    }
}

void HydaLearn::visit_state(StateVisitor& v) {
    v("smoothed", smoothed_);
    v.resizable("layer_smoothed", layer_smoothed_);
    v("started", started_);
}

}  // namespace hyda::mtl
