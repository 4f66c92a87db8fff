// The trainer's construction and one step: batches and the losses measured on them, the
// step's analysis (forward, sweep, statistics, coefficients), combining the task
// gradients, the optimizer step; inspect() returns the analysis instead.
#include "hyda/mtl/trainer.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "hyda/autodiff/ops.hpp"
#include "hyda/kernels/elementwise.hpp"
#include "trainer_state.hpp"

namespace hyda::mtl {

void TrainOptions::validate() const {
    auto require = [](bool ok, const std::string& what) {
        if (!ok) throw std::invalid_argument("trainer: " + what);
    };
    require(epochs >= 0, "epochs must be >= 0, got " + std::to_string(epochs));
    require(batch_size >= 1, "batch_size must be >= 1, got " + std::to_string(batch_size));
    require(std::isfinite(mix_concentration) && mix_concentration > 0, "mix_concentration must be finite and > 0, got " + std::to_string(mix_concentration));
    require(std::isfinite(lr) && lr >= 0, "lr must be finite and >= 0, got " + std::to_string(lr));
    require(std::isfinite(momentum) && momentum >= 0, "momentum must be finite and >= 0, got " + std::to_string(momentum));
    require(std::isfinite(weight_decay) && weight_decay >= 0, "weight_decay must be finite and >= 0, got " + std::to_string(weight_decay));
    require(std::isfinite(step_gamma) && step_gamma > 0, "step_gamma must be finite and > 0, got " + std::to_string(step_gamma));
    require(step_every >= 1, "step_every must be >= 1, got " + std::to_string(step_every));
    require(std::isfinite(clip_norm) && clip_norm >= 0, "clip_norm must be finite and >= 0 (0 = off), got " + std::to_string(clip_norm));
    require(on_nan == NanPolicy::stop || on_nan == NanPolicy::skip, "on_nan must be stop or skip");
    require(patience >= 0, "patience must be >= 0 (0 = never stop early), got " + std::to_string(patience));
    require(checkpoint_every >= 0, "checkpoint_every must be >= 0 (0 = never), got " + std::to_string(checkpoint_every));
    require(!(checkpoint_every > 0 || checkpoint_epochs) || on_checkpoint != nullptr, "checkpoints (checkpoint_every, checkpoint_epochs) need on_checkpoint");
}

template <class T>
Trainer<T>::State::State(Model<T>& m, Strategy& s, TrainOptions o)
    : model(m), strategy(s), opt(std::move(o)), needs(s.needs()), K(m.tasks()), main(m.spec().main_task),
      tape(opt.seed), side_tape(opt.seed + 1), rng(opt.seed) {
    if (strategy.tasks() != 0 && (strategy.tasks() != K || strategy.main_task() != main)) {
        throw std::invalid_argument("trainer: strategy '" + strategy.name() + "' was made for " + std::to_string(strategy.tasks()) +
                                    " tasks with main task " + std::to_string(strategy.main_task()) + ", the model has " +
                                    std::to_string(K) + " tasks with main task " + std::to_string(main));
    }
    opt.validate();
    if (needs.sample_weights && model.spec().arch != Architecture::hps)  // its per-sample gradients are the trunk's layers'
        throw std::invalid_argument("trainer: strategy '" + strategy.name() + "' needs arch=hps (it weights samples through the shared trunk's layers)");
    if (needs.debiased_self_gain && model.spec().arch != Architecture::hps)  // its rows' self terms are the trunk's layers'
        throw std::invalid_argument("trainer: strategy '" + strategy.name() + "' needs arch=hps (it debiases the main gain through the shared trunk's layers)");
    if (needs.debiased_self_gain && (!needs.first_order_gains || needs.held_out_gains || needs.exact_gains || needs.sample_weights))
        throw std::invalid_argument("trainer: strategy '" + strategy.name() + "' asks for a debiased self-gain, which needs plain first-order gains on the training batch");
    if (needs.feature_gram && model.spec().arch != Architecture::hps)  // gated models have no one shared representation
        throw std::invalid_argument("trainer: strategy '" + strategy.name() + "' with ub=on needs arch=hps (its Gram matrix is over the shared trunk's output)");
    std::vector<ad::Parameter<T>*> params = model.parameters();
    const T lr = T(opt.lr), wd = T(opt.weight_decay);
    switch (opt.optimizer) {
        case OptimizerKind::sgd: optimizer = std::make_unique<ad::SGD<T>>(params, lr, ad::SGDOptions<T>{T(opt.momentum), false, wd}); break;
        case OptimizerKind::adam: optimizer = std::make_unique<ad::Adam<T>>(params, lr, ad::AdamOptions<T>{T(0.9), T(0.999), T(1e-8), wd}); break;
        case OptimizerKind::adamw: optimizer = std::make_unique<ad::AdamW<T>>(params, lr, ad::AdamWOptions<T>{T(0.9), T(0.999), T(1e-8), wd}); break;
    }
    for (const TaskSpec& t : model.spec().tasks) {
        label_names.push_back(t.name + ".labels");
        mask_names.push_back(t.name + ".mask");
        weight_names.push_back(t.name + ".weight");
    }
    mean_weights.resize(std::size_t(K));
    reported.resize(std::size_t(K));
    outputs.resize(std::size_t(K));
    side_outputs.resize(std::size_t(K));
    losses.resize(std::size_t(K));
    losses_before.resize(std::size_t(K));
    losses_after.resize(std::size_t(K));
    loss_values.resize(std::size_t(K));
    gram.resize(std::size_t(K) * K);
    gram_last.resize(std::size_t(K) * K);
    feature_gram.resize(std::size_t(K) * K);
    feature_adjoints.resize(std::size_t(K));
    head_weights.resize(std::size_t(K));
    gains.resize(std::size_t(K));
    coefficients.resize(std::size_t(K));
    coef_t.resize(std::size_t(K));
    one_hot.resize(std::size_t(K));
    seed_ptrs.resize(std::size_t(K));
    labelled.resize(std::size_t(K));
    part_gram.resize(std::size_t(K) * K);
    part_gains.resize(std::size_t(K));
    gram_rows.resize(std::size_t(K));
    if (needs.layer_grams) {
        const std::size_t L = model.shared_layers();
        layer_grams.resize(L * K * K);
        layer_coefs.resize(L * K);
        layer_coef_t.resize(L * K);
        if (needs.first_order_gains) layer_gains.resize(L * K);
    }
    if (needs.tracked_gradients) {
        tracked_gram.resize(std::size_t(K) * K);
        track_scale.resize(std::size_t(K));
        for (std::size_t i = 0; i < model.shared_count(); ++i) tracked.emplace_back(std::size_t(K) * params[i]->size(), T(0));
    }
    std::size_t largest = 0, shared_total = 0;
    for (std::size_t i = 0; i < model.shared_count(); ++i) {
        largest = std::max(largest, params[i]->size());
        shared_total += params[i]->size();
        main_ref.emplace_back(params[i]->size());
        if (needs.sample_weights && needs.sample_reference == SampleReference::main_step) sample_ref.emplace_back(params[i]->size());
    }
    diag.resize(largest);
    scaled.resize(largest);
    backup.resize(shared_total);
    precond.resize(shared_total);
    make_identity();
    start_epoch();
}

template <class T>
int Trainer<T>::State::gather(const Dataset<T>& data, std::span<const int> rows) {
    const int B = int(rows.size()), d = data.features;
    xb.resize(std::size_t(B) * d);
    yb.resize(std::size_t(K) * B);
    mb.resize(std::size_t(K) * B);
    weighted = !data.weights.empty();
    if (weighted) wb.resize(std::size_t(K) * B);
    for (int r = 0; r < B; ++r) {
        if (rows[r] < 0 || rows[r] >= data.rows)
            throw std::out_of_range("trainer: batch row " + std::to_string(r) + " is row " + std::to_string(rows[r]) + " of a dataset of " + std::to_string(data.rows));
        std::copy_n(data.x.begin() + std::ptrdiff_t(rows[r]) * d, d, xb.begin() + std::ptrdiff_t(r) * d);
        for (int k = 0; k < K; ++k) {
            const T y = data.labels[std::size_t(k)][std::size_t(rows[r])];
            yb[std::size_t(k) * B + r] = y;
            mb[std::size_t(k) * B + r] = std::isnan(y) ? T(0) : T(1);
            if (!weighted) continue;
            const std::vector<T>& w = data.weights[std::size_t(k)];
            wb[std::size_t(k) * B + r] = w.empty() ? T(1) : w[std::size_t(rows[r])];
        }
    }
    return B;
}

template <class T>
int Trainer<T>::State::gather_held_out(const Dataset<T>* held_out) {
    if (held_out == nullptr || held_out->rows == 0) throw std::invalid_argument("strategy '" + strategy.name() + "' needs held-out data: give validation data");
    held_rows.resize(std::min<std::size_t>(std::size_t(opt.batch_size), std::size_t(held_out->rows)));
    for (int& r : held_rows) r = int(rng.below(std::uint64_t(held_out->rows)));
    return gather(*held_out, held_rows);
}

template <class T>
ad::Var<T> Trainer<T>::State::task_loss(ad::Tape<T>& t, ad::Var<T> output, int k, int B) {
    const std::size_t at = std::size_t(k) * B;
    return Model<T>::loss(model.spec().tasks[std::size_t(k)], output, t.input(yb.data() + at, B, 1, label_names[std::size_t(k)]),
                          t.input(mb.data() + at, B, 1, mask_names[std::size_t(k)]),
                          weighted ? t.input(wb.data() + at, B, 1, weight_names[std::size_t(k)]) : ad::Var<T>{});
}

template <class T>
void Trainer<T>::State::measure_mean_weights(int B) {
    for (int k = 0; k < K; ++k) {
        double sum = 0, n = 0;
        if (weighted)
            for (std::size_t at = std::size_t(k) * B; at < std::size_t(k + 1) * B; ++at) sum += double(mb[at]) * double(wb[at]), n += double(mb[at]);
        mean_weights[std::size_t(k)] = n > 0 ? sum / n : 1.0;
    }
}

template <class T>
double Trainer<T>::State::main_loss(int B) {
    side_tape.reset();
    const ad::Var<T> x = side_tape.input(xb.data(), B, model.spec().inputs, "x");
    return double(task_loss(side_tape, model.task_output(side_tape, x, false, main), main, B).item());
}

template <class T>
void Trainer<T>::State::main_gradient(int B) {
    const auto& ps = params();
    side_tape.reset();
    const ad::Var<T> x = side_tape.input(xb.data(), B, model.spec().inputs, "x");
    side_tape.backward(task_loss(side_tape, model.task_output(side_tape, x, false, main), main, B));
    for (std::size_t i = 0; i < model.shared_count(); ++i) std::copy_n(ps[i]->grad().data(), ps[i]->size(), main_ref[i].data());
}

template <class T>
void Trainer<T>::State::batch_losses(const Dataset<T>& data, std::span<const int> rows, std::vector<double>& out) {
    const int B = gather(data, rows);
    side_tape.reset();
    model.forward(side_tape, side_tape.input(xb.data(), B, data.features, "x"), false, side_outputs);
    for (int k = 0; k < K; ++k) out[std::size_t(k)] = double(task_loss(side_tape, side_outputs[std::size_t(k)], k, B).item());
}

template <class T>
int Trainer<T>::State::non_finite_head() const {
    for (int k = 0; k < K; ++k) {
        const auto [first, last] = model.head_range(k);
        for (std::size_t i = first; i < last; ++i) {
            const T* g = params()[i]->task_grad(k);
            if (g != nullptr && !std::all_of(g, g + params()[i]->size(), [](T v) { return std::isfinite(v); })) return k;
        }
    }
    return -1;
}

template <class T>
bool Trainer<T>::State::numerical_fault(int k, const char* what, NanPolicy on_nan) const {
    if (on_nan == NanPolicy::skip) return false;
    throw std::runtime_error(std::string("non-finite ") + what + " of task '" + model.spec().tasks[std::size_t(k)].name + "' at step " +
                             std::to_string(steps) + " (epoch " + std::to_string(epoch) + "): training stopped (on_nan=stop)");
}

template <class T>
bool Trainer<T>::State::analyse(const Dataset<T>& data, std::span<const int> rows, const Dataset<T>* held_out, NanPolicy on_nan) {
    data.check_shapes(model.spec(), "training data");  // O(tasks): fit() checked the values once
    if (held_out != nullptr) held_out->check_shapes(model.spec(), "held-out data");
    // The held-out batch first: it reuses the batch buffers, which the training tape
    // reads until its last sweep.
    if (needs.sample_weights && (needs.sample_reference == SampleReference::held_out_main || needs.held_out_gains)) main_gradient(gather_held_out(held_out));
    const int B = gather(data, rows);
    measure_mean_weights(B);
    tape.reset();
    const ad::Var<T> x = tape.input(xb.data(), B, data.features, "x");
    std::vector<ad::Var<T>>* io = needs.sample_weights || needs.debiased_self_gain ? &trunk_io : nullptr;
    model.forward(tape, x, true, outputs, io, needs.feature_gram ? &trunk_out : nullptr);
    if (needs.feature_gram) tape.keep_adjoint(trunk_out);  // read after the sweep
    for (int k = 0; k < K; ++k) losses[std::size_t(k)] = task_loss(tape, outputs[std::size_t(k)], k, B);
    if (needs.sample_weights && !needs.sample_weighted_heads) {
        // reweight_trunk forms the other tasks' trunk gradients from the adjoints: the sweep
        // computes only the main task's, which the sample reference and the gains read.
        for (std::size_t i = 0; i < model.shared_count(); ++i) tape.skip_param_grad(tape.param(*params()[i]), ~(std::uint64_t(1) << main));
    }
    tape.backward_multi(losses);
    // A numerical fault stops here, before any strategy call (SLGrad's sample weights
    // included) could advance the strategy's state.
    for (int k = 0; k < K; ++k) loss_values[std::size_t(k)] = double(losses[std::size_t(k)].item());
    for (int k = 0; k < K; ++k)
        if (!std::isfinite(loss_values[std::size_t(k)])) return numerical_fault(k, "loss", on_nan);
    if (const int k = non_finite_head(); k >= 0) return numerical_fault(k, "gradient", on_nan);
    if (needs.sample_weights) weight_samples(B);
    gram_and_gains(rows, held_out);
    for (int k = 0; k < K; ++k)  // G_kk = ||g_k||^2: not finite iff g_k has a NaN or Inf (or its square overflows)
        if (!std::isfinite(gram[std::size_t(k) * K + k])) return numerical_fault(k, "gradient", on_nan);
    if (needs.debiased_self_gain) debias_self_gain(B);

    StepContext ctx;
    ctx.tasks = K;
    ctx.main = main;
    ctx.step = steps;
    ctx.epoch = epoch;
    ctx.losses = loss_values;
    ctx.gram = gram;
    if (needs.last_layer_gram) ctx.gram_last = gram_last;
    if (needs.feature_gram) ctx.feature_gram = feature_gram;
    if (needs.first_order_gains || needs.exact_gains) ctx.gains = gains;
    ctx.seed = opt.seed ^ (std::uint64_t(steps) * 0x9E3779B97F4A7C15ull);
    auto fail = [&](const std::string& what) { throw std::runtime_error("strategy '" + strategy.name() + "' returned " + what + " at step " + std::to_string(steps)); };
    if (needs.layer_grams) {
        ctx.layers = int(model.shared_layers());
        ctx.layer_grams = layer_grams;
        ctx.layer_gains = layer_gains;
    }
    if (needs.tracked_gradients) {
        const double rate = strategy.track(ctx, track_scale);
        if (!(rate >= 0 && rate <= 1)) fail("the tracking rate " + std::to_string(rate) + ", outside [0, 1],");
        for (double s : track_scale)
            if (!std::isfinite(s)) fail("a non-finite tracking scale");
        track_gradients(rate);
        ctx.tracked_gram = tracked_gram;
    }
    if (needs.layer_grams) {
        strategy.layer_coefficients(ctx, coefficients, layer_coefs);
    } else {
        strategy.coefficients(ctx, coefficients);
    }
    for (const auto* cs : {&coefficients, &layer_coefs})
        for (double c : *cs)
            if (!std::isfinite(c)) fail("a non-finite coefficient");
    for (int k = 0; k < K; ++k) reported[std::size_t(k)] = coefficients[std::size_t(k)] * mean_weights[std::size_t(k)];
    return true;
}

template <class T>
void Trainer<T>::State::combine() {
    const auto& ps = params();
    for (int k = 0; k < K; ++k) coef_t[std::size_t(k)] = T(coefficients[std::size_t(k)]);
    for (std::size_t e = 0; e < layer_coefs.size(); ++e) layer_coef_t[e] = T(layer_coefs[e]);
    for (std::size_t i = 0; i < model.shared_count(); ++i) {
        const T* c = needs.layer_grams ? layer_coef_t.data() + model.shared_layer_of(i) * K : coef_t.data();
        if (!needs.tracked_gradients) {
            ps[i]->combine(c, K);
            continue;
        }
        const std::size_t n = ps[i]->size();  // grad = sum_k c_k y_k
        T* grad = ps[i]->grad().data();
        hyda::scale(n, c[0], tracked[i].data(), grad);
        for (int k = 1; k < K; ++k) hyda::axpy(n, c[k], tracked[i].data() + std::size_t(k) * n, grad);
    }
    const bool weighted = strategy.heads() == Heads::weighted;
    if (weighted) {
        strategy.head_weights(coefficients, head_weights);
        for (double h : head_weights)
            if (!std::isfinite(h)) throw std::runtime_error("strategy '" + strategy.name() + "' returned a non-finite head weight at step " + std::to_string(steps));
    }
    for (int k = 0; k < K; ++k) {
        std::fill(one_hot.begin(), one_hot.end(), T(0));
        one_hot[std::size_t(k)] = weighted ? T(head_weights[std::size_t(k)]) : T(1);
        const auto [first, last] = model.head_range(k);
        for (std::size_t i = first; i < last; ++i) ps[i]->combine(one_hot.data(), K);
    }
}

template <class T>
Trainer<T>::Trainer(Model<T>& model, Strategy& strategy, TrainOptions options)
    : s_(std::make_unique<State>(model, strategy, std::move(options))) {}

template <class T>
Trainer<T>::~Trainer() = default;

template <class T>
const ad::Optimizer<T>& Trainer<T>::optimizer() const {
    return *s_->optimizer;
}

template <class T>
void Trainer<T>::step(const Dataset<T>& data, std::span<const int> rows, const Dataset<T>* held_out) {
    State& s = *s_;
    if (!s.analyse(data, rows, held_out, s.opt.on_nan)) {  // a numerical fault, skipped
        ++s.skipped;
        ++s.steps;
        return;
    }
    s.combine();
    if (s.opt.clip_norm > 0) ad::clip_grad_norm(std::span<ad::Parameter<T>* const>(s.params()), T(s.opt.clip_norm));
    // The losses before and after the step, both without dropout so that they differ by
    // the step alone: without dropout the training forward measured them already.
    const bool around = s.needs.losses_after_step;
    if (around && s.model.spec().dropout == 0) std::copy(s.loss_values.begin(), s.loss_values.end(), s.losses_before.begin());
    if (around && s.model.spec().dropout != 0) s.batch_losses(data, rows, s.losses_before);
    s.optimizer->step();
    if (around) {
        s.batch_losses(data, rows, s.losses_after);
        s.strategy.after_step(s.losses_before, s.losses_after);
    }
    if (s.opt.trace != nullptr) s.write_trace();
    ++s.steps;
}

template <class T>
Introspection Trainer<T>::inspect(const Dataset<T>& data, std::span<const int> rows, const Dataset<T>* held_out) {
    State& s = *s_;
    s.analyse(data, rows, held_out, NanPolicy::stop);
    Introspection r;
    for (const auto& t : s.model.spec().tasks) r.tasks.push_back(t.name);
    r.losses = s.loss_values;
    r.gram = s.gram;
    if (s.needs.feature_gram) r.feature_gram = s.feature_gram;
    if (s.needs.first_order_gains || s.needs.exact_gains) r.gains = s.gains;
    r.coefficients = s.coefficients;
    if (s.needs.sample_weights) r.sample_dots = s.sample_dots, r.sample_norms = s.sample_norms, r.sample_weights = s.sample_w;
    for (int k = 0; k < s.K; ++k) r.grad_norms.push_back(std::sqrt(s.gram[std::size_t(k) * s.K + k]));
    r.task_gradients.resize(std::size_t(s.K));
    for (std::size_t i = 0; i < s.model.shared_count(); ++i) {
        const ad::Parameter<T>& p = *s.params()[i];
        r.shared_parameters.push_back(p.name());
        for (int k = 0; k < s.K; ++k) r.task_gradients[std::size_t(k)].insert(r.task_gradients[std::size_t(k)].end(), p.task_grad(k), p.task_grad(k) + p.size());
    }
    return r;
}

// The members defined above, State's included; fit() and the rest of State's are
// instantiated in their own files.
template class Trainer<float>;
template class Trainer<double>;

}  // namespace hyda::mtl
