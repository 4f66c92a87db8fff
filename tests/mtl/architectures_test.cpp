// The architectures (hps, mmoe, cgc, ple): which parameters are shared, checked against
// the tape's reach of every task's loss; the forward pass against an independent
// reference (naive loops over the parameters looked up by name); the per-task gradients
// against finite differences; task_output against forward; and training end to end with
// every strategy that works on the Gram matrix.
#include <catch2/catch.hpp>

#include <cmath>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "hyda/autodiff/gradcheck.hpp"
#include "hyda/mtl/dataset.hpp"
#include "hyda/mtl/trainer.hpp"
#include "mtl_reference.hpp"

using namespace hyda::mtl;
namespace ad = hyda::ad;

namespace {

using hyda::test::LVec;

const char* name_of(Architecture a) {
    switch (a) {
        case Architecture::hps: return "hps";
        case Architecture::mmoe: return "mmoe";
        case Architecture::cgc: return "cgc";
        case Architecture::ple: return "ple";
    }
    return "?";
}

// Three tasks of every kind, one head with a hidden layer.
ModelSpec small_spec(Architecture arch, int levels = 2) {
    ModelSpec spec;
    spec.inputs = 3;
    spec.arch = arch;
    spec.trunk = {4, 5};
    spec.activation = Activation::tanh;  // smooth: finite differences see no kink
    spec.experts = 2;
    spec.task_experts = 2;
    spec.levels = levels;
    spec.tasks = {{"a", TaskKind::binary, 2, 0, {}}, {"b", TaskKind::regression, 2, 0, {3}}, {"c", TaskKind::multiclass, 3, 0, {}}};
    spec.main_task = 1;
    return spec;
}

std::vector<ModelSpec> every_architecture() {
    return {small_spec(Architecture::hps), small_spec(Architecture::mmoe), small_spec(Architecture::cgc),
            small_spec(Architecture::ple, 1), small_spec(Architecture::ple, 2), small_spec(Architecture::ple, 3)};
}

std::string describe(const ModelSpec& s) {
    return std::string(name_of(s.arch)) + (s.arch == Architecture::ple ? " with " + std::to_string(s.levels) + " levels" : "");
}

// A batch of 6 rows and its labels, one column per task (NaN: unlabelled).
struct Batch {
    static constexpr int rows = 6;
    std::vector<double> x = {0.5, -1.2, 0.3, 1.1, 0.4, -0.7, -0.2, 0.9, 1.5, 0.8, -0.3, -1.0, -1.4, 0.6, 0.2, 0.1, 0.0, 0.7};
    std::vector<std::vector<double>> y = {{1, 0, 1, NAN, 0, 1}, {0.3, -1.1, 0.8, 0.2, NAN, -0.4}, {2, 0, 1, 1, 2, 0}};
    std::vector<double> mask(int k) const {
        std::vector<double> m;
        for (double v : y[std::size_t(k)]) m.push_back(std::isnan(v) ? 0 : 1);
        return m;
    }
};

// Task k's loss on the batch, recorded on `tape`.
ad::Var<double> task_loss(const Model<double>& model, ad::Tape<double>& tape, const Batch& b, std::vector<double>& mask, ad::Var<double> out, int k) {
    mask = b.mask(k);
    return Model<double>::loss(model.spec().tasks[std::size_t(k)], out, tape.input(b.y[std::size_t(k)].data(), Batch::rows, 1, "y"),
                               tape.input(mask.data(), Batch::rows, 1, "mask"));
}

// ---- The reference: the architectures' formulas (docs/architectures.md), by name ----

struct Reference {
    const ModelSpec& spec;
    std::map<std::string, std::vector<double>> p;

    Reference(const Model<double>& model) : spec(model.spec()) {
        for (const auto* q : model.parameters()) p[q->name()] = std::vector<double>(q->value().data(), q->value().data() + q->size());
    }

    // in W + b, W [in x out] row-major.
    LVec dense(const LVec& in, const std::string& layer) const {
        const std::vector<double>& W = p.at(layer + ".W");
        const std::vector<double>& b = p.at(layer + ".b");
        REQUIRE(W.size() == in.size() * b.size());
        LVec out(b.begin(), b.end());
        for (std::size_t j = 0; j < b.size(); ++j)
            for (std::size_t i = 0; i < in.size(); ++i) out[j] += in[i] * (long double)W[i * b.size() + j];
        return out;
    }
    LVec mlp(LVec h, const std::string& prefix) const {
        for (std::size_t l = 0; l < spec.trunk.size(); ++l) {
            h = dense(h, prefix + std::to_string(l));
            for (long double& v : h) v = hyda::test::activate(spec.activation, v);
        }
        return h;
    }
    // sum_e w_e f_e
    static LVec mix(const LVec& w, const std::vector<LVec>& f) {
        REQUIRE(w.size() == f.size());
        LVec out(f[0].size(), 0.0L);
        for (std::size_t e = 0; e < f.size(); ++e)
            for (std::size_t i = 0; i < out.size(); ++i) out[i] += w[e] * f[e][i];
        return out;
    }

    // The input of each task's head for one sample.
    std::vector<LVec> head_inputs(const double* row) const {
        const LVec x(row, row + spec.inputs);
        const std::size_t K = spec.tasks.size();
        if (spec.arch == Architecture::hps) return std::vector<LVec>(K, mlp(x, "trunk"));
        const int task_experts = spec.arch == Architecture::mmoe ? 0 : spec.task_experts;
        const int L = spec.arch == Architecture::ple ? spec.levels : 1;
        std::vector<LVec> task(K, x);
        LVec shared = x;
        for (int j = 0; j < L; ++j) {
            const std::string level = "level" + std::to_string(j) + ".";
            std::vector<std::vector<LVec>> own(K);  // experts of each task, then the shared ones
            std::vector<LVec> common, all;
            for (std::size_t k = 0; k < K; ++k)
                for (int e = 0; e < task_experts; ++e) own[k].push_back(mlp(task[k], level + spec.tasks[k].name + ".expert" + std::to_string(e) + "."));
            for (int e = 0; e < spec.experts; ++e) common.push_back(mlp(shared, level + "expert" + std::to_string(e) + "."));
            for (std::size_t k = 0; k < K; ++k) all.insert(all.end(), own[k].begin(), own[k].end());
            all.insert(all.end(), common.begin(), common.end());
            if (j + 1 < L) shared = mix(hyda::test::softmax(dense(shared, level + "gate")), all);
            for (std::size_t k = 0; k < K; ++k) {
                std::vector<LVec> read = own[k];
                read.insert(read.end(), common.begin(), common.end());
                task[k] = mix(hyda::test::softmax(dense(task[k], level + spec.tasks[k].name + ".gate")), read);
            }
        }
        return task;
    }

    LVec output(const double* row, int k) const {
        const TaskSpec& t = spec.tasks[std::size_t(k)];
        LVec h = head_inputs(row)[std::size_t(k)];
        for (std::size_t l = 0; l < t.head_hidden.size(); ++l) {
            h = dense(h, t.name + ".hidden" + std::to_string(l));
            for (long double& v : h) v = hyda::test::activate(spec.activation, v);
        }
        return dense(h, t.name + ".out");
    }
};

std::uint64_t all_tasks(int K) { return (std::uint64_t(1) << K) - 1; }

}  // namespace

TEST_CASE("shared parameters are reached by every task's loss, task k's block by task k's alone", "[arch]") {
    for (const ModelSpec& spec : every_architecture()) {
        INFO(describe(spec));
        const Model<double> model(spec, 3);
        const auto& params = model.parameters();
        const int K = model.tasks();
        // The blocks tile parameters(): shared, then task 0, 1, 2.
        REQUIRE(model.shared_count() > 0);
        REQUIRE(model.head_range(0).first == model.shared_count());
        for (int k = 1; k < K; ++k) REQUIRE(model.head_range(k).first == model.head_range(k - 1).second);
        REQUIRE(model.head_range(K - 1).second == params.size());

        Batch b;
        ad::Tape<double> tape;
        std::vector<ad::Var<double>> out(static_cast<std::size_t>(K)), losses;
        model.forward(tape, tape.input(b.x.data(), Batch::rows, spec.inputs, "x"), true, out);
        std::vector<std::vector<double>> masks(static_cast<std::size_t>(K));
        for (int k = 0; k < K; ++k) losses.push_back(task_loss(model, tape, b, masks[std::size_t(k)], out[std::size_t(k)], k));
        tape.backward_multi(losses);
        for (std::size_t i = 0; i < model.shared_count(); ++i) {
            INFO("shared parameter " << params[i]->name());
            CHECK(params[i]->task_mask() == all_tasks(K));
        }
        for (int k = 0; k < K; ++k)
            for (std::size_t i = model.head_range(k).first; i < model.head_range(k).second; ++i) {
                INFO("task " << k << "'s parameter " << params[i]->name());
                CHECK(params[i]->task_mask() == std::uint64_t(1) << k);
            }
    }
}

TEST_CASE("each architecture's parameters, by name: shared ones, each task's block, the last shared layer", "[arch]") {
    auto names = [](const Model<double>& m, std::size_t first, std::size_t last) {
        std::vector<std::string> n;
        for (std::size_t i = first; i < last; ++i) n.push_back(m.parameters()[i]->name());
        return n;
    };
    auto layers = [](const std::string& prefix, int count) {  // W and b of layers prefix0 .. prefix(count - 1)
        std::vector<std::string> n;
        for (int l = 0; l < count; ++l) n.insert(n.end(), {prefix + std::to_string(l) + ".W", prefix + std::to_string(l) + ".b"});
        return n;
    };
    auto join = [](std::vector<std::vector<std::string>> parts) {
        std::vector<std::string> n;
        for (const auto& p : parts) n.insert(n.end(), p.begin(), p.end());
        return n;
    };
    const std::vector<std::string> gate_a = {"level0.a.gate.W", "level0.a.gate.b"}, head_a = {"a.out.W", "a.out.b"};
    SECTION("hps") {
        const Model<double> m(small_spec(Architecture::hps), 1);
        CHECK(names(m, 0, m.shared_count()) == layers("trunk", 2));
        CHECK(names(m, m.head_range(0).first, m.head_range(0).second) == head_a);
        CHECK(m.last_shared_weights() == std::vector<std::size_t>{2});  // trunk1.W
    }
    SECTION("mmoe: experts shared, gates with the heads") {
        const Model<double> m(small_spec(Architecture::mmoe), 1);
        CHECK(names(m, 0, m.shared_count()) == join({layers("level0.expert0.", 2), layers("level0.expert1.", 2)}));
        CHECK(names(m, m.head_range(0).first, m.head_range(0).second) == join({gate_a, head_a}));
        CHECK(m.parameters()[m.head_range(0).first]->cols() == 2);  // a weight per expert
        CHECK(m.last_shared_weights() == std::vector<std::size_t>{2, 6});  // level0.expert{0,1}.1.W
    }
    SECTION("cgc: task experts with their task") {
        const Model<double> m(small_spec(Architecture::cgc), 1);
        CHECK(names(m, 0, m.shared_count()) == join({layers("level0.expert0.", 2), layers("level0.expert1.", 2)}));
        CHECK(names(m, m.head_range(0).first, m.head_range(0).second) ==
              join({layers("level0.a.expert0.", 2), layers("level0.a.expert1.", 2), gate_a, head_a}));
        CHECK(m.parameters()[m.head_range(0).first + 8]->cols() == 4);  // 2 own + 2 shared experts
    }
    SECTION("ple with 3 levels: below level 1 all shared; task a owns its gate of level 1 and its part of level 2") {
        const Model<double> m(small_spec(Architecture::ple, 3), 1);
        auto level = [&](int j, bool with_task_gates) {
            const std::string l = "level" + std::to_string(j) + ".";
            std::vector<std::vector<std::string>> parts = {layers(l + "expert0.", 2), layers(l + "expert1.", 2)};
            for (const char* t : {"a", "b", "c"}) parts.push_back(join({layers(l + t + ".expert0.", 2), layers(l + t + ".expert1.", 2)}));
            parts.push_back({l + "gate.W", l + "gate.b"});
            if (with_task_gates)
                for (const char* t : {"a", "b", "c"}) parts.push_back({l + t + ".gate.W", l + t + ".gate.b"});
            return join(parts);
        };
        CHECK(names(m, 0, m.shared_count()) == join({level(0, true), level(1, false), layers("level2.expert0.", 2), layers("level2.expert1.", 2)}));
        CHECK(names(m, m.head_range(0).first, m.head_range(0).second) ==
              join({{"level1.a.gate.W", "level1.a.gate.b"}, layers("level2.a.expert0.", 2), layers("level2.a.expert1.", 2),
                    {"level2.a.gate.W", "level2.a.gate.b"}, head_a}));
        const auto& p = m.parameters();
        CHECK(p[m.shared_count() - 10]->cols() == 3 * 2 + 2);  // level 1's shared gate: every expert of its level
        REQUIRE(m.last_shared_weights().size() == 2);
        CHECK(p[m.last_shared_weights()[0]]->name() == "level2.expert0.1.W");
        CHECK(p[m.last_shared_weights()[1]]->name() == "level2.expert1.1.W");
    }
}

TEST_CASE("forward and task_output against the architectures' formulas, computed by naive loops", "[arch]") {
    for (ModelSpec spec : every_architecture()) {
        spec.activation = Activation::relu;
        INFO(describe(spec));
        const Model<double> model(spec, 5);
        const Reference ref(model);
        Batch b;
        ad::Tape<double> tape;
        const ad::Var<double> x = tape.input(b.x.data(), Batch::rows, spec.inputs, "x");
        std::vector<ad::Var<double>> out(3);
        model.forward(tape, x, false, out);
        for (int k = 0; k < 3; ++k) {
            INFO("task " << k);
            const ad::Var<double> alone = model.task_output(tape, x, false, k);
            REQUIRE(alone.cols() == out[std::size_t(k)].cols());
            for (int r = 0; r < Batch::rows; ++r) {
                const LVec want = ref.output(b.x.data() + r * spec.inputs, k);
                for (int c = 0; c < out[std::size_t(k)].cols(); ++c) {
                    const double got = out[std::size_t(k)].data()[r * out[std::size_t(k)].cols() + c];
                    CHECK(got == Approx(double(want[std::size_t(c)])).epsilon(1e-12).margin(1e-14));
                    CHECK(alone.data()[r * alone.cols() + c] == got);  // bitwise: the same ops
                }
            }
        }
    }
}

TEST_CASE("per-task gradients of whole gated models against finite differences", "[arch]") {
    for (const ModelSpec& spec : {small_spec(Architecture::mmoe), small_spec(Architecture::cgc), small_spec(Architecture::ple, 2),
                                  small_spec(Architecture::ple, 3)}) {
        INFO(describe(spec));
        Model<double> model(spec, 7);
        Batch b;
        const std::vector<ad::Parameter<double>*>& params = model.parameters();
        std::vector<double> mask;
        for (int k = 0; k < 3; ++k) {
            INFO("loss of task " << k);
            auto loss = [&](ad::Tape<double>& tape) {
                return task_loss(model, tape, b, mask, model.task_output(tape, tape.input(b.x.data(), Batch::rows, spec.inputs, "x"), false, k), k);
            };
            // The parameters loss k depends on: the shared ones and task k's block.
            std::vector<ad::Parameter<double>*> reached(params.begin(), params.begin() + std::ptrdiff_t(model.shared_count()));
            reached.insert(reached.end(), params.begin() + std::ptrdiff_t(model.head_range(k).first), params.begin() + std::ptrdiff_t(model.head_range(k).second));
            const ad::GradcheckResult r = ad::gradcheck(loss, reached);
            INFO("worst element: " << r.worst);
            CHECK(r.ok);
        }
        // One backward_multi sweep over the full forward gives each task its gradient.
        ad::Tape<double> tape;
        std::vector<ad::Var<double>> out(3), losses;
        std::vector<std::vector<double>> masks(3);
        model.forward(tape, tape.input(b.x.data(), Batch::rows, spec.inputs, "x"), false, out);
        for (int k = 0; k < 3; ++k) losses.push_back(task_loss(model, tape, b, masks[std::size_t(k)], out[std::size_t(k)], k));
        tape.backward_multi(losses);
        for (int k = 0; k < 3; ++k) {
            ad::Tape<double> single;
            single.backward(task_loss(model, single, b, mask, model.task_output(single, single.input(b.x.data(), Batch::rows, spec.inputs, "x"), false, k), k));
            for (const auto* p : params) {
                if (p->task_grad(k) == nullptr) continue;  // not reached: checked by the reach test
                INFO(p->name());
                for (std::size_t e = 0; e < p->size(); ++e) CHECK(p->task_grad(k)[e] == Approx(p->grad().data()[e]).epsilon(1e-12).margin(1e-15));
            }
        }
    }
}

TEST_CASE("a copy of a gated model computes what the original does", "[arch][model]") {
    const ModelSpec spec = small_spec(Architecture::ple, 3);
    Batch b;
    auto outputs = [&](const Model<double>& m) {
        ad::Tape<double> tape;
        std::vector<ad::Var<double>> out(3);
        m.forward(tape, tape.input(b.x.data(), Batch::rows, spec.inputs, "x"), false, out);
        std::vector<double> v;
        for (const auto& o : out) v.insert(v.end(), o.data(), o.data() + o.rows() * o.cols());
        return v;
    };
    auto original = std::make_unique<Model<double>>(spec, 9);
    const std::vector<double> want = outputs(*original);
    const Model<double> copy(*original);
    Model<double> assigned(small_spec(Architecture::hps), 1);
    assigned = *original;
    original.reset();
    CHECK(outputs(copy) == want);
    CHECK(outputs(assigned) == want);
    CHECK(assigned.last_shared_weights() == copy.last_shared_weights());
}

TEST_CASE("architecture options out of range, and SLGrad outside hps, are refused", "[arch]") {
    using Catch::Matchers::Contains;
    ModelSpec spec = small_spec(Architecture::mmoe);
    spec.experts = 0;
    CHECK_THROWS_WITH(spec.validate(), Contains("experts must be >= 1"));
    spec = small_spec(Architecture::cgc);
    spec.task_experts = 0;
    CHECK_THROWS_WITH(spec.validate(), Contains("task_experts must be >= 1"));
    spec = small_spec(Architecture::ple);
    spec.levels = 0;
    CHECK_THROWS_WITH(spec.validate(), Contains("levels must be >= 1"));
    spec = small_spec(Architecture::mmoe);
    spec.task_experts = 0, spec.levels = 0;  // not read by mmoe
    CHECK_NOTHROW(spec.validate());

    Model<double> model(small_spec(Architecture::mmoe), 1);
    auto slgrad = make_strategy("slgrad", 3, 1);
    CHECK_THROWS_WITH(Trainer<double>(model, *slgrad, TrainOptions{}), Contains("needs arch=hps"));
    auto debiased = make_strategy("hydalearn", 3, 1, {"self_gain=debiased"});  // its rows' self terms are the trunk layers'
    CHECK_THROWS_WITH(Trainer<double>(model, *debiased, TrainOptions{}), Contains("needs arch=hps"));
    for (const char* upper_bound : {"alignedmtl", "imtl"}) {  // ub=on: the Gram matrix over the one shared representation
        auto ub = make_strategy(upper_bound, 3, 1, {"ub=on"});
        CHECK_THROWS_WITH(Trainer<double>(model, *ub, TrainOptions{}), Contains("needs arch=hps"));
    }
    Batch b;
    ad::Tape<double> tape;
    std::vector<ad::Var<double>> out(3), io;
    CHECK_THROWS_WITH(model.forward(tape, tape.input(b.x.data(), Batch::rows, 3, "x"), false, out, &io), Contains("arch=hps only"));
    ad::Var<double> representation;
    CHECK_THROWS_WITH(model.forward(tape, tape.input(b.x.data(), Batch::rows, 3, "x"), false, out, nullptr, &representation), Contains("arch=hps only"));
}

TEST_CASE("every Gram and loss strategy trains gated models end to end", "[arch][trainer]") {
    SyntheticSpec synth;
    synth.rows = 240;
    synth.features = 6;
    synth.main_labelled = 0.5;
    const auto data = make_synthetic<float>(synth).split(0.75, 0.25, 1);
    for (const Architecture arch : {Architecture::mmoe, Architecture::ple}) {
        ModelSpec spec;
        spec.inputs = synth.features;
        spec.arch = arch;
        spec.trunk = {12};
        spec.experts = 3;
        spec.task_experts = 1;
        spec.levels = 2;
        spec.tasks = synthetic_tasks();
        for (const std::string& name : strategy_names()) {
            if (name == "slgrad") continue;  // hps only, refused above
            std::vector<std::vector<std::string>> variants = {{}};
            if (name == "hydalearn") variants = {{}, {"gain=exact"}, {"batch=held_out"}};
            if (name == "static") variants = {{"weights=1,0.5,0.5"}};
            if (name == "gradvac") variants = {{}, {"granularity=layer"}};  // a G per expert layer and gate
            if (name == "equal") variants = {{}, {"heads=own"}};
            for (const std::vector<std::string>& options : variants) {
                INFO(name_of(arch) << ", " << name << (options.empty() ? "" : " " + options[0]));
                Model<float> model(spec, 4);
                auto strategy = make_strategy(name, 3, 0, options);
                TrainOptions opt;
                opt.epochs = 4;
                opt.batch_size = 30;
                opt.lr = 1e-2;
                Trainer<float> trainer(model, *strategy, opt);
                const TrainResult r = trainer.fit(data.first, &data.second);
                REQUIRE(r.epochs.size() == 4);
                for (const EpochReport& e : r.epochs)
                    for (double l : e.train_loss) CHECK(std::isfinite(l));
                CHECK(r.epochs.back().train_loss[0] < r.epochs.front().train_loss[0]);
                CHECK(std::isfinite(*r.best_validation_metric));
            }
        }
    }
}
