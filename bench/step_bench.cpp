// hyda_bench_step: one training step of a shared-trunk MLP with K binary heads.
//
// Model: x [B x D] -> linear D->H, ReLU -> linear H->H, ReLU -> K heads linear H->1,
// BCE-with-logits each; plain SGD. Variants:
//   ew     loss = sum of the K losses, one backward, SGD step
//   multi  backward_multi over the K losses (one sweep, K separate gradients), their sum
//          combined into grad(), SGD step
//   hyda1      HydaLearn with first-order gains (mtl::Trainer step: backward_multi, Gram,
//              gains <g_main, P g_k>, weights, combined gradient, SGD step)
//   hydaexact  HydaLearn with exact gains (K look-ahead forwards of trunk and main head)
//   hyda-<v>   HydaLearn's variants (docs/hydalearn.md): lr (precondition=lr), cosine,
//              smooth, prior, layer (granularity=layer), sample (gain=sample), heldout
//              (batch=held_out, its held-out batch B rows drawn from the training data),
//              preset (preset=held_out_prior), debiased (self_gain=debiased)
//   <name>     every other strategy of mtl::strategy_names() with its defaults, through
//              mtl::Trainer as above (equal: the trainer's own cost, Gram included);
//              static (needs weights) and slgrad (its held-out batch would be drawn from the
//              training data, as hyda-heldout's is, not its setting) are left out
//   mmoe4      equal weights on an MMoE model (Ma et al. 2018): 4 experts D -> H/2 -> H/2
//   hpsflops   equal weights on the shared trunk D -> H' -> H' with H' chosen so that a row
//              costs the same multiply-adds as mmoe4's (experts, gates, mixing, heads): what
//              the gating costs beyond its arithmetic
// Names: step/hyda/<variant>/B<B>_D<D>_H<H>_K<K>/threads:<t>, time in microseconds.
// bench/step_table.py runs this next to bench/torch_step.py and prints the comparison.
#include <benchmark/benchmark.h>

#include <cmath>
#include <memory>

#include <string>
#include <tuple>
#include <vector>

#include "hyda/autodiff/init.hpp"
#include "hyda/autodiff/ops.hpp"
#include "hyda/autodiff/optim.hpp"
#include "hyda/kernels/arch.hpp"
#include "hyda/kernels/threads.hpp"
#include "hyda/mtl/trainer.hpp"

namespace {

using namespace hyda::ad;

struct Config {
    int B, D, H, K;
    std::string name() const {
        return "B" + std::to_string(B) + "_D" + std::to_string(D) + "_H" + std::to_string(H) + "_K" + std::to_string(K);
    }
};

class SharedTrunkMlp {
public:
    explicit SharedTrunkMlp(const Config& c) : c_(c), ones_(std::size_t(c.K), 1.0f) {
        Rng rng(7);
        params_.reserve(4 + 2 * std::size_t(c.K));
        auto add = [&](const std::string& name, int rows, int cols) -> Parameter<float>& {
            Parameter<float>& p = params_.emplace_back(name, rows, cols);
            if (rows > 1) he_uniform(p, rng);
            return p;
        };
        add("W1", c.D, c.H), add("b1", 1, c.H), add("W2", c.H, c.H), add("b2", 1, c.H);
        for (int k = 0; k < c.K; ++k) add("W_head" + std::to_string(k), c.H, 1), add("b_head" + std::to_string(k), 1, 1);
        for (auto& p : params_) pointers_.push_back(&p);
        optimizer_ = std::make_unique<SGD<float>>(pointers_, 0.01f);

        x_.resize(std::size_t(c.B) * c.D);
        for (float& v : x_) v = float(rng.normal());
        labels_.assign(std::size_t(c.K) * c.B, 0.0f);
        for (std::size_t i = 0; i < labels_.size(); ++i) labels_[i] = float(rng() % 2);
        losses_.resize(std::size_t(c.K));
    }

    void step(bool multi) {
        tape_.reset();
        const Var<float> x = tape_.input(x_.data(), c_.B, c_.D, "x");
        Var<float> h = relu(linear(x, tape_.param(params_[0]), tape_.param(params_[1])));
        h = relu(linear(h, tape_.param(params_[2]), tape_.param(params_[3])));
        for (int k = 0; k < c_.K; ++k) {
            const Var<float> logit = linear(h, tape_.param(params_[4 + 2 * k]), tape_.param(params_[5 + 2 * k]));
            losses_[k] = bce_with_logits(logit, tape_.input(labels_.data() + std::size_t(k) * c_.B, c_.B, 1, "y"));
        }
        if (multi) {
            tape_.backward_multi(losses_);
            for (auto& p : params_) p.combine(ones_.data(), c_.K);
        } else {
            Var<float> total = losses_[0];
            for (int k = 1; k < c_.K; ++k) total = total + losses_[k];
            tape_.backward(total);
        }
        optimizer_->step();
    }

private:
    Config c_;
    std::vector<Parameter<float>> params_;
    std::vector<Parameter<float>*> pointers_;
    std::unique_ptr<SGD<float>> optimizer_;
    std::vector<float> x_, labels_, ones_;
    std::vector<Var<float>> losses_;
    Tape<float> tape_;
};

void run(benchmark::State& state, Config c, bool multi, int threads) {
    hyda::set_num_threads(threads);
    SharedTrunkMlp model(c);
    for (int i = 0; i < 3; ++i) model.step(multi);  // warm-up: arena and buffers reach their size
    for (auto _ : state) model.step(multi);
}

// The same model and data through mtl::Trainer with a weighting strategy.
namespace mtl = hyda::mtl;

mtl::ModelSpec shared_trunk_spec(const Config& c, int width) {
    mtl::ModelSpec spec;
    spec.inputs = c.D;
    spec.trunk = {width, width};
    for (int k = 0; k < c.K; ++k) spec.tasks.push_back({"task" + std::to_string(k), mtl::TaskKind::binary, 2, 0, {}});
    return spec;
}

constexpr int mmoe_experts = 4;

mtl::ModelSpec mmoe_spec(const Config& c) {
    mtl::ModelSpec spec = shared_trunk_spec(c, c.H / 2);
    spec.arch = mtl::Architecture::mmoe;
    spec.experts = mmoe_experts;
    return spec;
}

// The trunk width H' whose row costs mmoe_spec's multiply-adds: H'^2 + (D + K) H' = M with
// M = E (D h + h^2) + K D E (gates) + K E h (mixing) + K h (heads), h = H / 2.
int flop_equivalent_width(const Config& c) {
    const double h = c.H / 2, E = mmoe_experts, D = c.D, K = c.K;
    const double M = E * (D * h + h * h) + K * D * E + K * E * h + K * h;
    return int(std::lround((-(D + K) + std::sqrt((D + K) * (D + K) + 4 * M)) / 2));
}

void run_strategy(benchmark::State& state, Config c, mtl::ModelSpec spec, std::string strategy_name, std::vector<std::string> options, int threads) {
    hyda::set_num_threads(threads);
    mtl::Model<float> model(spec, 7);
    mtl::Dataset<float> data;
    data.rows = c.B;
    data.features = c.D;
    Rng rng(7);
    data.x.resize(std::size_t(c.B) * c.D);
    for (float& v : data.x) v = float(rng.normal());
    data.labels.assign(std::size_t(c.K), std::vector<float>(std::size_t(c.B)));
    for (auto& column : data.labels)
        for (float& y : column) y = float(rng() % 2);
    auto strategy = mtl::make_strategy(strategy_name, c.K, 0, options);
    mtl::TrainOptions opt;
    opt.optimizer = mtl::OptimizerKind::sgd;
    opt.momentum = 0;
    opt.lr = 0.01;
    opt.batch_size = c.B;  // the size of a held-out batch
    mtl::Trainer<float> trainer(model, *strategy, opt);
    std::vector<int> rows(std::size_t(c.B));
    for (int i = 0; i < c.B; ++i) rows[std::size_t(i)] = i;
    for (int i = 0; i < 3; ++i) trainer.step(data, rows, &data);
    for (auto _ : state) trainer.step(data, rows, &data);
}

}  // namespace

int main(int argc, char** argv) {
    // small, medium, large; medium and large again with K = 8 for the strategies' cost.
    const Config configs[] = {{128, 32, 64, 2}, {256, 64, 256, 4}, {1024, 128, 512, 4}, {256, 64, 256, 8}, {1024, 128, 512, 8}};
    for (int threads : {1, 2}) {
        for (const Config& c : configs) {
            const std::string suffix = "/" + c.name() + "/threads:" + std::to_string(threads);
            for (bool multi : {false, true}) {
                const std::string name = std::string("step/hyda/") + (multi ? "multi" : "ew") + suffix;
                benchmark::RegisterBenchmark(name.c_str(), run, c, multi, threads)->UseRealTime()->Unit(benchmark::kMicrosecond);
            }
            std::vector<std::tuple<std::string, std::string, std::vector<std::string>>> strategies = {
                {"hyda1", "hydalearn", {"gain=first_order"}},
                {"hydaexact", "hydalearn", {"gain=exact"}},
                // HydaLearn's variants (docs/hydalearn.md), each against hyda1.
                {"hyda-lr", "hydalearn", {"precondition=lr"}},
                {"hyda-cosine", "hydalearn", {"measure=cosine"}},
                {"hyda-smooth", "hydalearn", {"smooth=0.9"}},
                {"hyda-prior", "hydalearn", {"prior=0.3"}},
                {"hyda-layer", "hydalearn", {"granularity=layer"}},
                {"hyda-sample", "hydalearn", {"gain=sample"}},
                {"hyda-heldout", "hydalearn", {"batch=held_out"}},
                {"hyda-preset", "hydalearn", {"preset=held_out_prior"}},
                {"hyda-debiased", "hydalearn", {"self_gain=debiased"}}};
            for (const std::string& name : hyda::mtl::strategy_names())
                if (name != "hydalearn" && name != "static" && name != "slgrad") strategies.push_back({name, name, {}});
            for (const auto& [variant, strategy, options] : strategies) {
                const std::string name = "step/hyda/" + variant + suffix;
                benchmark::RegisterBenchmark(name.c_str(), run_strategy, c, shared_trunk_spec(c, c.H), strategy, options, threads)->UseRealTime()->Unit(benchmark::kMicrosecond);
            }
            for (const auto& [variant, spec] : {std::pair{"mmoe4", mmoe_spec(c)}, std::pair{"hpsflops", shared_trunk_spec(c, flop_equivalent_width(c))}}) {
                const std::string name = std::string("step/hyda/") + variant + suffix;
                benchmark::RegisterBenchmark(name.c_str(), run_strategy, c, spec, std::string("equal"), std::vector<std::string>{}, threads)->UseRealTime()->Unit(benchmark::kMicrosecond);
            }
        }
    }
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
    benchmark::AddCustomContext("hyda_arch", std::string(hyda::arch_name(hyda::active_arch())));
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
