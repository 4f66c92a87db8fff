#pragma once
// One training run as train and compare make it: a model initialized from the seed,
// trained with validation early stopping (the best epoch restored), then judged on the
// validation and test parts.
#include <functional>
#include <iosfwd>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "data_setup.hpp"
#include "hyda/mtl/trainer.hpp"
#include "options.hpp"

namespace hyda::cli {

struct RunReport {
    mtl::TrainResult result;
    double seconds = 0;  // wall time of the training (fit) alone
    std::vector<mtl::TaskMetrics> validation, test;  // empty for an empty part

    int epochs() const { return int(result.epochs.size()); }
    double seconds_per_epoch() const { return result.epochs.empty() ? 0 : seconds / double(result.epochs.size()); }
};

// Checkpoints of a run (train's --checkpoint): saved at each epoch's end but the last and
// every `every` steps (0: only there), and where it resumes from.
struct Checkpointing {
    int every = 0;
    std::vector<std::pair<std::string, std::string>> identity;  // beside the trainer's (TrainOptions::checkpoint_identity)
    std::function<void(std::string_view bytes)> save;
    std::optional<std::string> resume_bytes;  // none: a new run
    std::string resume_source;
    std::function<void(const mtl::CheckpointPosition&)> on_resume;
};

struct RunSetup {
    const TrainingSetup& setup;
    const Method& method;
    std::uint64_t seed = 1;
    std::ostream* trace = nullptr;  // the trainer's per-step CSV trace
    std::function<void(const mtl::EpochReport&)> on_epoch;
    const Checkpointing* checkpointing = nullptr;
};

// Trains `model` (initialized by the caller) on data.train.
template <class T>
RunReport train_and_evaluate(mtl::Model<T>& model, const Encoded<T>& data, const RunSetup& run);

}  // namespace hyda::cli
