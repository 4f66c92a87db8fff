#pragma once
// Training a multi-task model with a weighting strategy. One step:
//
//   forward once -> K losses -> backward_multi (one sweep) -> per-task gradients g_k of
//   the shared parameters -> Gram matrix G = [<g_i, g_j>] -> strategy (losses, G, gains)
//   -> coefficients c_k -> shared gradient sum_k c_k g_k, each head its own task's
//   gradient -> optimizer step
//
// A sample-weighting strategy (SLGrad) adds, before G: the main task's gradient on a
// held-out batch, each sample's inner product with it (from the first sweep, one GEMM per
// trunk layer), and a second sweep with the strategy's per-sample weights as seeds.
#include <cstdint>
#include <functional>
#include <iosfwd>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "hyda/autodiff/optim.hpp"
#include "hyda/autodiff/tape.hpp"
#include "hyda/mtl/dataset.hpp"
#include "hyda/mtl/model.hpp"
#include "hyda/mtl/strategy.hpp"

namespace hyda::mtl {

enum class OptimizerKind { sgd, adam, adamw };
enum class Schedule { constant, cosine, step };
enum class TraceFormat { csv, jsonl };

struct EpochReport {
    int epoch = 0;
    double seconds = 0;
    std::vector<double> train_loss;         // per task, mean over the epoch's batches
    std::vector<double> mean_coefficients;  // per task, mean over the epoch's batches
    double validation_metric = 0;           // the main task's (NaN without validation data)
    bool best = false;                      // best so far
};

struct TrainOptions {
    int epochs = 30;
    int batch_size = 64;
    std::uint64_t seed = 1;  // data order, held-out batches, dropout
    OptimizerKind optimizer = OptimizerKind::adam;
    double lr = 1e-3;
    double momentum = 0.9;  // SGD only
    double weight_decay = 0;
    Schedule schedule = Schedule::constant;
    double step_gamma = 0.5;  // Schedule::step: lr *= gamma every step_every epochs
    int step_every = 10;
    double clip_norm = 0;  // clip the combined gradient's global norm; 0 = off
    int patience = 0;      // stop after this many epochs without a better validation metric; 0 = never
    bool restore_best = true;  // with validation data, end with the best epoch's parameters
    std::ostream* trace = nullptr;  // one row per step
    TraceFormat trace_format = TraceFormat::csv;
    bool trace_full_gram = false;  // all of G, not only its main row
    std::function<void(const EpochReport&)> on_epoch;  // progress

    // Throws std::invalid_argument naming the first option out of range (the Trainer calls it).
    void validate() const;
};

struct TrainResult {
    int best_epoch = -1;
    double best_validation_metric = 0;
    std::vector<EpochReport> epochs;
};

// Everything about one batch at the current parameters, without updating them.
struct Introspection {
    std::vector<std::string> tasks;
    std::vector<double> losses;                      // per task
    std::vector<double> gram;                        // tasks x tasks, over the shared parameters
    std::vector<double> gains;                       // empty unless the strategy uses gains
    std::vector<double> coefficients;                // what the strategy returns for this batch
    // Sample-weighting strategies only (else empty): per task and batch row, task-major,
    // the inner product of the row's own loss gradient with the held-out main gradient, the
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
    // references to both, and an optimizer bound to the model's parameters.
    Trainer(Model<T>& model, Strategy& strategy, TrainOptions options);
    Trainer(const Trainer&) = delete;
    Trainer& operator=(const Trainer&) = delete;
    ~Trainer();

    TrainResult fit(const Dataset<T>& train, const Dataset<T>* validation = nullptr);

    // One optimisation step on the rows `rows` of `data`; `held_out` supplies the
    // held-out batch for strategies that measure gains there.
    void step(const Dataset<T>& data, std::span<const int> rows, const Dataset<T>* held_out = nullptr);
    // The same statistics as a step computes, returned instead of applied. The model is
    // left unchanged; a strategy with state (uncertainty, GradNorm, OL-AUX) advances it,
    // as it would in a step.
    Introspection inspect(const Dataset<T>& data, std::span<const int> rows, const Dataset<T>* held_out = nullptr);

    const ad::Optimizer<T>& optimizer() const;

private:
    struct State;
    std::unique_ptr<State> s_;
};

// The main metric of a task on a dataset, oriented so that higher is better: ROC AUC
// (binary), accuracy (multiclass), minus RMSE (regression). NaN if undefined.
template <class T>
double main_metric(const Model<T>& model, const Dataset<T>& data, int task);

// All metrics of every task: binary: roc_auc, pr_auc, log_loss, brier, accuracy;
// regression: rmse, mae, r2; multiclass: accuracy, log_loss. NaN where undefined.
struct TaskMetrics {
    std::string task;
    std::vector<std::pair<std::string, double>> values;
};
template <class T>
std::vector<TaskMetrics> evaluate(const Model<T>& model, const Dataset<T>& data);

// Task outputs for every row: probabilities (binary: P(y = 1); multiclass: one per
// class) or predicted values (regression); out[k] is rows x outputs, row-major.
template <class T>
std::vector<std::vector<double>> predict(const Model<T>& model, const Dataset<T>& data);

}  // namespace hyda::mtl
