// A program outside the hyda tree, built against the installed package (CMakeLists.txt
// here, or pkg-config: scripts/check-install.sh). It trains HydaLearn on a small synthetic
// problem and prints the main task's test ROC AUC, which a trained model lifts well
// above chance (0.5); the same library gives the same digits however it was linked.
#include <cstdio>

#include <hyda/kernels/threads.hpp>
#include <hyda/mtl/trainer.hpp>

int main() {
    using namespace hyda::mtl;
    hyda::set_num_threads(1);  // results are the same on any count; one is light on a busy machine

    SyntheticSpec synth;
    synth.rows = 1500;
    const Dataset<float> data = make_synthetic<float>(synth);
    const auto parts = data.split(0.6, 0.2, /*seed*/ 3);  // train, validation, test

    ModelSpec spec;
    spec.inputs = data.features;
    spec.trunk = {16};
    spec.tasks = synthetic_tasks();
    Model<float> model(spec, /*seed*/ 7);
    const auto strategy = make_strategy("hydalearn", model.tasks(), spec.main_task);
    TrainOptions options;
    options.epochs = 8;
    options.seed = 11;
    Trainer<float> trainer(model, *strategy, options);
    trainer.fit(parts.first, &parts.second);

    const auto auc = main_metric(model, parts.rest, spec.main_task);
    if (!auc) {
        std::fprintf(stderr, "no test AUC: the test rows lack one of the main task's classes\n");
        return 1;
    }
    std::printf("hyda consumer: main-task test AUC %.6f\n", *auc);
    return 0;
}
