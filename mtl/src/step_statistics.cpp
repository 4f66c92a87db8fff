// The statistics of a step over the shared parameters: the Gram matrix of the task
// gradients (and, if asked, each shared layer's, and the task gradients with respect to
// the trunk's output), and the gains of each task for the main task, first-order (with
// the Gram matrix, in the same pass) or exact (by look-ahead).
#include <algorithm>
#include <stdexcept>

#include "hyda/kernels/elementwise.hpp"
#include "trainer_state.hpp"

namespace hyda::mtl {

template <class T>
void Trainer<T>::State::gain_preconditioner(std::size_t i, T* P) const {
    if (needs.gain_preconditioner == GainPreconditioner::lr) {
        std::fill_n(P, params()[i]->size(), optimizer->lr());
    } else {
        optimizer->preconditioner(i, P);
    }
}

template <class T>
void Trainer<T>::State::gram_and_gains(std::span<const int> rows, const Dataset<T>* held_out) {
    const auto& ps = params();
    std::fill(gram.begin(), gram.end(), 0.0);
    std::fill(gains.begin(), gains.end(), 0.0);
    std::fill(layer_grams.begin(), layer_grams.end(), 0.0);
    std::fill(layer_gains.begin(), layer_gains.end(), 0.0);
    // First-order gains <P g_ref, g_k>, g_ref the main task's gradient on this batch or
    // on a held-out one (the training tape's sweeps are done: the batch buffers are free;
    // sample weighting drew the held-out batch before the sweep).
    if (needs.first_order_gains && needs.held_out_gains && !needs.sample_weights) main_gradient(gather_held_out(held_out));
    // With P = lr I on the training batch the gains are lr times G's main row.
    const bool from_gram = needs.gain_preconditioner == GainPreconditioner::lr && !needs.held_out_gains;
    std::fill(gram_last.begin(), gram_last.end(), 0.0);
    const std::vector<std::size_t>& last_layer = model.last_shared_weights();
    for (std::size_t i = 0; i < model.shared_count(); ++i) {
        const T* ref = nullptr;
        if (needs.first_order_gains && !from_gram) {
            ref = needs.held_out_gains ? main_ref[i].data() : ps[i]->task_grad(main);
            gain_preconditioner(i, diag.data());
        }
        // The last shared layer's weights each add their G into gram_last.
        const bool last = needs.last_layer_gram && std::find(last_layer.begin(), last_layer.end(), i) != last_layer.end();
        if (last || needs.layer_grams) {  // its own G and gains, then its share of the whole, the last layer's and its layer's
            std::fill(part_gram.begin(), part_gram.end(), 0.0);
            std::fill(part_gains.begin(), part_gains.end(), 0.0);
            add_gram(*ps[i], part_gram, ref, diag.data(), part_gains);
            if (last)
                for (std::size_t e = 0; e < part_gram.size(); ++e) gram_last[e] += part_gram[e];
            if (needs.layer_grams) {
                const std::size_t layer = model.shared_layer_of(i);
                for (std::size_t e = 0; e < part_gram.size(); ++e) layer_grams[layer * part_gram.size() + e] += part_gram[e];
                if (!layer_gains.empty())
                    for (int k = 0; k < K; ++k) layer_gains[layer * std::size_t(K) + std::size_t(k)] += part_gains[std::size_t(k)];
            }
            for (std::size_t e = 0; e < gram.size(); ++e) gram[e] += part_gram[e];
            for (int k = 0; k < K; ++k) gains[std::size_t(k)] += part_gains[std::size_t(k)];
        } else {
            add_gram(*ps[i], gram, ref, diag.data(), gains);
        }
    }
    if (needs.first_order_gains && from_gram) {
        const double lr = double(optimizer->lr());
        for (int k = 0; k < K; ++k) gains[std::size_t(k)] = lr * gram[std::size_t(main) * K + k];
        for (std::size_t l = 0; l < layer_gains.size() / std::size_t(K); ++l)
            for (int k = 0; k < K; ++k) layer_gains[l * K + std::size_t(k)] = lr * layer_grams[(l * K + std::size_t(main)) * K + std::size_t(k)];
    }
    if (needs.feature_gram) add_feature_gram();
    if (needs.exact_gains) exact_gains(rows, held_out);
}

namespace {

// G += M M^T for K rows M_i = row(i) of n values (nullptr: a zero row), by dot products
// over chunks short enough that the K row pieces stay in L1 (a GEMM would pad the K x K
// result to a full register tile and pack M for nothing); after_chunk(start, len) runs on
// each chunk while it is in L1.
template <class Row, class AfterChunk>
void add_row_gram(int K, std::size_t n, Row row, std::vector<double>& g, AfterChunk after_chunk) {
    constexpr std::size_t chunk = 2048;
    for (std::size_t start = 0; start < n; start += chunk) {
        const std::size_t len = std::min(chunk, n - start);
        for (int i = 0; i < K; ++i)
            for (int j = 0; j <= i; ++j)
                if (row(i) != nullptr && row(j) != nullptr) g[std::size_t(i) * K + j] += double(hyda::dot(len, row(i) + start, row(j) + start));
        after_chunk(start, len);
    }
    for (int i = 0; i < K; ++i)
        for (int j = i + 1; j < K; ++j) g[std::size_t(i) * K + j] = g[std::size_t(j) * K + i];
}

}  // namespace

// G += M M^T for the per-task gradients M [K x n] of one parameter. Given a reference
// gradient ref and the optimizer's diagonal preconditioner P of the parameter, also the
// first-order gains: gain_sum_k += <P ref, g_k>, in the same pass over the g_k.
template <class T>
void Trainer<T>::State::add_gram(const ad::Parameter<T>& p, std::span<double> g, const T* ref, const T* P, std::span<double> gain_sum) {
    if (p.task_mask() != (K == 64 ? ~std::uint64_t(0) : (std::uint64_t(1) << K) - 1)) {
        throw std::logic_error("shared parameter '" + p.name() + "' is not reached by every task");
    }
    for (int k = 0; k < K; ++k) gram_rows[std::size_t(k)] = p.task_grad(k);
    add_gram(gram_rows, p.size(), g, ref, P, gain_sum);
}

// The same for any K rows m_k of length n (MoCo's tracked gradients).
template <class T>
void Trainer<T>::State::add_gram(std::span<const T* const> m, std::size_t n, std::span<double> g, const T* ref, const T* P, std::span<double> gain_sum) {
    constexpr std::size_t chunk = 2048;
    for (std::size_t start = 0; start < n; start += chunk) {
        const std::size_t len = std::min(chunk, n - start);
        for (int i = 0; i < K; ++i)
            for (int j = 0; j <= i; ++j) g[std::size_t(i) * K + j] += double(hyda::dot(len, m[std::size_t(i)] + start, m[std::size_t(j)] + start));
        if (ref != nullptr) {
            hyda::mul(len, P + start, ref + start, scaled.data());
            for (int k = 0; k < K; ++k) gain_sum[std::size_t(k)] += double(hyda::dot(len, scaled.data(), m[std::size_t(k)] + start));
        }
    }
    for (int i = 0; i < K; ++i)
        for (int j = i + 1; j < K; ++j) g[std::size_t(i) * K + j] = g[std::size_t(j) * K + i];
}

// The Gram matrix of the task gradients with respect to the trunk's output h [B x width]
// (its adjoints after the sweep, kept by keep_adjoint): over all B x width entries, so
// summed over the batch. Every task's loss reaches h through its head.
template <class T>
void Trainer<T>::State::add_feature_gram() {
    std::fill(feature_gram.begin(), feature_gram.end(), 0.0);
    for (int k = 0; k < K; ++k) {
        gram_rows[std::size_t(k)] = tape.adjoint(trunk_out, k);
        if (gram_rows[std::size_t(k)] == nullptr) throw std::logic_error("the loss of task " + std::to_string(k) + " does not reach the trunk's output");
    }
    add_gram(gram_rows, std::size_t(trunk_out.rows()) * std::size_t(trunk_out.cols()), feature_gram);
}

// Exact gains of each task's step for the main task, L_main(theta) - L_main(theta - P g_k)
// (P: gain_preconditioner),
// on the training batch or a held-out one.
template <class T>
void Trainer<T>::State::exact_gains(std::span<const int> rows, const Dataset<T>* held_out) {
    const auto& ps = params();
    const std::size_t shared = model.shared_count();
    const int B_gain = needs.held_out_gains ? gather_held_out(held_out) : int(rows.size());
    // Without dropout, the training forward already measured L_main(theta) on this batch.
    const bool reuse = !needs.held_out_gains && model.spec().dropout == 0;
    const double before = reuse ? loss_values[std::size_t(main)] : main_loss(B_gain);
    std::size_t at = 0;
    for (std::size_t i = 0; i < shared; ++i) {  // theta and P, kept for every look-ahead
        std::copy_n(ps[i]->value().data(), ps[i]->size(), backup.data() + at);
        gain_preconditioner(i, precond.data() + at);
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

template void Trainer<float>::State::gain_preconditioner(std::size_t, float*) const;
template void Trainer<double>::State::gain_preconditioner(std::size_t, double*) const;
template void Trainer<float>::State::gram_and_gains(std::span<const int>, const Dataset<float>*);
template void Trainer<double>::State::gram_and_gains(std::span<const int>, const Dataset<double>*);
template void Trainer<float>::State::add_gram(std::span<const float* const>, std::size_t, std::span<double>, const float*, const float*, std::span<double>);
template void Trainer<double>::State::add_gram(std::span<const double* const>, std::size_t, std::span<double>, const double*, const double*, std::span<double>);

}  // namespace hyda::mtl
