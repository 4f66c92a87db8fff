#include "hyda/mtl/trainer.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <numeric>
#include <ostream>
#include "hyda/autodiff/random.hpp"
#include <stdexcept>

#include "hyda/autodiff/ops.hpp"
#include "hyda/kernels/elementwise.hpp"
#include "hyda/kernels/gemm.hpp"

namespace hyda::mtl {

void TrainOptions::validate() const {
    auto require = [](bool ok, const std::string& what) {
        if (!ok) throw std::invalid_argument("trainer: " + what);
    };
    require(epochs >= 0, "epochs must be >= 0, got " + std::to_string(epochs));
    require(batch_size >= 1, "batch_size must be >= 1, got " + std::to_string(batch_size));
    require(std::isfinite(lr) && lr >= 0, "lr must be finite and >= 0, got " + std::to_string(lr));
    require(std::isfinite(momentum) && momentum >= 0, "momentum must be finite and >= 0, got " + std::to_string(momentum));
    require(std::isfinite(weight_decay) && weight_decay >= 0, "weight_decay must be finite and >= 0, got " + std::to_string(weight_decay));
    require(std::isfinite(step_gamma) && step_gamma > 0, "step_gamma must be finite and > 0, got " + std::to_string(step_gamma));
    require(step_every >= 1, "step_every must be >= 1, got " + std::to_string(step_every));
    require(std::isfinite(clip_norm) && clip_norm >= 0, "clip_norm must be finite and >= 0 (0 = off), got " + std::to_string(clip_norm));
    require(patience >= 0, "patience must be >= 0 (0 = never stop early), got " + std::to_string(patience));
}

template <class T>
struct Trainer<T>::State {
    Model<T>& model;
    Strategy& strategy;
    TrainOptions opt;
    Needs needs;
    std::unique_ptr<ad::Optimizer<T>> optimizer;
    int K, main;
    ad::Tape<T> tape, side_tape;  // side_tape: held-out gradients and look-ahead evaluations
    std::int64_t steps = 0;
    int epoch = 0;
    ad::Rng rng;  // batch order and held-out batches

    // Per-step buffers, sized once.
    std::vector<T> xb, yb, mb;  // batch features; labels and masks, task-major
    std::vector<std::string> label_names, mask_names;  // "<task>.labels", "<task>.mask": what errors name
    std::vector<ad::Var<T>> outputs, losses;
    std::vector<double> loss_values, gram, gram_last, gains, coefficients;
    std::vector<T> coef_t, one_hot, diag, scaled, backup, precond;
    std::vector<std::vector<T>> main_ref;  // per shared parameter: the main gradient gains compare with
    std::vector<int> held_rows;
    // Sample weighting (SLGrad): each trunk layer's input and pre-activation; per task and
    // sample the inner product with the held-out main gradient, gradient norm, weight, seed;
    // per task the labelled samples.
    std::vector<ad::Var<T>> trunk_io;
    std::vector<double> sample_dots, sample_norms, row_sq, sample_w, labelled;
    std::vector<T> seeds, proj;
    std::vector<const T*> seed_ptrs;

    State(Model<T>& m, Strategy& s, TrainOptions o)
        : model(m), strategy(s), opt(std::move(o)), needs(s.needs()), K(m.tasks()), main(m.spec().main_task),
          tape(opt.seed), side_tape(opt.seed + 1), rng(opt.seed) {
        if (strategy.tasks() != 0 && (strategy.tasks() != K || strategy.main_task() != main)) {
            throw std::invalid_argument("trainer: strategy '" + strategy.name() + "' was made for " + std::to_string(strategy.tasks()) +
                                        " tasks with main task " + std::to_string(strategy.main_task()) + ", the model has " +
                                        std::to_string(K) + " tasks with main task " + std::to_string(main));
        }
        opt.validate();
        std::vector<ad::Parameter<T>*> params = model.parameters();
        const T lr = T(opt.lr), wd = T(opt.weight_decay);
        switch (opt.optimizer) {
            case OptimizerKind::sgd: optimizer = std::make_unique<ad::SGD<T>>(params, lr, ad::SGDOptions<T>{T(opt.momentum), false, wd}); break;
            case OptimizerKind::adam: optimizer = std::make_unique<ad::Adam<T>>(params, lr, ad::AdamOptions<T>{T(0.9), T(0.999), T(1e-8), wd}); break;
            case OptimizerKind::adamw: optimizer = std::make_unique<ad::AdamW<T>>(params, lr, ad::AdamWOptions<T>{T(0.9), T(0.999), T(1e-8), wd}); break;
        }
        for (const TaskSpec& t : model.spec().tasks) label_names.push_back(t.name + ".labels"), mask_names.push_back(t.name + ".mask");
        outputs.resize(std::size_t(K));
        losses.resize(std::size_t(K));
        loss_values.resize(std::size_t(K));
        gram.resize(std::size_t(K) * K);
        gram_last.resize(std::size_t(K) * K);
        gains.resize(std::size_t(K));
        coefficients.resize(std::size_t(K));
        coef_t.resize(std::size_t(K));
        one_hot.resize(std::size_t(K));
        seed_ptrs.resize(std::size_t(K));
        labelled.resize(std::size_t(K));
        std::size_t largest = 0, shared_total = 0;
        for (std::size_t i = 0; i < model.shared_count(); ++i) {
            largest = std::max(largest, params[i]->size());
            shared_total += params[i]->size();
            main_ref.emplace_back(params[i]->size());
        }
        diag.resize(largest);
        scaled.resize(largest);
        backup.resize(shared_total);
        precond.resize(shared_total);
    }

    const std::vector<ad::Parameter<T>*>& params() const { return model.parameters(); }

    // Copies the rows into the batch buffers; a missing label gets mask 0.
    int gather(const Dataset<T>& data, std::span<const int> rows) {
        const int B = int(rows.size()), d = data.features;
        xb.resize(std::size_t(B) * d);
        yb.resize(std::size_t(K) * B);
        mb.resize(std::size_t(K) * B);
        for (int r = 0; r < B; ++r) {
            if (rows[r] < 0 || rows[r] >= data.rows)
                throw std::out_of_range("trainer: batch row " + std::to_string(r) + " is row " + std::to_string(rows[r]) + " of a dataset of " + std::to_string(data.rows));
            std::copy_n(data.x.begin() + std::ptrdiff_t(rows[r]) * d, d, xb.begin() + std::ptrdiff_t(r) * d);
            for (int k = 0; k < K; ++k) {
                const T y = data.labels[std::size_t(k)][std::size_t(rows[r])];
                yb[std::size_t(k) * B + r] = y;
                mb[std::size_t(k) * B + r] = std::isnan(y) ? T(0) : T(1);
            }
        }
        return B;
    }

    ad::Var<T> task_loss(ad::Tape<T>& t, ad::Var<T> output, int k, int B) {
        return Model<T>::loss(model.spec().tasks[std::size_t(k)], output, t.input(yb.data() + std::size_t(k) * B, B, 1, label_names[std::size_t(k)]),
                              t.input(mb.data() + std::size_t(k) * B, B, 1, mask_names[std::size_t(k)]));
    }

    // The main task's loss at the current parameters on the gathered batch, without dropout.
    double main_loss(int B) {
        side_tape.reset();
        const ad::Var<T> x = side_tape.input(xb.data(), B, model.spec().inputs, "x");
        const ad::Var<T> h = model.trunk(side_tape, x, false);
        return double(task_loss(side_tape, model.head(side_tape, h, main), main, B).item());
    }

    // G += M M^T for the per-task gradients M [K x n] of one parameter: dot products over
    // chunks short enough that the K row pieces stay in L1 (a GEMM would pad the K x K
    // result to a full register tile and pack M for nothing). Given a reference gradient
    // ref and the optimizer's diagonal preconditioner P of the parameter, also the
    // first-order gains: gains_k += <P ref, g_k>, in the same pass over the g_k.
    void add_gram(const ad::Parameter<T>& p, std::vector<double>& g, const T* ref = nullptr, const T* P = nullptr) {
        if (p.task_mask() != (K == 64 ? ~std::uint64_t(0) : (std::uint64_t(1) << K) - 1)) {
            throw std::logic_error("shared parameter '" + p.name() + "' is not reached by every task");
        }
        constexpr std::size_t chunk = 2048;
        const std::size_t n = p.size();
        for (std::size_t start = 0; start < n; start += chunk) {
            const std::size_t len = std::min(chunk, n - start);
            for (int i = 0; i < K; ++i)
                for (int j = 0; j <= i; ++j) g[std::size_t(i) * K + j] += double(hyda::dot(len, p.task_grad(i) + start, p.task_grad(j) + start));
            if (ref != nullptr) {
                hyda::mul(len, P + start, ref + start, scaled.data());
                for (int k = 0; k < K; ++k) gains[std::size_t(k)] += double(hyda::dot(len, scaled.data(), p.task_grad(k) + start));
            }
        }
        for (int i = 0; i < K; ++i)
            for (int j = i + 1; j < K; ++j) g[std::size_t(i) * K + j] = g[std::size_t(j) * K + i];
    }

    // Draws a held-out batch (rows with replacement) into the batch buffers; returns its size.
    int gather_held_out(const Dataset<T>* held_out) {
        if (held_out == nullptr || held_out->rows == 0) throw std::invalid_argument("strategy '" + strategy.name() + "' needs held-out data: give validation data");
        held_rows.resize(std::min<std::size_t>(std::size_t(opt.batch_size), std::size_t(held_out->rows)));
        for (int& r : held_rows) r = int(rng.below(std::uint64_t(held_out->rows)));
        return gather(*held_out, held_rows);
    }

    // main_ref = the main task's gradient of the shared parameters on the gathered batch.
    void main_gradient(int B) {
        const auto& ps = params();
        side_tape.reset();
        const ad::Var<T> x = side_tape.input(xb.data(), B, model.spec().inputs, "x");
        const ad::Var<T> h = model.trunk(side_tape, x, false);
        side_tape.backward(task_loss(side_tape, model.head(side_tape, h, main), main, B));
        for (std::size_t i = 0; i < model.shared_count(); ++i) std::copy_n(ps[i]->grad().data(), ps[i]->size(), main_ref[i].data());
    }

    // Exact gains of each task's step for the main task, L_main(theta) - L_main(theta - P g_k),
    // on the training batch or a held-out one. (First-order gains come with the Gram matrix.)
    void exact_gains(std::span<const int> rows, const Dataset<T>* held_out) {
        const auto& ps = params();
        const std::size_t shared = model.shared_count();
        const int B_gain = needs.held_out_gains ? gather_held_out(held_out) : int(rows.size());
        // Without dropout, the training forward already measured L_main(theta) on this batch.
        const bool reuse = !needs.held_out_gains && model.spec().dropout == 0;
        const double before = reuse ? loss_values[std::size_t(main)] : main_loss(B_gain);
        std::size_t at = 0;
        for (std::size_t i = 0; i < shared; ++i) {  // theta and P, kept for every look-ahead
            std::copy_n(ps[i]->value().data(), ps[i]->size(), backup.data() + at);
            optimizer->preconditioner(i, precond.data() + at);
            at += ps[i]->size();
        }
        for (int k = 0; k < K; ++k) {
            at = 0;
            for (std::size_t i = 0; i < shared; ++i) {  // theta' = theta - P g_k
                const std::size_t n = ps[i]->size();
                hyda::sub_mul(n, backup.data() + at, precond.data() + at, ps[i]->task_grad(k), ps[i]->value().data());
                at += n;
            }
            gains[std::size_t(k)] = before - main_loss(B_gain);
        }
        at = 0;
        for (std::size_t i = 0; i < shared; ++i) std::copy_n(backup.data() + at, ps[i]->size(), ps[i]->value().data()), at += ps[i]->size();
    }

    // Sample weighting: each sample's <grad l_ki, g_ref> and ||grad l_ki|| against the
    // held-out main gradient g_ref = main_ref, the strategy's weights, and the sweep again
    // with them as seeds. No per-sample gradient is formed: in a trunk layer z = h W + b,
    // sample i's part of grad L_k is (h_i^T d_ki, d_ki) with d_ki row i of dL_k/dz, so
    //     <., g_ref> = (h_i G_W + G_b) . d_ki   (the rows of one GEMM H G_W + G_b per layer)
    //     ||.||^2    = (||h_i||^2 + 1) ||d_ki||^2
    // summed over the layers; L_k is the mean of l_ki over n_k labelled samples, so
    // grad l_ki is n_k times that part.
    void weight_samples(int B) {
        const std::size_t KB = std::size_t(K) * std::size_t(B);
        sample_dots.assign(KB, 0.0);
        sample_norms.assign(KB, 0.0);
        row_sq.resize(std::size_t(B));
        double ref_sq = 0;
        for (const auto& g : main_ref) ref_sq += double(hyda::dot(g.size(), g.data(), g.data()));
        for (std::size_t l = 0; 2 * l < trunk_io.size(); ++l) {
            const ad::Var<T> h = trunk_io[2 * l], z = trunk_io[2 * l + 1];
            const std::size_t in = std::size_t(h.cols()), out = std::size_t(z.cols());
            const T* H = h.data();
            proj.resize(std::size_t(B) * out);
            hyda::gemm(hyda::Trans::N, hyda::Trans::N, B, int(out), int(in), T(1), H, int(in), main_ref[2 * l].data(), int(out), T(0), proj.data(), int(out),
                       main_ref[2 * l + 1].data());
            for (int i = 0; i < B; ++i) row_sq[std::size_t(i)] = double(hyda::dot(in, H + i * in, H + i * in)) + 1;
            for (int k = 0; k < K; ++k) {
                const T* d = tape.adjoint(z, k);
                if (d == nullptr) continue;  // L_k does not reach the trunk: a zero gradient
                for (int i = 0; i < B; ++i) {
                    const T* di = d + i * out;
                    const std::size_t at = std::size_t(k) * B + std::size_t(i);
                    sample_dots[at] += double(hyda::dot(out, proj.data() + i * out, di));
                    sample_norms[at] += row_sq[std::size_t(i)] * double(hyda::dot(out, di, di));
                }
            }
        }
        for (int k = 0; k < K; ++k) {
            const double n = labelled[std::size_t(k)] = std::accumulate(mb.begin() + std::ptrdiff_t(k) * B, mb.begin() + std::ptrdiff_t(k + 1) * B, 0.0);
            for (std::size_t at = std::size_t(k) * B; at < std::size_t(k + 1) * B; ++at) {
                sample_dots[at] *= n;
                sample_norms[at] = n * std::sqrt(sample_norms[at]);
            }
        }

        SampleContext ctx;
        ctx.tasks = K;
        ctx.main = main;
        ctx.samples = B;
        ctx.dots = sample_dots;
        ctx.norms = sample_norms;
        ctx.ref_norm = std::sqrt(ref_sq);
        sample_w.resize(KB);
        strategy.sample_weights(ctx, sample_w);
        seeds.resize(KB);
        for (std::size_t at = 0; at < KB; ++at) {  // the seed scales the loss's own factor 1 / n_k
            if (!std::isfinite(sample_w[at])) throw std::runtime_error("strategy '" + strategy.name() + "' returned a non-finite sample weight at step " + std::to_string(steps));
            seeds[at] = T(sample_w[at] * labelled[at / std::size_t(B)]);
        }
        for (int k = 0; k < K; ++k) seed_ptrs[std::size_t(k)] = seeds.data() + std::size_t(k) * B;
        tape.backward_multi(losses, seed_ptrs);
    }

    // Forward, one backward sweep, the statistics the strategy needs, its coefficients.
    void analyse(const Dataset<T>& data, std::span<const int> rows, const Dataset<T>* held_out) {
        data.check_shapes(model.spec(), "training data");  // O(tasks): fit() checked the values once
        if (held_out != nullptr) held_out->check_shapes(model.spec(), "held-out data");
        // The held-out batch first: it reuses the batch buffers, which the training tape
        // reads until its last sweep.
        if (needs.sample_weights) main_gradient(gather_held_out(held_out));
        const int B = gather(data, rows);
        tape.reset();
        const ad::Var<T> x = tape.input(xb.data(), B, data.features, "x");
        model.forward(tape, x, true, outputs, needs.sample_weights ? &trunk_io : nullptr);
        for (int k = 0; k < K; ++k) losses[std::size_t(k)] = task_loss(tape, outputs[std::size_t(k)], k, B);
        tape.backward_multi(losses);
        if (needs.sample_weights) weight_samples(B);
        for (int k = 0; k < K; ++k) loss_values[std::size_t(k)] = double(losses[std::size_t(k)].item());

        const auto& ps = params();
        std::fill(gram.begin(), gram.end(), 0.0);
        std::fill(gains.begin(), gains.end(), 0.0);
        // First-order gains <P g_ref, g_k>, g_ref the main task's gradient on this batch or
        // on a held-out one (the training tape's sweeps are done: the batch buffers are free).
        if (needs.first_order_gains && needs.held_out_gains) main_gradient(gather_held_out(held_out));
        for (std::size_t i = 0; i < model.shared_count(); ++i) {
            const T* ref = nullptr;
            if (needs.first_order_gains) {
                ref = needs.held_out_gains ? main_ref[i].data() : ps[i]->task_grad(main);
                optimizer->preconditioner(i, diag.data());
            }
            if (needs.last_layer_gram && i == model.last_shared_weight()) {  // its own G, then its share of the whole
                std::fill(gram_last.begin(), gram_last.end(), 0.0);
                add_gram(*ps[i], gram_last, ref, diag.data());
                for (std::size_t e = 0; e < gram.size(); ++e) gram[e] += gram_last[e];
            } else {
                add_gram(*ps[i], gram, ref, diag.data());
            }
        }
        if (needs.exact_gains) exact_gains(rows, held_out);

        StepContext ctx;
        ctx.tasks = K;
        ctx.main = main;
        ctx.step = steps;
        ctx.epoch = epoch;
        ctx.losses = loss_values;
        ctx.gram = gram;
        if (needs.last_layer_gram) ctx.gram_last = gram_last;
        if (needs.first_order_gains || needs.exact_gains) ctx.gains = gains;
        ctx.seed = opt.seed ^ (std::uint64_t(steps) * 0x9E3779B97F4A7C15ull);
        strategy.coefficients(ctx, coefficients);
        for (double c : coefficients)
            if (!std::isfinite(c)) throw std::runtime_error("strategy '" + strategy.name() + "' returned a non-finite coefficient at step " + std::to_string(steps));
    }

    // grad() of every parameter: the shared ones combine the task gradients, each head
    // takes its own task's gradient.
    void combine() {
        const auto& ps = params();
        for (int k = 0; k < K; ++k) coef_t[std::size_t(k)] = T(coefficients[std::size_t(k)]);
        for (std::size_t i = 0; i < model.shared_count(); ++i) ps[i]->combine(coef_t.data(), K);
        for (int k = 0; k < K; ++k) {
            std::fill(one_hot.begin(), one_hot.end(), T(0));
            one_hot[std::size_t(k)] = T(1);
            const auto [first, last] = model.head_range(k);
            for (std::size_t i = first; i < last; ++i) ps[i]->combine(one_hot.data(), K);
        }
    }

    void write_trace() {
        std::ostream& out = *opt.trace;
        const auto& tasks = model.spec().tasks;
        const bool with_gains = needs.first_order_gains || needs.exact_gains;
        if (opt.trace_format == TraceFormat::csv) {
            if (steps == 0) {
                out << "step,epoch";
                for (const char* what : {"loss", "coef", "gain", "gnorm"})
                    for (const auto& t : tasks)
                        if (std::string(what) != "gain" || with_gains) out << ',' << what << '_' << t.name;
                for (int i = 0; i < K; ++i)
                    for (int j = 0; j < K; ++j)
                        if (opt.trace_full_gram || i == main) out << ",G_" << tasks[std::size_t(i)].name << '_' << tasks[std::size_t(j)].name;
                out << '\n';
            }
            out << steps << ',' << epoch;
            for (double v : loss_values) out << ',' << v;
            for (double v : coefficients) out << ',' << v;
            if (with_gains)
                for (double v : gains) out << ',' << v;
            for (int k = 0; k < K; ++k) out << ',' << std::sqrt(gram[std::size_t(k) * K + k]);
            for (int i = 0; i < K; ++i)
                for (int j = 0; j < K; ++j)
                    if (opt.trace_full_gram || i == main) out << ',' << gram[std::size_t(i) * K + j];
            out << '\n';
            return;
        }
        auto list = [&](const char* key, auto value_of, int n) {
            out << ",\"" << key << "\":[";
            for (int i = 0; i < n; ++i) out << (i ? "," : "") << value_of(i);
            out << ']';
        };
        out << "{\"step\":" << steps << ",\"epoch\":" << epoch;
        list("losses", [&](int k) { return loss_values[std::size_t(k)]; }, K);
        list("coefficients", [&](int k) { return coefficients[std::size_t(k)]; }, K);
        if (with_gains) list("gains", [&](int k) { return gains[std::size_t(k)]; }, K);
        list("grad_norms", [&](int k) { return std::sqrt(gram[std::size_t(k) * K + k]); }, K);
        if (opt.trace_full_gram) {
            list("gram", [&](int i) { return gram[std::size_t(i)]; }, K * K);
        } else {
            list("gram_main_row", [&](int k) { return gram[std::size_t(main) * K + k]; }, K);
        }
        out << "}\n";
    }
};

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
    s.analyse(data, rows, held_out);
    s.combine();
    if (s.opt.clip_norm > 0) ad::clip_grad_norm(std::span<ad::Parameter<T>* const>(s.params()), T(s.opt.clip_norm));
    s.optimizer->step();
    if (s.opt.trace != nullptr) s.write_trace();
    ++s.steps;
}

template <class T>
Introspection Trainer<T>::inspect(const Dataset<T>& data, std::span<const int> rows, const Dataset<T>* held_out) {
    State& s = *s_;
    s.analyse(data, rows, held_out);
    Introspection r;
    for (const auto& t : s.model.spec().tasks) r.tasks.push_back(t.name);
    r.losses = s.loss_values;
    r.gram = s.gram;
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

template <class T>
TrainResult Trainer<T>::fit(const Dataset<T>& train, const Dataset<T>* validation) {
    State& s = *s_;
    train.validate(s.model.spec(), "training data");
    if (validation) validation->validate(s.model.spec(), "validation data");
    if (train.rows == 0) throw std::invalid_argument("training data has no rows");
    TrainResult result;
    std::vector<int> order(std::size_t(train.rows));
    std::iota(order.begin(), order.end(), 0);
    std::vector<std::vector<T>> best;
    double best_metric = -std::numeric_limits<double>::infinity();
    int since_best = 0;
    const double lr0 = s.opt.lr;
    for (int epoch = 0; epoch < s.opt.epochs; ++epoch) {
        const auto t0 = std::chrono::steady_clock::now();
        s.epoch = epoch;
        double lr = lr0;
        if (s.opt.schedule == Schedule::cosine) lr = lr0 * 0.5 * (1 + std::cos(M_PI * epoch / std::max(1, s.opt.epochs)));
        if (s.opt.schedule == Schedule::step) lr = lr0 * std::pow(s.opt.step_gamma, epoch / std::max(1, s.opt.step_every));
        s.optimizer->set_lr(T(lr));

        ad::shuffle(order.begin(), order.end(), s.rng);
        EpochReport report;
        report.epoch = epoch;
        report.train_loss.assign(std::size_t(s.K), 0.0);
        report.mean_coefficients.assign(std::size_t(s.K), 0.0);
        int batches = 0;
        for (int start = 0; start < train.rows; start += s.opt.batch_size, ++batches) {
            const int end = std::min(train.rows, start + s.opt.batch_size);
            step(train, std::span<const int>(order).subspan(std::size_t(start), std::size_t(end - start)), validation);
            for (int k = 0; k < s.K; ++k) {
                report.train_loss[std::size_t(k)] += s.loss_values[std::size_t(k)];
                report.mean_coefficients[std::size_t(k)] += s.coefficients[std::size_t(k)];
            }
        }
        for (int k = 0; k < s.K; ++k) {
            report.train_loss[std::size_t(k)] /= batches;
            report.mean_coefficients[std::size_t(k)] /= batches;
        }
        s.strategy.end_epoch(report.train_loss);

        report.validation_metric = validation ? main_metric(s.model, *validation, s.main) : std::numeric_limits<double>::quiet_NaN();
        if (validation && report.validation_metric > best_metric) {
            best_metric = report.validation_metric;
            result.best_epoch = epoch;
            report.best = true;
            since_best = 0;
            if (s.opt.restore_best) best = s.model.snapshot();
        } else {
            ++since_best;
        }
        report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        result.epochs.push_back(report);
        if (s.opt.on_epoch) s.opt.on_epoch(report);
        if (validation && s.opt.patience > 0 && since_best >= s.opt.patience) break;
    }
    result.best_validation_metric = best_metric;
    if (validation && s.opt.restore_best && !best.empty()) s.model.restore(best);
    return result;
}

template class Trainer<float>;
template class Trainer<double>;

}  // namespace hyda::mtl

namespace hyda::mtl {

void Introspection::write_json(std::ostream& out) const {
    auto list = [&](const char* key, const std::vector<double>& v, bool comma = true) {
        out << "  \"" << key << "\": [";
        for (std::size_t i = 0; i < v.size(); ++i) out << (i ? ", " : "") << v[i];
        out << ']' << (comma ? ",\n" : "\n");
    };
    out.precision(9);
    out << "{\n  \"tasks\": [";
    for (std::size_t i = 0; i < tasks.size(); ++i) out << (i ? ", " : "") << '"' << tasks[i] << '"';
    out << "],\n";
    list("losses", losses);
    list("gram", gram);
    list("gains", gains);
    list("coefficients", coefficients);
    list("sample_dots", sample_dots);
    list("sample_norms", sample_norms);
    list("sample_weights", sample_weights);
    list("grad_norms", grad_norms);
    out << "  \"shared_parameters\": [";
    for (std::size_t i = 0; i < shared_parameters.size(); ++i) out << (i ? ", " : "") << '"' << shared_parameters[i] << '"';
    out << "],\n  \"task_gradients\": [\n";
    for (std::size_t k = 0; k < task_gradients.size(); ++k) {
        out << "    [";
        for (std::size_t i = 0; i < task_gradients[k].size(); ++i) out << (i ? ", " : "") << task_gradients[k][i];
        out << ']' << (k + 1 < task_gradients.size() ? ",\n" : "\n");
    }
    out << "  ]\n}\n";
}

}  // namespace hyda::mtl
