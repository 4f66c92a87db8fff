#pragma once
// Evaluation metrics for the task kinds of a multi-task model: binary classification,
// regression and multiclass classification.
//
// Every function takes the model's outputs and the labels as two spans of doubles, sample
// by sample. A NaN label means "missing" (multi-task data sets rarely label every task
// for every sample): that sample is skipped by every metric, whatever its prediction
// (which may then be NaN too). Each metric is computed over the remaining samples.
//
// Bad input throws std::invalid_argument with a message naming the metric: lengths that
// differ, no sample with a label, a NaN prediction for a labeled sample, a binary label
// other than 0 or 1, a class index out of range, a probability outside [0, 1], or data
// on which the metric is undefined (ROC AUC with a single class, ...). Whether a metric
// is defined depends on the labels alone: the *_undefined functions at the end tell
// beforehand, so that a caller need not catch the exception to find out.
#include <cstddef>
#include <optional>
#include <span>
#include <string>

#pragma GCC visibility push(default)  // the public API: exported by the shared libraries (cmake/package.cmake)
namespace hyda::mtl {

// --- Binary classification: labels are 0 or 1 -------------------------------------------

// Area under the ROC curve: the probability that a random positive scores higher than a
// random negative, a tie counting 1/2. Equals the Mann-Whitney U statistic divided by
// n_pos * n_neg (Hanley & McNeil 1982), with average ranks for tied scores. Only the order
// of the scores matters. O(n log n). Undefined (throws) unless both classes are present.
double roc_auc(std::span<const double> scores, std::span<const double> labels);

// Area under the precision-recall curve as average precision, defined as scikit-learn's
// average_precision_score: AP = sum_n (R_n - R_{n-1}) P_n over the distinct score
// thresholds in decreasing order (samples with tied scores enter together, at one
// threshold), R_0 = 0. Without interpolation. O(n log n). Undefined (throws) without a
// positive label.
double pr_auc(std::span<const double> scores, std::span<const double> labels);

// Mean binary cross-entropy -[y log p + (1 - y) log(1 - p)], with p clipped to
// [eps, 1 - eps] so that a confident mistake costs a large but finite amount.
// Probabilities must lie in [0, 1]; 0 <= eps < 0.5.
double log_loss(std::span<const double> probabilities, std::span<const double> labels, double eps = 1e-15);

// Mean squared error (p - y)^2 of the probabilities (Brier 1950). Probabilities in [0, 1].
double brier(std::span<const double> probabilities, std::span<const double> labels);

// Fraction of samples classified correctly, predicting 1 when probability >= threshold.
double accuracy(std::span<const double> probabilities, std::span<const double> labels, double threshold = 0.5);

// --- Regression: labels are real targets ---------------------------------------------------

// Root mean squared error sqrt(mean (p - y)^2).
double rmse(std::span<const double> predictions, std::span<const double> labels);

// Mean absolute error mean |p - y|.
double mae(std::span<const double> predictions, std::span<const double> labels);

// Coefficient of determination 1 - SS_res / SS_tot, SS_res = sum (y - p)^2,
// SS_tot = sum (y - mean y)^2. Negative when worse than predicting the mean. Undefined
// (throws) when the labels are all equal (SS_tot = 0).
double r2(std::span<const double> predictions, std::span<const double> labels);

// --- Multiclass classification: labels are class indices 0 .. num_classes - 1 --------------
// probabilities is row-major, one row of num_classes entries per sample
// (probabilities.size() == labels.size() * num_classes).

// Fraction of samples whose highest-scoring class is the label; a tie goes to the lowest
// class index. Any scores work, not only probabilities.
double multiclass_accuracy(std::span<const double> probabilities, std::size_t num_classes,
                           std::span<const double> labels);

// Mean cross-entropy -log p_label, with p_label clipped to [eps, 1 - eps]. Rows are not
// renormalized. Probabilities in [0, 1]; 0 <= eps < 0.5.
double multiclass_log_loss(std::span<const double> probabilities, std::size_t num_classes,
                           std::span<const double> labels, double eps = 1e-15);

// --- Where a metric is undefined -----------------------------------------------------------
// Each returns why the metric is undefined on `labels`, whatever the predictions (the
// reason its exception gives), or nullopt where it is defined. The labels are taken as
// valid for the metric (the metric itself checks them).

// Every metric: undefined without a labeled sample.
std::optional<std::string> metric_undefined(std::span<const double> labels);
// ROC AUC: also with a single class among the labeled samples.
std::optional<std::string> roc_auc_undefined(std::span<const double> labels);
// PR AUC: also without a positive label.
std::optional<std::string> pr_auc_undefined(std::span<const double> labels);
// R^2: also when all labels are equal.
std::optional<std::string> r2_undefined(std::span<const double> labels);

}  // namespace hyda::mtl
#pragma GCC visibility pop
