// Training is bitwise identical on 1 and 2 threads, and the 2-thread run really reaches
// the pool: the shapes are above the kernels' threading thresholds (a GEMM threads from
// 4 MFLOP, an elementwise map from 65536 elements), which hyda::threaded_regions() proves.
// The gated architectures (MMoE, PLE) too: their 256-wide expert layers are trunk-sized.
#include <catch2/catch.hpp>

#include <sstream>
#include <string>
#include <vector>

#include "hyda/kernels/threads.hpp"
#include "hyda/mtl/dataset.hpp"
#include "hyda/mtl/trainer.hpp"

using namespace hyda::mtl;

namespace {

struct Case {
    const char* strategy;
    std::vector<std::string> options;
    double dropout;
    Architecture arch = Architecture::hps;
};

template <class T>
struct Outcome {
    std::vector<std::vector<T>> parameters;
    std::string trace;
    std::vector<double> history;  // per epoch: losses, mean coefficients, validation metric
};

// fit() with validation data: trunk layers 256 x 256 on batches of 64 (8.4 MFLOP per
// forward GEMM, 65536 weights per optimizer update). MMoE: 2 experts of that trunk; PLE:
// 2 levels of one-layer experts (1 shared, 1 per task), level 1's 256 x 256.
template <class T>
Outcome<T> fit_on(int threads, const Case& c, const typename Dataset<T>::Split& data) {
    hyda::set_num_threads(threads);
    ModelSpec spec;
    spec.inputs = data.first.features;
    spec.trunk = {256, 256};
    spec.dropout = c.dropout;
    spec.arch = c.arch;
    spec.experts = c.arch == Architecture::ple ? 1 : 2;
    if (c.arch == Architecture::ple) spec.trunk = {256};
    spec.tasks = synthetic_tasks();
    Model<T> model(spec, 2);
    auto strategy = make_strategy(c.strategy, 3, 0, c.options);
    TrainOptions opt;
    opt.epochs = 2;
    opt.batch_size = 64;
    std::ostringstream trace;
    opt.trace = &trace;
    Trainer<T> trainer(model, *strategy, opt);
    const TrainResult r = trainer.fit(data.first, &data.second);
    Outcome<T> out{model.snapshot(), trace.str(), {}};
    for (const EpochReport& e : r.epochs) {
        out.history.insert(out.history.end(), e.train_loss.begin(), e.train_loss.end());
        out.history.insert(out.history.end(), e.mean_coefficients.begin(), e.mean_coefficients.end());
        out.history.push_back(*e.validation_metric);
    }
    return out;
}

}  // namespace

TEMPLATE_TEST_CASE("training is bitwise identical on 1 and 2 threads, the threaded path taken", "[trainer]", float, double) {
    const Case c = GENERATE(Case{"hydalearn", {"gain=first_order"}, 0.0}, Case{"hydalearn", {"gain=exact", "batch=held_out"}, 0.2},
                            Case{"gradnorm", {}, 0.0}, Case{"mgda", {}, 0.0}, Case{"slgrad", {}, 0.1},
                            Case{"hydalearn", {"gain=first_order"}, 0.1, Architecture::mmoe}, Case{"gradnorm", {}, 0.0, Architecture::mmoe},
                            Case{"hydalearn", {"batch=held_out"}, 0.1, Architecture::ple},
                            // Issue 11's trainer paths: the row reweighting from the sweep's adjoints
                            // (with the skipped sweep), the debiased self-gain, per-layer held-out gains.
                            Case{"hydalearn", {"gain=sample"}, 0.0}, Case{"hydalearn", {"self_gain=debiased"}, 0.0},
                            Case{"hydalearn", {"preset=held_out_prior"}, 0.1});
    INFO(c.strategy << (c.options.empty() ? "" : " " + c.options[0]) << ", dropout " << c.dropout << ", arch " << int(c.arch));
    SyntheticSpec synth;
    synth.rows = 384;
    const auto data = make_synthetic<TestType>(synth).split(2.0 / 3, 1.0 / 3, 1);
    const int threads = hyda::num_threads();
    const Outcome<TestType> one = fit_on<TestType>(1, c, data), again = fit_on<TestType>(1, c, data);
    const std::uint64_t regions = hyda::threaded_regions();
    const Outcome<TestType> two = fit_on<TestType>(2, c, data);
    const std::uint64_t threaded = hyda::threaded_regions() - regions;
    hyda::set_num_threads(threads);
    CHECK(threaded > 0);
    CHECK(one.parameters == again.parameters);
    CHECK(one.parameters == two.parameters);
    CHECK(one.history == two.history);
    CHECK(one.trace == two.trace);
}
