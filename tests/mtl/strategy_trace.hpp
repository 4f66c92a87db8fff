#pragma once
// Training runs whose every step a test can check against a strategy's rule: fit() with
// the trainer's CSV trace at full precision and the full Gram matrix, read back as the
// losses, coefficients and G each step's strategy saw and returned.
#include <catch2/catch.hpp>

#include <sstream>
#include <string>
#include <vector>

#include "hyda/mtl/trainer.hpp"

namespace hyda::test {

struct TracedStep {
    int epoch = 0;
    std::vector<double> losses, coefficients, gram;  // gram: tasks x tasks, row-major
};

struct TracedRun {
    mtl::TrainResult result;
    std::vector<TracedStep> steps;
};

inline std::vector<std::string> split_csv_line(const std::string& line) {
    std::vector<std::string> cells;
    std::stringstream in(line);
    for (std::string cell; std::getline(in, cell, ',');) cells.push_back(cell);
    return cells;
}

template <class T>
TracedRun fit_traced(mtl::Model<T>& model, mtl::Strategy& strategy, const mtl::Dataset<T>& data, mtl::TrainOptions options) {
    std::ostringstream trace;
    trace.precision(17);  // the doubles the strategy saw, exactly
    options.trace = &trace;
    options.trace_full_gram = true;
    mtl::Trainer<T> trainer(model, strategy, options);
    TracedRun run;
    run.result = trainer.fit(data);
    std::stringstream lines(trace.str());
    std::string line;
    std::getline(lines, line);
    const std::vector<std::string> header = split_csv_line(line);
    while (std::getline(lines, line)) {
        const std::vector<std::string> cells = split_csv_line(line);
        REQUIRE(cells.size() == header.size());
        TracedStep step;
        for (std::size_t c = 0; c < cells.size(); ++c) {
            const std::string& name = header[c];
            const double value = std::stod(cells[c]);
            if (name == "epoch") step.epoch = int(value);
            if (name.rfind("loss_", 0) == 0) step.losses.push_back(value);
            if (name.rfind("coef_", 0) == 0) step.coefficients.push_back(value);
            if (name.rfind("G_", 0) == 0) step.gram.push_back(value);
        }
        run.steps.push_back(step);
    }
    return run;
}

}  // namespace hyda::test
