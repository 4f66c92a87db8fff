#pragma once
// compare's runs: every (method, seed) pair trained on worker threads. Within a seed,
// every method gets the same split, preprocessing, initial weights and batch order, so
// the methods' results pair up seed by seed.
//
// The kernels may be called from several threads at once: the thread pool runs a call
// inline on its caller whenever another thread's parallel region holds it (or the pool
// has no workers), the GEMM packing buffers are per thread, and the CPU path is an atomic.
#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "hyda/mtl/table.hpp"
#include "options.hpp"
#include "training_run.hpp"

namespace hyda::cli {

struct CompareSetup {
    const mtl::Table& table;
    const DataOptions& data;
    const TrainingSetup& setup;
    const std::vector<Method>& methods;
    std::vector<std::uint64_t> seeds;
    int jobs = 1;
    std::size_t traced_seeds = 0;  // the runs of the first this many seeds keep their per-step trace
};

struct RunRecord {
    std::size_t method = 0;  // index in CompareSetup::methods
    std::size_t seed = 0;    // index in CompareSetup::seeds
    RunReport report;
    std::string trace;  // CSV, for the traced seeds
};

struct CompareRuns {
    std::vector<mtl::TaskSpec> tasks;  // the model's tasks; tasks[0] is the main task
    std::vector<RunRecord> runs;       // method-major: runs[m * seeds + s]
};

// Prints one line of progress on `progress` (unless null) per finished run. Rethrows the
// first run's failure after the others have stopped.
CompareRuns run_compare(const CompareSetup& c, std::ostream* progress);

}  // namespace hyda::cli
