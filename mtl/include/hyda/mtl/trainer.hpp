#pragma once
// Training a multi-task model with a weighting strategy. One step:
//
//   forward once -> K losses -> backward_multi (one sweep) -> per-task gradients g_k of
//   the shared parameters -> Gram matrix G = [<g_i, g_j>] -> strategy (losses, G, gains)
//   -> coefficients c_k -> shared gradient sum_k c_k g_k, each head its own task's
//   gradient (times c_k if the strategy's heads are weighted) -> optimizer step
//
// A strategy that learns from the step's effect (FAMO) adds, after the optimizer step, a
// forward of the same batch at the new parameters: it sees every task's loss before and
// after the step (both without dropout; before the step that is a second forward, unless
// the model has no dropout and the training forward's losses serve).
//
// Row weights (Dataset::weights, e.g. the oracle's relatedness): task k's loss is then
// sum_i m_ki w_ki l_ki / sum_i m_ki over the batch, and the strategy sees those losses and
// their gradients as it would any others. What the trainer reports as task k's
// coefficient (the trace's coef_ columns, EpochReport::mean_coefficients) is then c_k
// times the batch's mean row weight over task k's labelled rows (times 1 if it has none):
// the weight task k effectively gets in that batch, so that a method told the rows'
// weights plots like one that chooses per-batch coefficients. Without row weights it is
// c_k. Introspection::coefficients stays c_k. Evaluation (evaluate, main_metric, early
// stopping) never reads row weights.
//
// A sample-weighting strategy (SLGrad) adds, before G: the main task's gradient on a
// held-out batch, each sample's inner product with it (from the first sweep, one GEMM per
// trunk layer), and a second sweep with the strategy's per-sample weights as seeds.
//
// Checkpoints (docs/checkpoints.md): fit() can hand out, at step boundaries, the bytes of
// everything a later step reads: parameters, optimizer state, the strategy's state
// (Strategy::visit_state), the Rngs (dropout, held-out batches), MoCo's tracked gradients,
// the step and skipped-step counts, the position in the data (epoch, batch within it),
// the epoch's partial sums, the best epoch's parameters, metric and the epochs since, and
// the EpochReports so far. A fresh Trainer (on a fresh Model and strategy built the same
// way) that resume()s them and runs fit() on the same data ends with the parameters and
// TrainResult of the run never interrupted, bit for bit (EpochReport::seconds aside).
#include <cstdint>
#include <functional>
#include <iosfwd>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "hyda/autodiff/optim.hpp"
#include "hyda/autodiff/tape.hpp"
#include "hyda/kernels/export.hpp"
#include "hyda/mtl/dataset.hpp"
#include "hyda/mtl/model.hpp"
#include "hyda/mtl/strategy.hpp"

#pragma GCC visibility push(default)  // the public API: exported by the shared libraries (cmake/package.cmake)
namespace hyda::mtl {

enum class OptimizerKind { sgd, adam, adamw };
enum class Schedule { constant, cosine, step };
enum class TraceFormat { csv, jsonl };
// What a step does when a task's loss, or its gradient over the shared parameters or its
// own head, is not finite (NaN or Inf; the shared gradient is judged by its squared norm,
// the Gram matrix's diagonal, so one that overflows counts too). The check runs after the
// sweep and before the strategy sees the batch. stop: throw std::runtime_error naming the
// task, step and epoch. skip: leave that batch out: parameters, optimizer state and the
// strategy's state stay as they were, no trace row is written, and fit() counts it in
// EpochReport::skipped_steps (the step counter still advances).
enum class NanPolicy { stop, skip };

struct EpochReport {
    int epoch = 0;
    double seconds = 0;
    // Both over the batches not skipped (NanPolicy::skip).
    std::vector<double> train_loss;         // per task, mean (row-weighted) loss over the epoch's labelled rows (0 if none)
    std::vector<double> mean_coefficients;  // per task, mean over the epoch's batches (times the mean row weight, see above; 0 if none)
    std::optional<double> validation_metric;  // the main task's main_metric; nullopt without validation data
    bool best = false;                        // best so far
    int skipped_steps = 0;                    // batches left out for a numerical fault (NanPolicy::skip)
};

struct TrainOptions {
    int epochs = 30;
    int batch_size = 64;
    Batching batching = Batching::shuffle;  // ordered needs the data's order_key, grouped and mixed its group
    double mix_concentration = default_mix_concentration;  // Batching::mixed: each batch's group shares ~ Dirichlet(a, ..., a), a > 0
    std::uint64_t seed = 1;  // data order, held-out batches, dropout
    OptimizerKind optimizer = OptimizerKind::adam;
    double lr = 1e-3;
    double momentum = 0.9;  // SGD only
    double weight_decay = 0;
    Schedule schedule = Schedule::constant;
    double step_gamma = 0.5;  // Schedule::step: lr *= gamma every step_every epochs
    int step_every = 10;
    double clip_norm = 0;  // clip the combined gradient's global norm; 0 = off
    NanPolicy on_nan = NanPolicy::stop;  // a non-finite loss or gradient (see NanPolicy)
    // Early stopping and restore_best follow the main task's main_metric on the validation
    // data: fit() rejects validation data on which it is undefined.
    int patience = 0;      // stop after this many epochs without a better validation metric; 0 = never
    bool restore_best = true;  // with validation data, end with the best epoch's parameters
    std::ostream* trace = nullptr;  // one row per step
    TraceFormat trace_format = TraceFormat::csv;
    bool trace_full_gram = false;  // all of G, not only its main row
    std::function<void(const EpochReport&)> on_epoch;  // progress
    // Checkpoints: fit() calls on_checkpoint with a checkpoint's bytes after every
    // checkpoint_every-th step (counted by the trainer's step count; 0: never) and, with
    // checkpoint_epochs, after each epoch's validation and report (on_epoch). A step
    // that ends an epoch defers its checkpoint to that point, and none is taken once
    // fit() has decided to stop (the last epoch, or patience): a checkpoint is always
    // somewhere to continue from. Saving reads the state only: a run with checkpoints
    // trains exactly as one without. Needs on_checkpoint if either is on.
    int checkpoint_every = 0;
    bool checkpoint_epochs = false;
    std::function<void(std::string_view bytes)> on_checkpoint;
    // What else a checkpoint must match to be resumed, as (key, value) texts compared
    // like the trainer's own (the command line's data file and options, say).
    std::vector<std::pair<std::string, std::string>> checkpoint_identity;

    // Throws std::invalid_argument naming the first option out of range (the Trainer calls it).
    void validate() const;
};

struct TrainResult {
    int best_epoch = -1;                          // -1 without validation data
    std::optional<double> best_validation_metric; // nullopt without validation data
    std::vector<EpochReport> epochs;
};

// Where a checkpoint continues: the epoch, the batch within it (0: the epoch's start),
// and the trainer's step count.
struct CheckpointPosition {
    int epoch = 0;
    int batch = 0;
    std::int64_t step = 0;
};

// Everything about one batch at the current parameters, without updating them.
struct Introspection {
    std::vector<std::string> tasks;
    std::vector<double> losses;                      // per task
    std::vector<double> gram;                        // tasks x tasks, over the shared parameters
    std::vector<double> feature_gram;                // tasks x tasks, over the trunk's output; empty unless the strategy uses it
    std::vector<double> gains;                       // empty unless the strategy uses gains
    std::vector<double> coefficients;                // what the strategy returns for this batch
    // Sample-weighting strategies only (else empty): per task and batch row, task-major,
    // the inner product of the row's own loss gradient with the reference gradient, the
    // gradient's norm (both over the shared parameters), and the row's weight.
    std::vector<double> sample_dots, sample_norms, sample_weights;
    std::vector<double> grad_norms;                  // ||g_k|| over the shared parameters
    std::vector<std::vector<double>> task_gradients; // per task: the shared parameters' gradient, flattened
    std::vector<std::string> shared_parameters;      // their names, in flattening order

    void write_json(std::ostream& out) const;
};

template <class T>
class Trainer {
public:
    // The model and strategy must outlive the trainer, which trains `model` itself (to
    // keep a model unchanged, train a copy). Neither copyable nor movable: it holds
    // references to both, and an optimizer bound to the model's parameters. Not for
    // sharing between threads: while one thread calls fit, step or inspect, no other may
    // use the trainer, its strategy or its model (not even to predict).
    Trainer(Model<T>& model, Strategy& strategy, TrainOptions options);
    Trainer(const Trainer&) = delete;
    Trainer& operator=(const Trainer&) = delete;
    ~Trainer();

    // Trains for options.epochs (fewer with patience), each epoch over the batches
    // epoch_batches(train, batching, batch_size, seed, epoch, mix_concentration). Throws std::invalid_argument for
    // invalid data (Dataset::validate), no training rows, training data without the
    // metadata the batching needs, or validation data on which the
    // main task's main_metric is undefined; std::runtime_error naming the epoch if the
    // model's predictions on the validation data stop being finite (training diverged;
    // the model keeps its diverged parameters) or, with on_nan = stop, naming the task,
    // step and epoch of a non-finite loss or gradient (the model keeps the parameters it
    // had before that step). After resume(), it continues the checkpointed run instead of
    // starting one (its TrainResult has every epoch of the run, those before the
    // checkpoint included); a later fit() starts afresh.
    TrainResult fit(const Dataset<T>& train, const Dataset<T>* validation = nullptr);

    // Loads a checkpoint (TrainOptions::on_checkpoint's bytes) into the model, optimizer,
    // strategy and trainer, so that the next fit() continues the run where it was taken;
    // that fit() throws DataError naming `source` unless its training and validation data
    // are the checkpointed run's. The checkpoint must come from a run of the same model
    // spec and precision, strategy (name, options, heads), train options (those that
    // shape the run: all but trace, on_epoch and the checkpoint settings) and
    // checkpoint_identity. Throws DataError naming `source` and what is wrong (not a
    // checkpoint, another format version, truncated, corrupt, another run, and which
    // setting differs), never reading past the bytes or allocating more than they
    // hold; then nothing has changed.
    CheckpointPosition resume(std::string_view bytes, const std::string& source);

    // One optimisation step on the rows `rows` of `data`; `held_out` supplies the
    // held-out batch for strategies that measure gains there.
    void step(const Dataset<T>& data, std::span<const int> rows, const Dataset<T>* held_out = nullptr);
    // The same statistics as a step computes, returned instead of applied. The model is
    // left unchanged; a strategy with state (uncertainty, GradNorm, OL-AUX) advances it,
    // as it would in a step. A non-finite loss or gradient throws as on_nan = stop does,
    // whatever on_nan is (there is nothing to skip).
    Introspection inspect(const Dataset<T>& data, std::span<const int> rows, const Dataset<T>* held_out = nullptr);

    const ad::Optimizer<T>& optimizer() const;

private:
    struct State;
    std::unique_ptr<State> s_;
};

// The metric a task kind is judged by, as evaluate() names it: "roc_auc" (binary),
// "accuracy" (multiclass), "rmse" (regression).
std::string main_metric_name(TaskKind kind);

// That metric of task `task` on a dataset, oriented so that higher is better: ROC AUC,
// accuracy, or for regression minus the RMSE (evaluate() reports the RMSE itself).
// nullopt where it is undefined on the dataset's labels. Throws as evaluate() does.
template <class T>
HYDA_EXPORT std::optional<double> main_metric(const Model<T>& model, const Dataset<T>& data, int task);

// All metrics of every task: binary: roc_auc, pr_auc, log_loss, brier, accuracy;
// regression: rmse, mae, r2; multiclass: accuracy, log_loss. A metric undefined on the
// task's labels is nullopt: one without labeled rows, ROC AUC with a single class, PR AUC
// without a positive, R^2 with all labels equal (see metrics.hpp).
struct TaskMetrics {
    std::string task;
    std::vector<std::pair<std::string, std::optional<double>>> values;

    // The value of `metric`; throws std::invalid_argument naming it and the task's metrics
    // if the task has no such metric.
    std::optional<double> value(std::string_view metric) const;
};
// Throws std::invalid_argument naming the data, task and row for invalid data (see
// Dataset::validate) and for data without rows; std::runtime_error naming the task and
// row for a prediction that is not finite (a diverged model).
template <class T>
HYDA_EXPORT std::vector<TaskMetrics> evaluate(const Model<T>& model, const Dataset<T>& data);

// Task outputs for every row: probabilities (binary: P(y = 1); multiclass: one per
// class) or predicted values (regression); out[k] is rows x outputs, row-major.
// predict, evaluate and main_metric only read the model and the data: many threads may
// call them at once on one model (model.hpp), with the same results as one alone.
template <class T>
HYDA_EXPORT std::vector<std::vector<double>> predict(const Model<T>& model, const Dataset<T>& data);

}  // namespace hyda::mtl
#pragma GCC visibility pop
