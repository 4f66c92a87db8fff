// Copies and moves of a Model own their parameters: parameters() points into the
// object's own storage, and training a copy leaves the original untouched, bit for bit.
#include <catch2/catch.hpp>

#include <numeric>
#include <type_traits>
#include <utility>

#include "hyda/mtl/dataset.hpp"
#include "hyda/mtl/trainer.hpp"

using namespace hyda::mtl;

namespace {

ModelSpec spec_for(int inputs) {
    ModelSpec spec;
    spec.inputs = inputs;
    spec.trunk = {8, 8};
    spec.tasks = synthetic_tasks();
    spec.tasks[1].head_hidden = {4};
    return spec;
}

// Every pointer of parameters() reaches m's own values: a write through it shows in
// m.snapshot(), which reads the storage directly.
template <class T>
bool parameters_point_into(Model<T>& m) {
    for (std::size_t i = 0; i < m.parameters().size(); ++i) {
        T& v = m.parameters()[i]->value().data()[0];
        const T old = v;
        v = old + T(1);
        const bool seen = m.snapshot()[i][0] == old + T(1);
        v = old;
        if (!seen) return false;
    }
    return !m.parameters().empty();
}

// The model after a few training steps on synthetic data.
void train(Model<float>& model) {
    SyntheticSpec synth;
    synth.rows = 64;
    synth.features = model.spec().inputs;
    const Dataset<float> data = make_synthetic<float>(synth);
    auto strategy = make_strategy("hydalearn", model.tasks(), 0);
    TrainOptions opt;
    opt.epochs = 2;
    opt.batch_size = 16;
    opt.lr = 1e-2;
    Trainer<float> trainer(model, *strategy, opt);
    trainer.fit(data);
}

}  // namespace

TEST_CASE("a copy of a model owns its parameters", "[model]") {
    const Model<float> original(spec_for(4), 1);
    const auto before = original.snapshot();
    SECTION("copy construction") {
        Model<float> copy(original);
        CHECK(parameters_point_into(copy));
        CHECK(copy.snapshot() == before);
        train(copy);
        CHECK(copy.snapshot() != before);
    }
    SECTION("copy assignment") {
        Model<float> copy(spec_for(4), 2);
        copy = original;
        CHECK(parameters_point_into(copy));
        CHECK(copy.snapshot() == before);
        CHECK(copy.head_range(1) == original.head_range(1));
        train(copy);
        CHECK(copy.snapshot() != before);
    }
    CHECK(original.snapshot() == before);  // bitwise
}

TEST_CASE("a moved model keeps its parameters and points into itself", "[model]") {
    Model<float> source(spec_for(4), 1);
    const auto before = source.snapshot();
    SECTION("move construction") {
        Model<float> moved(std::move(source));
        CHECK(parameters_point_into(moved));
        CHECK(moved.snapshot() == before);
        train(moved);
        CHECK(moved.snapshot() != before);
    }
    SECTION("move assignment") {
        Model<float> moved(spec_for(4), 2);
        moved = std::move(source);
        CHECK(parameters_point_into(moved));
        CHECK(moved.snapshot() == before);
    }
    SECTION("self-assignment") {
        Model<float>& same = source;
        source = same;
        CHECK(parameters_point_into(source));
        CHECK(source.snapshot() == before);
    }
}

TEST_CASE("a trainer holds references: it cannot be copied or moved", "[trainer]") {
    STATIC_REQUIRE_FALSE(std::is_copy_constructible_v<Trainer<float>>);
    STATIC_REQUIRE_FALSE(std::is_copy_assignable_v<Trainer<float>>);
    STATIC_REQUIRE_FALSE(std::is_move_constructible_v<Trainer<float>>);
    STATIC_REQUIRE_FALSE(std::is_move_assignable_v<Trainer<float>>);
}
