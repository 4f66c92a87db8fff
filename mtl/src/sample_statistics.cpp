// Sample weighting (SLGrad, HydaLearn's gain=sample): each sample's inner product with the
// reference gradient and its gradient's norm, from the first sweep; the strategy's
// weights; the second sweep with them as seeds.
#include <cmath>
#include <numeric>
#include <optional>
#include <stdexcept>

#include "hyda/kernels/elementwise.hpp"
#include "hyda/kernels/gemm.hpp"
#include "trainer_state.hpp"

namespace hyda::mtl {

// Each sample's <grad l_ki, g_ref> and ||grad l_ki|| against the reference g_ref (the
// held-out main gradient main_ref, or P g_main: Needs::sample_reference), the strategy's
// weights, and the sweep again with them as seeds. No
// per-sample gradient is formed: in a trunk layer z = h W + b, sample i's part of grad L_k
// is (h_i^T d_ki, d_ki) with d_ki row i of dL_k/dz, so
//     <., g_ref> = (h_i G_W + G_b) . d_ki   (the rows of one GEMM H G_W + G_b per layer)
//     ||.||^2    = (||h_i||^2 + 1) ||d_ki||^2
// summed over the layers; L_k is the mean of l_ki over n_k labelled samples, so
// grad l_ki is n_k times that part (with row weights, l_ki is the row's weighted loss).
template <class T>
void Trainer<T>::State::weight_samples(int B) {
    const std::size_t KB = std::size_t(K) * std::size_t(B);
    sample_dots.assign(KB, 0.0);
    sample_norms.assign(KB, 0.0);
    row_sq.resize(std::size_t(B));
    if (needs.sample_reference == SampleReference::main_step) {  // P g_main, g_main from the sweep or the held-out batch
        for (std::size_t i = 0; i < sample_ref.size(); ++i) {
            gain_preconditioner(i, diag.data());
            hyda::mul(sample_ref[i].size(), diag.data(), needs.held_out_gains ? main_ref[i].data() : params()[i]->task_grad(main), sample_ref[i].data());
        }
    }
    const std::vector<std::vector<T>>& ref = needs.sample_reference == SampleReference::main_step ? sample_ref : main_ref;
    double ref_sq = 0;
    for (const auto& g : ref) ref_sq += double(hyda::dot(g.size(), g.data(), g.data()));
    for (std::size_t l = 0; 2 * l < trunk_io.size(); ++l) {
        const ad::Var<T> h = trunk_io[2 * l], z = trunk_io[2 * l + 1];
        const std::size_t in = std::size_t(h.cols()), out = std::size_t(z.cols());
        const T* H = h.data();
        proj.resize(std::size_t(B) * out);
        hyda::gemm(hyda::Trans::N, hyda::Trans::N, B, int(out), int(in), T(1), H, int(in), ref[2 * l].data(), int(out), T(0), proj.data(), int(out),
                   ref[2 * l + 1].data());
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
    sample_mask.assign(mb.begin(), mb.begin() + std::ptrdiff_t(KB));
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
    ctx.labelled = sample_mask;
    sample_w.resize(KB);
    strategy.sample_weights(ctx, sample_w);
    seeds.resize(KB);
    for (std::size_t at = 0; at < KB; ++at) {  // the seed scales the loss's own factor 1 / n_k
        if (!std::isfinite(sample_w[at])) throw std::runtime_error("strategy '" + strategy.name() + "' returned a non-finite sample weight at step " + std::to_string(steps));
        seeds[at] = T(sample_w[at] * labelled[at / std::size_t(B)]);
    }
    if (!needs.sample_weighted_heads) return reweight_trunk(B);
    for (int k = 0; k < K; ++k) seed_ptrs[std::size_t(k)] = seeds.data() + std::size_t(k) * B;
    tape.backward_multi(losses, seed_ptrs);
}

// The trunk's gradients of every task with the seeds r_ki, without a second sweep: the
// trunk treats rows independently, so row i's adjoints for task k scale with r_ki through
// every layer, and layer z = h W + b's gradients become H^T diag(r_k) D_k and
// sum_i r_ki d_ki, D_k the first sweep's dL_k/dz. One GEMM per layer and task (the sweep
// would add the input-adjoint GEMMs and the heads). The sweep formed only the main task's
// trunk gradients (analyse skipped the others'): it keeps them if the strategy keeps the
// main task's plain mean, the same weight on every labelled row, summing to 1 (HydaLearn's
// main task); rescaling them by seeds (1/n) n would only add rounding.
template <class T>
void Trainer<T>::State::reweight_trunk(int B) {
    const auto& ps = params();
    bool uniform = true;
    double sum = 0;
    std::optional<double> first;
    for (std::size_t at = std::size_t(main) * B; at < std::size_t(main + 1) * B; ++at) {
        if (mb[at] == T(0)) continue;
        if (!first) first = sample_w[at];
        uniform = uniform && sample_w[at] == *first;
        sum += sample_w[at];
    }
    const bool main_plain = !first || (uniform && std::abs(sum - 1) <= 1e-12);
    for (std::size_t l = 0; 2 * l < trunk_io.size(); ++l) {
        const ad::Var<T> h = trunk_io[2 * l], z = trunk_io[2 * l + 1];
        const std::size_t in = std::size_t(h.cols()), out = std::size_t(z.cols());
        seeded.resize(std::size_t(B) * out);
        for (int k = 0; k < K; ++k) {
            const T* d = tape.adjoint(z, k);
            if (d == nullptr || (k == main && main_plain)) continue;  // L_k does not reach the trunk, or the sweep's gradient stands
            const T* r = seeds.data() + std::size_t(k) * B;
            for (int i = 0; i < B; ++i) hyda::scale(out, r[i], d + i * out, seeded.data() + i * out);
            hyda::col_sums(std::size_t(B), out, seeded.data(), out, ps[2 * l + 1]->task_grad(k), T(0));
            hyda::gemm(hyda::Trans::T, hyda::Trans::N, int(in), int(out), B, T(1), h.data(), int(in), seeded.data(), int(out), T(0), ps[2 * l]->task_grad(k), int(out));
        }
    }
}

// The main task's first-order gain on its own batch, delta = <g_m, P g_m> with g_m =
// sum_i a_i over its n labelled rows, is sum_i ||a_i||_P^2 + sum_{i != j} <a_i, a_j>_P: the
// first sum is each row's gradient against itself, noise that does not shrink with the
// batch (so on small data the main task's gain dwarfs the others'). Only the cross terms
// estimate the signal: delta <- n/(n-1) (delta - sum_i ||a_i||_P^2), the U-statistic. In
// trunk layer z = h W + b, a_i = (h_i^T d_i, d_i), d_i row i of dL_main/dz, so over the rows
//     sum_i ||a_i||_P^2 = < (H o H) P_W + 1 P_b^T, D o D >   (one GEMM per layer),
// each layer's share correcting that layer's gain. n < 2: no cross terms, delta stays.
template <class T>
void Trainer<T>::State::debias_self_gain(int B) {
    const double n = std::accumulate(mb.begin() + std::ptrdiff_t(main) * B, mb.begin() + std::ptrdiff_t(main + 1) * B, 0.0);
    if (n < 2) return;
    const double unbiased = n / (n - 1);
    double self = 0;
    std::size_t at = 0;  // layer l's weights' offset in precond
    for (std::size_t l = 0; 2 * l < trunk_io.size(); ++l) {
        const ad::Var<T> h = trunk_io[2 * l], z = trunk_io[2 * l + 1];
        const std::size_t in = std::size_t(h.cols()), out = std::size_t(z.cols()), rows = std::size_t(B);
        T* P_W = precond.data() + at;
        T* P_b = P_W + in * out;
        at += in * out + out;
        const T* d = tape.adjoint(z, main);
        if (d == nullptr) continue;  // the main loss does not reach this layer: no gain here
        gain_preconditioner(2 * l, P_W);
        gain_preconditioner(2 * l + 1, P_b);
        squared_in.resize(rows * in);
        hyda::mul(rows * in, h.data(), h.data(), squared_in.data());
        proj.resize(rows * out);
        hyda::gemm(hyda::Trans::N, hyda::Trans::N, B, int(out), int(in), T(1), squared_in.data(), int(in), P_W, int(out), T(0), proj.data(), int(out), P_b);
        seeded.resize(rows * out);
        hyda::mul(rows * out, d, d, seeded.data());
        const double layer_self = double(hyda::dot(rows * out, proj.data(), seeded.data()));
        self += layer_self;
        if (!layer_gains.empty()) {
            double& g = layer_gains[l * std::size_t(K) + std::size_t(main)];
            g = unbiased * (g - layer_self);
        }
    }
    gains[std::size_t(main)] = unbiased * (gains[std::size_t(main)] - self);
}

template void Trainer<float>::State::weight_samples(int);
template void Trainer<double>::State::weight_samples(int);
template void Trainer<float>::State::reweight_trunk(int);
template void Trainer<double>::State::reweight_trunk(int);
template void Trainer<float>::State::debias_self_gain(int);
template void Trainer<double>::State::debias_self_gain(int);

}  // namespace hyda::mtl
