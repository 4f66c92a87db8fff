// Every strategy checks the spans it is given, once, at its entry points: a context for
// another task count or main task, or a span of the wrong size, throws
// std::invalid_argument naming the strategy and the span, before any rule reads it.
#include <catch2/catch.hpp>

#include <algorithm>
#include <string>
#include <vector>

#include "hyda/mtl/strategy.hpp"
#include "throws.hpp"

using namespace hyda::mtl;
using hyda::test::invalid_argument_message;
using Catch::Contains;

namespace {

using Vec = std::vector<double>;

// Spans of the right sizes for K tasks and B samples, and a context over them.
struct Inputs {
    explicit Inputs(int K, int B = 2)
        : losses(std::size_t(K), 1.0), gram(std::size_t(K * K), 0.0), gram_last(std::size_t(K * K), 0.0), gains(std::size_t(K), 1.0),
          c(std::size_t(K)), dots(std::size_t(K * B), 1.0), norms(std::size_t(K * B), 1.0), w(std::size_t(K * B)), mean_losses(std::size_t(K), 1.0),
          tracked_gram(std::size_t(K * K), 0.0), scale(std::size_t(K)) {
        for (int k = 0; k < K; ++k) gram[std::size_t(k * K + k)] = gram_last[std::size_t(k * K + k)] = tracked_gram[std::size_t(k * K + k)] = 1;
        step.tasks = sample.tasks = K;
        step.losses = losses;
        step.gram = gram;
        step.gram_last = gram_last;
        step.gains = gains;
        step.tracked_gram = tracked_gram;
        sample.samples = B;
        sample.dots = dots;
        sample.norms = norms;
        sample.ref_norm = 1;
    }
    Vec losses, gram, gram_last, gains, c, dots, norms, w, mean_losses, tracked_gram, scale;
    StepContext step;
    SampleContext sample;
};

}  // namespace

TEST_CASE("every strategy accepts well-formed inputs", "[strategies][input]") {
    for (const std::string& name : strategy_names()) {
        INFO(name);
        auto s = make_strategy(name, 3, 0, name == "static" ? std::vector<std::string>{"weights=1,2,3"} : std::vector<std::string>{});
        Inputs in(3);
        if (s->needs().sample_weights) CHECK_NOTHROW(s->sample_weights(in.sample, in.w));
        if (s->needs().tracked_gradients) CHECK_NOTHROW(s->track(in.step, in.scale));
        CHECK_NOTHROW(s->coefficients(in.step, in.c));
        CHECK_NOTHROW(s->end_epoch(in.mean_losses));
        CHECK_NOTHROW(s->after_step(in.losses, in.mean_losses));
    }
}

TEST_CASE("every strategy rejects a step context or output of the wrong size, naming it", "[strategies][input]") {
    for (const std::string& name : strategy_names()) {
        INFO(name);
        auto s = make_strategy(name, 3, 0, name == "static" ? std::vector<std::string>{"weights=1,2,3"} : std::vector<std::string>{});
        const std::string who = "strategy '" + name + "': ";
        const Needs needs = s->needs();
        Inputs in(3);
        const Vec short_vec(2, 1.0), short_gram(8, 1.0);
        auto with = [&](auto change) {
            StepContext ctx = in.step;
            change(ctx);
            return invalid_argument_message([&] { s->coefficients(ctx, in.c); });
        };
        CHECK_THAT(with([&](StepContext& x) { x.tasks = 4; }), Contains(who + "StepContext for 4 tasks with main task 0, the strategy was made for 3 tasks with main task 0"));
        CHECK_THAT(with([&](StepContext& x) { x.main = 1; }), Contains(who + "StepContext for 3 tasks with main task 1"));
        CHECK_THAT(with([&](StepContext& x) { x.losses = short_vec; }), Contains(who + "losses has 2 values, expected 3 (one per task)"));
        CHECK_THAT(with([&](StepContext& x) { x.gram = short_gram; }), Contains(who + "gram has 8 values, expected 9 (tasks x tasks)"));
        if (needs.last_layer_gram) CHECK_THAT(with([&](StepContext& x) { x.gram_last = {}; }), Contains(who + "gram_last has 0 values, expected 9"));
        if (needs.first_order_gains || needs.exact_gains) CHECK_THAT(with([&](StepContext& x) { x.gains = short_vec; }), Contains(who + "gains has 2 values, expected 3"));
        if (needs.tracked_gradients) CHECK_THAT(with([&](StepContext& x) { x.tracked_gram = {}; }), Contains(who + "tracked_gram has 0 values, expected 9"));
        Vec c(4);
        CHECK_THAT(invalid_argument_message([&] { s->coefficients(in.step, c); }), Contains(who + "the output c has 4 values, expected 3"));
        CHECK_THAT(invalid_argument_message([&] { s->end_epoch(short_vec); }), Contains(who + "mean_losses has 2 values, expected 3"));
        CHECK_THAT(invalid_argument_message([&] { s->after_step(short_vec, in.losses); }), Contains(who + "losses_before has 2 values, expected 3 (one per task)"));
        CHECK_THAT(invalid_argument_message([&] { s->after_step(in.losses, short_vec); }), Contains(who + "losses_after has 2 values, expected 3 (one per task)"));
    }
}

TEST_CASE("HydaLearn rejects missing gains, GradNorm a missing last-layer Gram matrix", "[strategies][input]") {
    // The two strategies that read the optional spans: without the check, HydaLearn read
    // gains[k] past the end of the span and GradNorm gram_last likewise.
    Inputs in(3);
    StepContext ctx = in.step;
    ctx.gains = {};
    CHECK_THAT(invalid_argument_message([&] { make_strategy("hydalearn", 3, 0)->coefficients(ctx, in.c); }),
               Contains("strategy 'hydalearn': gains has 0 values, expected 3 (one per task)"));
    ctx = in.step;
    ctx.gram_last = {};
    CHECK_THAT(invalid_argument_message([&] { make_strategy("gradnorm", 3, 0)->coefficients(ctx, in.c); }),
               Contains("strategy 'gradnorm': gram_last has 0 values, expected 9 (tasks x tasks)"));
}

TEST_CASE("the upper-bound variants ask for the trunk output's Gram matrix and reject its absence", "[strategies][input]") {
    Inputs in(3);
    for (const char* name : {"alignedmtl", "imtl"}) {
        INFO(name);
        CHECK_FALSE(make_strategy(name, 3, 0)->needs().feature_gram);
        auto s = make_strategy(name, 3, 0, {"ub=on"});
        CHECK(s->needs().feature_gram);
        CHECK_THAT(invalid_argument_message([&] { s->coefficients(in.step, in.c); }),
                   Contains("strategy '" + std::string(name) + "': feature_gram has 0 values, expected 9 (tasks x tasks)"));
        StepContext ctx = in.step;
        ctx.feature_gram = in.gram;
        CHECK_NOTHROW(s->coefficients(ctx, in.c));
    }
    CHECK_FALSE(make_strategy("imtl", 3, 0, {"ub=on", "mode=loss"})->needs().feature_gram);  // no G at all
}

TEST_CASE("head weights: the coefficients by default, checked for size", "[strategies][input]") {
    auto s = make_strategy("static", 3, 0, {"weights=1,2,3"});
    const Vec c{1, 2, 3};
    Vec h(3);
    s->head_weights(c, h);
    CHECK(h == c);
    Vec wrong(2);
    CHECK_THAT(invalid_argument_message([&] { s->head_weights(c, wrong); }), Contains("strategy 'static': the output h has 2 values, expected 3"));
    CHECK_THAT(invalid_argument_message([&] { s->head_weights(wrong, h); }), Contains("strategy 'static': c has 2 values, expected 3"));
}

TEST_CASE("SLGrad rejects a sample context or output of the wrong size, naming it", "[strategies][input]") {
    auto s = make_strategy("slgrad", 3, 0);
    Inputs in(3, 4);  // 3 tasks x 4 samples: 12 values per span
    const Vec eleven(11, 1.0);
    auto with = [&](auto change) {
        SampleContext ctx = in.sample;
        change(ctx);
        return invalid_argument_message([&] { s->sample_weights(ctx, in.w); });
    };
    CHECK_THAT(with([&](SampleContext& x) { x.tasks = 2; }), Contains("strategy 'slgrad': SampleContext for 2 tasks with main task 0, the strategy was made for 3"));
    CHECK_THAT(with([&](SampleContext& x) { x.main = 3; }), Contains("SampleContext for 3 tasks with main task 3"));
    CHECK_THAT(with([&](SampleContext& x) { x.samples = -1; }), Contains("strategy 'slgrad': SampleContext with -1 samples"));
    CHECK_THAT(with([&](SampleContext& x) { x.samples = 5; }), Contains("strategy 'slgrad': dots has 12 values, expected 15 (tasks x samples)"));
    CHECK_THAT(with([&](SampleContext& x) { x.dots = eleven; }), Contains("strategy 'slgrad': dots has 11 values, expected 12 (tasks x samples)"));
    CHECK_THAT(with([&](SampleContext& x) { x.norms = eleven; }), Contains("strategy 'slgrad': norms has 11 values, expected 12 (tasks x samples)"));
    Vec w(13);
    CHECK_THAT(invalid_argument_message([&] { s->sample_weights(in.sample, w); }), Contains("strategy 'slgrad': the output w has 13 values, expected 12 (tasks x samples)"));
    // A strategy that does not weight samples says so.
    CHECK_THROWS_WITH(make_strategy("equal", 3, 0)->sample_weights(in.sample, in.w), Contains("equal does not weight samples"));
}

TEST_CASE("every strategy takes heads=own|weighted, defaulting to its paper's choice", "[strategies][input]") {
    // Loss-weighting papers differentiate the weighted loss whole (heads weighted); the
    // gradient-surgery methods' code, HydaLearn and single-task leave the heads alone.
    const std::vector<std::string> own = {"hydalearn", "single", "pcgrad", "mgda", "cagrad", "metabalance", "gradvac", "moco", "fairgrad", "alignedmtl", "upgrad", "dualproj"};
    for (const std::string& name : strategy_names()) {
        INFO(name);
        const std::vector<std::string> options = name == "static" ? std::vector<std::string>{"weights=1,1"} : std::vector<std::string>{};
        const bool paper_own = std::find(own.begin(), own.end(), name) != own.end();
        CHECK(make_strategy(name, 2, 0, options)->heads() == (paper_own ? Heads::own : Heads::weighted));
        for (const auto& [text, heads] : {std::pair{"heads=own", Heads::own}, std::pair{"heads=weighted", Heads::weighted}}) {
            std::vector<std::string> with = options;
            with.push_back(text);
            CHECK(make_strategy(name, 2, 0, with)->heads() == heads);
        }
        std::vector<std::string> bad = options;
        bad.push_back("heads=both");
        CHECK_THAT(invalid_argument_message([&] { make_strategy(name, 2, 0, bad); }), Contains("heads=both"));
    }
}
