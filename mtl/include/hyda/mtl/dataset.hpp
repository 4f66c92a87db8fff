#pragma once
// A table of samples for multi-task training: features, and one label column per task
// (NaN where a sample has no label for that task).
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "hyda/kernels/export.hpp"
#include "hyda/mtl/model.hpp"

#pragma GCC visibility push(default)  // the public API: exported by the shared libraries (cmake/package.cmake)
namespace hyda::mtl {

template <class T>
struct Dataset {
    int rows = 0, features = 0;
    std::vector<T> x;                    // rows x features, row-major
    std::vector<std::vector<T>> labels;  // labels[k][i]: task k, sample i; NaN = missing
    // Optional per-task row weights (empty = every weight 1): weights[k][i] multiplies row
    // i's loss in task k's training loss, sum_i m_ki w_ki l_ki / sum_i m_ki (m = labelled),
    // so a weight scales a row's pull and weight 0 silences it without changing the
    // denominator. An empty weights[k] is all 1 for task k. Training batches (and held-out
    // batches drawn from data that has weights) use them; evaluation metrics never do.
    std::vector<std::vector<T>> weights;
    // Optional per-row metadata for the batching (empty = none): a key the rows are
    // visited in increasing order of (Batching::ordered), and a group each batch is drawn
    // from alone (Batching::grouped) or in drawn shares (Batching::mixed).
    std::vector<double> order_key;
    std::vector<int> group;

    // The rows `index` (in that order), with their metadata and row weights.
    Dataset subset(std::span<const int> index) const;
    // Splits off the given fractions of rows (shuffled with `seed`): {first, second, rest}.
    struct Split;
    Split split(double first, double second, std::uint64_t seed) const;

    // Checks shapes and labels against the model's tasks (0/1 for binary, class indices
    // for multiclass, finite or NaN), that the features and order keys are finite and the
    // row weights finite and >= 0 (in every row, labelled or not): throws
    // std::invalid_argument naming `what`, the task and the row.
    void validate(const ModelSpec& spec, const std::string& what = "dataset") const;
    // Only the shapes, in O(tasks): the feature count, the size of x, of the metadata
    // present, of the row weights if any (one list per task, each empty or of `rows`
    // values) and, with `with_labels`, one label column of `rows` values per task.
    void check_shapes(const ModelSpec& spec, const std::string& what, bool with_labels = true) const;
};

template <class T>
struct Dataset<T>::Split {
    Dataset<T> first, second, rest;
};

// The order in which an epoch visits `rows` training rows: a permutation of 0 .. rows - 1
// (Fisher-Yates) drawn from an Rng seeded from (seed, epoch) alone. No other draw shifts
// it, so an epoch's order is the same however the epochs before it ran (or were skipped
// when training resumes from a checkpoint). Throws std::invalid_argument if rows or
// epoch is negative.
std::vector<int> epoch_order(int rows, std::uint64_t seed, int epoch);

// How an epoch's rows are cut into batches; every row is in exactly one batch.
//   shuffle  consecutive batches of epoch_order.
//   ordered  the rows in increasing order_key, ties in epoch_order's order, then cut into
//            consecutive batches (a curriculum: e.g. a `phase` column along which an
//            auxiliary task's relatedness drifts).
//   grouped  each batch from one group alone: each group's rows in epoch_order's order,
//            cut into batches, then the batches of all groups in an order shuffled from
//            (seed, epoch), so batch composition varies between batches.
//   mixed    each batch's share of every group drawn from a symmetric Dirichlet(a, ..., a)
//            over the groups (two groups: Beta(a, a); a < 1 is U-shaped, most batches
//            mostly one group; a large a gives batches near the groups' equal shares).
//            Each group's rows in epoch_order's order; then batch after batch, of
//            batch_size rows (the last of the rows left): shares drawn, turned into row
//            counts by largest remainder (ties to the lower group), each group's count
//            taken from the front of its rows left. A group with fewer rows left than its
//            count gives what it has, and the shortfall is taken from the other groups in
//            increasing group order. The draws come from an Rng seeded from (seed, epoch).
enum class Batching { shuffle, ordered, grouped, mixed };

// The Dirichlet concentration a of Batching::mixed unless told otherwise: U-shaped
// (Beta(0.3, 0.3) for two groups), the subgroup setting of the HydaLearn experiments.
inline constexpr double default_mix_concentration = 0.3;

// Throws std::invalid_argument naming `what` if `batching` needs metadata `data` lacks
// (one order_key per row for ordered, one group per row for grouped and mixed).
template <class T>
HYDA_EXPORT void require_batching_metadata(const Dataset<T>& data, Batching batching, const std::string& what);

// The batches of epoch `epoch`: lists of row indices of at most `batch_size` rows each,
// fixed by (data's metadata, batching, batch_size, seed, epoch, and for mixed
// mix_concentration) alone, like epoch_order. Throws std::invalid_argument for
// batch_size < 1, a negative epoch, missing metadata, or a mix_concentration that is not
// finite and > 0.
template <class T>
HYDA_EXPORT std::vector<std::vector<int>> epoch_batches(const Dataset<T>& data, Batching batching, int batch_size, std::uint64_t seed, int epoch,
                                            double mix_concentration = default_mix_concentration);

// A synthetic problem for examples and tests: a binary main task whose labels are known
// for only `main_labelled` of the rows, a related auxiliary task (the same latent function
// with extra noise, labelled everywhere) and an unrelated one (coin flips).
struct SyntheticSpec {
    int rows = 4000;
    int features = 16;
    double main_labelled = 0.2;   // fraction of rows with a main-task label
    double label_noise = 0.3;     // noise added to the main task's latent score
    double related_noise = 0.3;   // extra noise of the related task's latent score
    std::uint64_t seed = 1;
};

// Tasks, in order: "main" (binary), "related" (binary), "noise" (binary).
template <class T>
HYDA_EXPORT Dataset<T> make_synthetic(const SyntheticSpec& spec);
std::vector<TaskSpec> synthetic_tasks();

}  // namespace hyda::mtl
#pragma GCC visibility pop
