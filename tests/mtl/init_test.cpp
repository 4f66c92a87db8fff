// ModelSpec::init: each scheme puts every layer's weights within its documented bound,
// with its documented variance, biases zero or drawn as documented, and a seed fixes them.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "hyda/mtl/model.hpp"

using namespace hyda;
using namespace hyda::mtl;

namespace {

// Wide layers, so a variance estimate from one layer is tight: a trunk of two hidden
// layers, a head with a hidden layer, and a head of one output layer.
ModelSpec wide_spec(Init init) {
    ModelSpec spec;
    spec.inputs = 300;
    spec.trunk = {500, 400};
    spec.tasks = {{"a", TaskKind::multiclass, 300, 0, {200}}, {"b", TaskKind::regression, 2, 0, {}}};
    spec.init = init;
    return spec;
}

struct Moments {
    double mean = 0, variance = 0, largest = 0;
    std::size_t n = 0;
};

Moments moments(const ad::Parameter<float>& p) {
    Moments m;
    m.n = p.size();
    const float* v = p.value().data();
    for (std::size_t i = 0; i < m.n; ++i) {
        m.mean += v[i];
        m.variance += double(v[i]) * v[i];
        m.largest = std::max(m.largest, std::abs(double(v[i])));
    }
    m.mean /= double(m.n);
    m.variance /= double(m.n);  // about the known mean 0
    return m;
}

// The documented bound of a weight, or of a bias (0: the bias stays zero).
double weight_bound(Init init, int fan_in, int fan_out, bool output_layer) {
    switch (init) {
        case Init::he_xavier: return output_layer ? std::sqrt(6.0 / (fan_in + fan_out)) : std::sqrt(6.0 / fan_in);
        case Init::fan_in_uniform: return 1 / std::sqrt(double(fan_in));
        case Init::xavier: return std::sqrt(6.0 / (fan_in + fan_out));
    }
    return 0;
}
double bias_bound(Init init, int fan_in) { return init == Init::fan_in_uniform ? 1 / std::sqrt(double(fan_in)) : 0; }

}  // namespace

TEST_CASE("every init gives each layer its documented uniform distribution", "[init]") {
    const Init init = GENERATE(Init::he_xavier, Init::fan_in_uniform, Init::xavier);
    INFO("init " << int(init));
    const Model<float> model(wide_spec(init), 5);
    const auto& ps = model.parameters();
    REQUIRE(ps.size() == 10);  // trunk 2 layers, head a 2 layers, head b 1 layer
    for (std::size_t i = 0; i < ps.size(); i += 2) {
        const ad::Parameter<float>& W = *ps[i];
        const ad::Parameter<float>& b = *ps[i + 1];
        const bool output_layer = W.name().ends_with(".out.W");
        INFO(W.name());
        const double a = weight_bound(init, W.rows(), W.cols(), output_layer);
        // U(-a, a): variance a^2 / 3, estimated with relative standard error sqrt(0.8 / n).
        const Moments w = moments(W);
        CHECK(w.largest <= a * (1 + 1e-6));
        CHECK(w.largest > (1 - 10.0 / double(w.n)) * a);
        CHECK(std::abs(w.mean) < 5 * a / std::sqrt(3.0 * double(w.n)));
        CHECK(w.variance == Approx(a * a / 3).epsilon(5 * std::sqrt(0.8 / double(w.n))));

        const double ab = bias_bound(init, W.rows());
        const Moments m = moments(b);
        if (ab == 0) {
            CHECK(m.largest == 0);
        } else {
            CHECK(m.largest <= ab * (1 + 1e-6));
            if (m.n >= 100) {  // enough values to see the spread (not the one-output head's)
                CHECK(m.largest > (1 - 10.0 / double(m.n)) * ab);
                CHECK(m.variance == Approx(ab * ab / 3).epsilon(5 * std::sqrt(0.8 / double(m.n))));
            }
        }
    }
}

TEST_CASE("an init is fixed by the seed, and differs between seeds and schemes", "[init]") {
    auto values = [](Init init, std::uint64_t seed) {
        ModelSpec spec = wide_spec(init);
        spec.inputs = 20;
        spec.trunk = {16, 8};
        return Model<double>(spec, seed).snapshot();
    };
    for (Init init : {Init::he_xavier, Init::fan_in_uniform, Init::xavier}) {
        INFO("init " << int(init));
        CHECK(values(init, 3) == values(init, 3));
        CHECK(values(init, 3) != values(init, 4));
    }
    CHECK(values(Init::he_xavier, 3) != values(Init::fan_in_uniform, 3));
    CHECK(values(Init::he_xavier, 3) != values(Init::xavier, 3));
    CHECK(values(Init::fan_in_uniform, 3) != values(Init::xavier, 3));
}

TEST_CASE("the default init is the one docs/initialization.md chose", "[init]") {
    CHECK(ModelSpec{}.init == Init::fan_in_uniform);
}
