#pragma once
// Training runs whose every step a test can check against a strategy's rule: fit() with
// the trainer's CSV trace at full precision and the full Gram matrix, read back as the
// losses, coefficients and G each step's strategy saw and returned.
#include <catch2/catch.hpp>

#include <sstream>
#include <string>
#include <vector>

#include "hyda/mtl/dataset.hpp"
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
TracedRun fit_traced(mtl::Model<T>& model, mtl::Strategy& strategy, const mtl::Dataset<T>& data, mtl::TrainOptions options,
                     const mtl::Dataset<T>* validation = nullptr) {
    std::ostringstream trace;
    trace.precision(17);  // the doubles the strategy saw, exactly
    options.trace = &trace;
    options.trace_full_gram = true;
    mtl::Trainer<T> trainer(model, strategy, options);
    TracedRun run;
    run.result = trainer.fit(data, validation);
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

// The traced run most strategy tests replay: the synthetic tasks (mtl::synthetic_tasks(),
// main task 0) on a 16,16 trunk drawn from seed 3, `name` with `options`, batches of 32,
// Adam at lr 1e-2, for `epochs`; every step in the trace.
inline TracedRun traced_synthetic_run(const mtl::Dataset<float>& data, const std::string& name, const std::vector<std::string>& options, int epochs,
                                      const mtl::Dataset<float>* validation = nullptr) {
    mtl::ModelSpec spec;
    spec.inputs = data.features;
    spec.trunk = {16, 16};
    spec.tasks = mtl::synthetic_tasks();
    mtl::Model<float> model(spec, 3);
    auto strategy = mtl::make_strategy(name, model.tasks(), spec.main_task, options);
    mtl::TrainOptions o;
    o.epochs = epochs;
    o.batch_size = 32;
    o.lr = 1e-2;
    TracedRun run = fit_traced(model, *strategy, data, o, validation);
    REQUIRE(run.steps.size() == std::size_t(epochs) * std::size_t((data.rows + 31) / 32));
    return run;
}

}  // namespace hyda::test
