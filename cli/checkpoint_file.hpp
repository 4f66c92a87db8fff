#pragma once
// Training checkpoints of hyda train (--checkpoint FILE, --checkpoint-every N, --resume;
// docs/checkpoints.md): what a checkpoint of the command must match beside the trainer's
// own identity, and the writer that puts each checkpoint on disk whole or not at all.
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "options.hpp"

namespace hyda::cli {

struct CheckpointOptions {
    std::string file;     // --checkpoint; empty: no checkpoints
    int every = 0;        // --checkpoint-every: also every this many steps (0: at each epoch's end only)
    bool resume = false;  // --resume: continue from `file`
};

// The command's part of a checkpoint's identity, keyed by option: the data file's size and
// CRC-32 (its contents, wherever it now lies) and every option that shapes the run or
// the model file it ends with (not --threads, --out, --quiet, reports or checkpoints).
// Throws DataError naming the data file if it cannot be read.
std::vector<std::pair<std::string, std::string>> checkpoint_identity(const DataOptions& data, const TrainingSetup& setup, const Method& method);

// Saves each checkpoint it is given to its file with mtl::write_atomically: FILE.tmp,
// fsync, rename, so a crash or kill at any point leaves the previous checkpoint.
//
// Test hook (tests/cli/checkpoint_test.cpp): with the environment variable
// HYDA_TEST_KILL_DURING_CHECKPOINT=N, the process kills itself (SIGKILL) during its Nth
// save, after writing and flushing half of FILE.tmp: a kill in the middle of a save.
class CheckpointSaver {
public:
    explicit CheckpointSaver(std::string path);
    void operator()(std::string_view bytes);

private:
    std::string path_;
    long saves_ = 0, kill_at_ = 0;
};

// The checkpoint file's bytes; DataError naming it if it cannot be read.
std::string read_checkpoint(const std::string& path);

}  // namespace hyda::cli
