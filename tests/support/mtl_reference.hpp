#pragma once
// Independent references for the mtl tests. The network of a Model is recomputed here by
// naive loops in long double from the spec and the parameter values alone (the layout
// model.hpp documents: trunk layers first, W then b each, then each head's hidden layers
// and its output layer; W is [fan_in x fan_out], a layer computes x W + b), never through
// the library's tape or kernels. On top: the task losses, finite-difference gradients of
// any function of the parameter values, and small vector checks.
//
// The last section holds accessors for API spots that are changing (optional metrics):
// adapt them there, one line each.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <functional>
#include <limits>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include "hyda/mtl/dataset.hpp"
#include "hyda/mtl/model.hpp"
#include "hyda/mtl/trainer.hpp"

namespace hyda::test {

using Vec = std::vector<double>;
using LVec = std::vector<long double>;
// Parameter values, one vector per parameter, in Model::parameters() order.
using Params = std::vector<std::vector<double>>;

template <class T>
Params params_of(const mtl::Model<T>& model) {
    Params p;
    for (const auto& v : model.snapshot()) p.emplace_back(v.begin(), v.end());
    return p;
}

template <class T>
void set_params(mtl::Model<T>& model, const Params& p) {
    std::vector<std::vector<T>> values;
    for (const auto& v : p) values.emplace_back(v.begin(), v.end());
    model.restore(values);
}

inline long double activate(mtl::Activation a, long double z) {
    switch (a) {
        case mtl::Activation::relu: return z > 0 ? z : 0;
        case mtl::Activation::leaky_relu: return z > 0 ? z : 0.01L * z;
        case mtl::Activation::gelu: return z * 0.5L * (1 + std::erf(z / std::sqrt(2.0L)));
        case mtl::Activation::tanh: return std::tanh(z);
    }
    return z;
}

inline long double sigmoid(long double z) { return 1 / (1 + std::exp(-z)); }

inline LVec softmax(const LVec& z) {
    const long double m = *std::max_element(z.begin(), z.end());
    long double total = 0;
    for (long double v : z) total += std::exp(v - m);
    LVec p;
    for (long double v : z) p.push_back(std::exp(v - m) / total);
    return p;
}

// out = in W + b for the layer whose weight is p[w] ([in x out], row-major), bias p[w + 1].
inline LVec dense(const LVec& in, const Params& p, std::size_t w) {
    const std::size_t n_in = in.size(), n_out = p[w + 1].size();
    if (p[w].size() != n_in * n_out) throw std::logic_error("reference: parameter " + std::to_string(w) + " does not fit the layer");
    LVec out(n_out);
    for (std::size_t j = 0; j < n_out; ++j) {
        long double z = p[w + 1][j];
        for (std::size_t i = 0; i < n_in; ++i) z += in[i] * (long double)p[w][i * n_out + j];
        out[j] = z;
    }
    return out;
}

// The shared trunk's output for one sample (no dropout).
inline LVec trunk_output(const mtl::ModelSpec& spec, const Params& p, const double* x) {
    LVec h(x, x + spec.inputs);
    for (std::size_t l = 0; l < spec.trunk.size(); ++l) {
        h = dense(h, p, 2 * l);
        for (long double& v : h) v = activate(spec.activation, v);
    }
    return h;
}

// Index of task k's first parameter.
inline std::size_t head_start(const mtl::ModelSpec& spec, int k) {
    std::size_t at = 2 * spec.trunk.size();
    for (int j = 0; j < k; ++j) at += 2 * (spec.tasks[std::size_t(j)].head_hidden.size() + 1);
    return at;
}

// Task k's raw outputs (logits, or the regression value) for one sample.
inline LVec task_output(const mtl::ModelSpec& spec, const Params& p, const double* x, int k) {
    const mtl::TaskSpec& task = spec.tasks[std::size_t(k)];
    LVec h = trunk_output(spec, p, x);
    std::size_t w = head_start(spec, k);
    for (std::size_t l = 0; l < task.head_hidden.size(); ++l, w += 2) {
        h = dense(h, p, w);
        for (long double& v : h) v = activate(spec.activation, v);
    }
    return dense(h, p, w);
}

// One sample's loss: BCE with logits, MSE or Huber, softmax cross-entropy.
inline long double sample_loss(const mtl::TaskSpec& task, const LVec& out, double y) {
    switch (task.kind) {
        case mtl::TaskKind::binary: {
            const long double z = out[0];  // -[y log s(z) + (1 - y) log(1 - s(z))]
            return -(y * std::log(sigmoid(z)) + (1 - y) * std::log(sigmoid(-z)));
        }
        case mtl::TaskKind::regression: {
            const long double r = out[0] - y, a = std::fabs(r), d = task.huber_delta;
            if (d > 0) return a <= d ? r * r / 2 : d * (a - d / 2);
            return r * r;
        }
        case mtl::TaskKind::multiclass: return -std::log(softmax(out)[std::size_t(y)]);
    }
    return 0;
}

// The data as doubles, whatever T: features row-major and label columns.
struct Table {
    int rows = 0, features = 0;
    Vec x;
    std::vector<Vec> labels;

    template <class T>
    static Table of(const mtl::Dataset<T>& d) {
        Table t{d.rows, d.features, Vec(d.x.begin(), d.x.end()), {}};
        for (const auto& l : d.labels) t.labels.emplace_back(l.begin(), l.end());
        return t;
    }
    const double* row(int r) const { return x.data() + std::size_t(r) * std::size_t(features); }
};

// Task k's loss on the given rows (all rows if empty): the mean over the labelled ones.
inline long double task_loss(const mtl::ModelSpec& spec, const Params& p, const Table& data, int k, std::span<const int> rows = {}) {
    long double sum = 0;
    int n = 0;
    const int count = rows.empty() ? data.rows : int(rows.size());
    for (int i = 0; i < count; ++i) {
        const int r = rows.empty() ? i : rows[std::size_t(i)];
        const double y = data.labels[std::size_t(k)][std::size_t(r)];
        if (std::isnan(y)) continue;
        sum += sample_loss(spec.tasks[std::size_t(k)], task_output(spec, p, data.row(r), k), y);
        ++n;
    }
    return sum / n;
}

// Central finite differences of f over the parameters [first, last), flattened in order.
inline Vec fd_gradient(const std::function<long double(const Params&)>& f, Params p, std::size_t first, std::size_t last, double h = 1e-6) {
    Vec g;
    for (std::size_t i = first; i < last; ++i) {
        for (std::size_t e = 0; e < p[i].size(); ++e) {
            const double v = p[i][e];
            p[i][e] = v + h;
            const long double up = f(p);
            p[i][e] = v - h;
            const long double down = f(p);
            p[i][e] = v;
            g.push_back(double((up - down) / (2 * (long double)h)));
        }
    }
    return g;
}

inline double dot(const Vec& a, const Vec& b) {
    REQUIRE(a.size() == b.size());
    long double s = 0;
    for (std::size_t i = 0; i < a.size(); ++i) s += (long double)a[i] * b[i];
    return double(s);
}

inline double max_abs(const Vec& v) {
    double m = 0;
    for (double x : v) m = std::max(m, std::fabs(x));
    return m;
}

// got == want element by element, within rel * (the largest |want|) + abs.
inline void check_close(const Vec& got, const Vec& want, double rel, double abs = 0) {
    REQUIRE(got.size() == want.size());
    const double tol = rel * max_abs(want) + abs;
    for (std::size_t i = 0; i < want.size(); ++i) {
        INFO("element " << i << " of " << want.size() << ": got " << got[i] << ", want " << want[i] << ", tolerance " << tol);
        CHECK(std::fabs(got[i] - want[i]) <= tol);
    }
}

// Tolerances of a computation carried out in T: float keeps ~7 digits, double ~16.
template <class T>
constexpr double tight() {
    return std::is_same_v<T, float> ? 1e-6 : 1e-12;
}

// The metric `name` of one task; a test that asks for one expects it to be defined.
inline double metric(const mtl::TaskMetrics& m, const std::string& name) {
    const std::optional<double> v = m.value(name);
    if (!v) FAIL("metric '" << name << "' of task '" << m.task << "' is undefined");
    return v.value_or(std::numeric_limits<double>::quiet_NaN());
}

template <class T>
double main_metric_value(const mtl::Model<T>& model, const mtl::Dataset<T>& data, int task) {
    const std::optional<double> v = mtl::main_metric(model, data, task);
    if (!v) FAIL("the main metric of task " << task << " is undefined");
    return v.value_or(std::numeric_limits<double>::quiet_NaN());
}

}  // namespace hyda::test
