#pragma once
// Private to the trainer: Trainer<T>::State, what a trainer drives (model, strategy,
// optimizer, tapes) and the buffers of one step, sized once. Its members are defined by
// concern:
//   trainer.cpp            construction, batches and the losses measured on them, the
//                          step's analysis, combining the task gradients
//   step_statistics.cpp    the Gram matrix (whole and per layer), first-order and exact
//                          (look-ahead) gains
//   tracked_gradients.cpp  MoCo's tracked task gradients and their Gram matrix
//   sample_statistics.cpp  per-sample inner products, norms, the reweighted gradients,
//                          the main gain's self terms (debiased_self_gain)
//   trace.cpp              the per-step trace
//   checkpoint.cpp         the state a checkpoint holds, saving and resuming it
// Trainer<T>::fit, the epoch loop, is in fit.cpp.
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "hyda/autodiff/random.hpp"
#include "hyda/mtl/trainer.hpp"
#include "io/checkpoint_codec.hpp"

namespace hyda::mtl {

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
    std::int64_t skipped = 0;  // steps left out for a numerical fault (NanPolicy::skip)
    int epoch = 0;
    ad::Rng rng;  // held-out batches (the batches are epoch_batches(data, batching, batch_size, seed, epoch, mix_concentration))

    // Per-step buffers, sized once.
    std::vector<T> xb, yb, mb, wb;  // batch features; labels, masks and row weights, task-major
    bool weighted = false;          // the gathered batch's data has row weights: the losses read wb
    std::vector<std::string> label_names, mask_names, weight_names;  // "<task>.labels", ".mask", ".weight": what errors name
    // Per task, the training batch's mean row weight over its labelled rows (1 without row
    // weights or labelled rows), and the coefficient times it: what trace and fit report.
    std::vector<double> mean_weights, reported;
    std::vector<ad::Var<T>> outputs, losses, side_outputs;  // side_outputs: on side_tape
    std::vector<double> loss_values, gram, gram_last, feature_gram, gains, coefficients, head_weights;
    std::vector<double> losses_before, losses_after;  // around the optimizer step, if the strategy asks
    std::vector<T> coef_t, one_hot, diag, scaled, backup, precond;
    ad::Var<T> trunk_out;                     // h, when the strategy needs feature_gram
    std::vector<const T*> feature_adjoints;  // per task: dL_k/dh, or nullptr
    std::vector<std::vector<T>> main_ref;  // per shared parameter: the main gradient gains compare with
    std::vector<int> held_rows;
    // Sample weighting (SLGrad): each trunk layer's input and pre-activation; per task and
    // sample the inner product with the held-out main gradient, gradient norm, weight, seed;
    // per task the labelled samples.
    std::vector<ad::Var<T>> trunk_io;
    // sample_mask: tasks x samples, 1 where labelled; sample_ref: per shared parameter the
    // reference P g_main (SampleReference::main_step).
    std::vector<double> sample_dots, sample_norms, row_sq, sample_w, labelled, sample_mask;
    std::vector<T> seeds, proj, seeded;  // seeded: one layer's adjoints times the seeds
    std::vector<T> squared_in;           // debiased_self_gain: one layer's inputs squared
    std::vector<std::vector<T>> sample_ref;
    std::vector<const T*> seed_ptrs;
    // Per-layer strategies (GradVac): each shared layer's G and coefficients, layer-major;
    // part_gram: one parameter's share of G.
    // With first-order gains, each layer's gains (layers x tasks) and one parameter's share.
    std::vector<double> layer_grams, layer_coefs, part_gram, layer_gains, part_gains;
    std::vector<T> layer_coef_t;
    // Tracked gradients (MoCo): per shared parameter the y_k (tasks x size, task-major),
    // their G, and the factor each g_k enters its tracker with.
    std::vector<std::vector<T>> tracked;
    std::vector<double> tracked_gram, track_scale;
    std::vector<const T*> gram_rows;  // the K rows add_gram reads
    std::string trace_text;  // one step's trace, built then written whole
    bool traced = false;     // the trace's header is written

    // fit()'s way through the run, here so that a checkpoint holds it (fit.cpp).
    struct Progress {
        TrainResult result;                // the epochs done, the best epoch and metric so far
        std::vector<std::vector<T>> best;  // the best epoch's parameters (restore_best)
        int since_best = 0;                // epochs since the best
        int batch = 0;                     // the epoch's next batch
        EpochReport report;                // the epoch's sums so far, then its report
        std::vector<double> labelled;      // per task, the epoch's labelled rows so far
        std::int64_t skipped_before = 0;   // `skipped` when the epoch began
        double seconds = 0;                // the epoch's time before a resume
    };
    Progress progress;
    detail::Identity identity;  // what a checkpoint of this trainer must match, data aside
    detail::Identity data;      // the data of the running fit()
    // After resume(): the checkpoint's data, which the next fit() must match, and its source.
    std::optional<detail::Identity> resumed_data;
    std::string resumed_from;

    State(Model<T>& m, Strategy& s, TrainOptions o);
    // Its Vars point into its tape and seed_ptrs into seeds: a copy would read the original's.
    State(const State&) = delete;
    State& operator=(const State&) = delete;

    const std::vector<ad::Parameter<T>*>& params() const { return model.parameters(); }

    // --- trainer.cpp ---
    // Copies the rows into the batch buffers; a missing label gets mask 0; the data's row
    // weights, if it has any, go to wb (1 for a task without its own).
    int gather(const Dataset<T>& data, std::span<const int> rows);
    // Draws a held-out batch (rows with replacement) into the batch buffers; returns its size.
    int gather_held_out(const Dataset<T>* held_out);
    // Task k's loss on the gathered batch (with its row weights, if it has any).
    ad::Var<T> task_loss(ad::Tape<T>& t, ad::Var<T> output, int k, int B);
    // mean_weights of the gathered batch.
    void measure_mean_weights(int B);
    // The main task's loss at the current parameters on the gathered batch, without dropout.
    double main_loss(int B);
    // main_ref = the main task's gradient of the shared parameters on the gathered batch.
    void main_gradient(int B);
    // Every task's loss at the current parameters on the rows `rows` of `data` (gathered
    // again: a held-out batch may have taken the buffers), without dropout.
    void batch_losses(const Dataset<T>& data, std::span<const int> rows, std::vector<double>& out);
    // Forward, one backward sweep, the statistics the strategy needs, its coefficients.
    // False if a loss or gradient is not finite and `on_nan` is skip (the strategy has not
    // seen the batch); with stop it throws instead.
    bool analyse(const Dataset<T>& data, std::span<const int> rows, const Dataset<T>* held_out, NanPolicy on_nan);
    // The first task whose head gradient is not finite, or -1.
    int non_finite_head() const;
    // Task k's `what` ("loss" or "gradient") is not finite: throws with stop, false with skip.
    bool numerical_fault(int k, const char* what, NanPolicy on_nan) const;
    // grad() of every parameter: the shared ones combine the task gradients (the tracked
    // ones if the strategy asks, with their layer's coefficients if it works per layer),
    // each head takes its own task's gradient, times its coefficient if the strategy's
    // heads() is weighted.
    void combine();

    // --- step_statistics.cpp ---
    // After the sweep: gram (and gram_last, layer_grams, feature_gram) and, if the strategy asks, the gains.
    void gram_and_gains(std::span<const int> rows, const Dataset<T>* held_out);
    // The gains' preconditioner of shared parameter i (Needs::gain_preconditioner) into P.
    void gain_preconditioner(std::size_t i, T* P) const;
    void add_gram(const ad::Parameter<T>& p, std::span<double> g, const T* ref = nullptr, const T* P = nullptr, std::span<double> gain_sum = {});
    void add_gram(std::span<const T* const> m, std::size_t n, std::span<double> g, const T* ref = nullptr, const T* P = nullptr, std::span<double> gain_sum = {});
    void add_feature_gram();
    void exact_gains(std::span<const int> rows, const Dataset<T>* held_out);

    // --- tracked_gradients.cpp ---
    // y_k <- y_k + rate (track_scale_k g_k - y_k) over the shared parameters; tracked_gram.
    void track_gradients(double rate);

    // --- sample_statistics.cpp ---
    // SLGrad: per-sample statistics, the strategy's sample weights, the sweep again.
    void weight_samples(int B);
    // The trunk's task gradients with the seeds, from the first sweep's adjoints.
    void reweight_trunk(int B);
    // debiased_self_gain: gains[main] (and each layer's) without the rows' self terms.
    void debias_self_gain(int B);

    // --- trace.cpp ---
    void write_trace();

    // --- checkpoint.cpp ---
    // identity: the model, the strategy, the options.
    void make_identity();
    // Progress for a new epoch: the sums zero, `skipped` noted.
    void start_epoch();
    // Every field a checkpoint holds, in its order: saves or loads them (resume).
    void visit_state(detail::CheckpointVisitor& v);
    // data = the identity of fit()'s data; after resume() checks it against the
    // checkpoint's, else a fresh run: progress and epoch from the start.
    void begin_fit(const Dataset<T>& train, const Dataset<T>* validation);
    // A checkpoint of now, to on_checkpoint.
    void save_checkpoint();
};

}  // namespace hyda::mtl
