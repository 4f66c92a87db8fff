#pragma once
// compare's plots, into the output directory: each method's task weights on the first
// seed, per step (a moving average over a fifth of an epoch) and per epoch; the
// validation main metric per epoch, averaged over the seeds that reached that epoch; the
// main test metric per method with +- one standard deviation.
#include <filesystem>
#include <ostream>
#include <string>
#include <vector>

#include "compare_runs.hpp"
#include "compare_summary.hpp"

namespace hyda::cli {

// Returns the SVG file names (drawn, or left as data and script without gnuplot).
std::vector<std::string> write_compare_plots(const std::filesystem::path& dir, const CompareSetup& c, const CompareRuns& runs,
                                             const CompareSummary& s, std::ostream& warnings);

}  // namespace hyda::cli
