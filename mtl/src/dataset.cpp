#include "hyda/mtl/dataset.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include "hyda/autodiff/random.hpp"
#include <stdexcept>

namespace hyda::mtl {

namespace {

// x and every label column sized for `rows`: what reading any row relies on. Label
// columns are named by their task when `tasks` is given.
template <class T>
void check_sizes(const Dataset<T>& d, const std::string& what, bool with_labels, const std::vector<TaskSpec>* tasks = nullptr) {
    auto fail = [&](const std::string& msg) { throw std::invalid_argument(what + ": " + msg); };
    if (d.rows < 0 || d.features < 0) fail("negative shape " + std::to_string(d.rows) + " x " + std::to_string(d.features));
    if (d.x.size() != std::size_t(d.rows) * std::size_t(d.features))
        fail("feature matrix has " + std::to_string(d.x.size()) + " values for " + std::to_string(d.rows) + " rows of " + std::to_string(d.features));
    auto check_metadata = [&](std::size_t size, const char* name) {
        if (size != 0 && size != std::size_t(d.rows))
            fail(std::string(name) + " has " + std::to_string(size) + " values for " + std::to_string(d.rows) + " rows");
    };
    check_metadata(d.order_key.size(), "order_key");
    check_metadata(d.group.size(), "group");
    if (tasks && !d.weights.empty() && d.weights.size() != tasks->size())
        fail("row weights for " + std::to_string(d.weights.size()) + " tasks, the model has " + std::to_string(tasks->size()));
    for (std::size_t k = 0; k < d.weights.size(); ++k)
        if (!d.weights[k].empty() && d.weights[k].size() != std::size_t(d.rows))
            fail("row weights of " + (tasks ? "task '" + (*tasks)[k].name + "'" : "task " + std::to_string(k)) + " have " + std::to_string(d.weights[k].size()) +
                 " values for " + std::to_string(d.rows) + " rows");
    if (!with_labels) return;
    for (std::size_t k = 0; k < d.labels.size(); ++k)
        if (d.labels[k].size() != std::size_t(d.rows))
            fail((tasks ? "task '" + (*tasks)[k].name + "'" : "label column " + std::to_string(k)) + " has " + std::to_string(d.labels[k].size()) + " values for " + std::to_string(d.rows) + " rows");
}

}  // namespace

template <class T>
Dataset<T> Dataset<T>::subset(std::span<const int> index) const {
    check_sizes(*this, "Dataset::subset", true);
    Dataset<T> out;
    out.rows = int(index.size());
    out.features = features;
    out.x.resize(std::size_t(out.rows) * features);
    out.labels.assign(labels.size(), std::vector<T>(index.size()));
    if (!order_key.empty()) out.order_key.resize(index.size());
    if (!group.empty()) out.group.resize(index.size());
    out.weights.resize(weights.size());
    for (std::size_t k = 0; k < weights.size(); ++k) out.weights[k].resize(weights[k].empty() ? 0 : index.size());
    for (std::size_t r = 0; r < index.size(); ++r) {
        const int i = index[r];
        if (i < 0 || i >= rows) throw std::out_of_range("Dataset::subset: row " + std::to_string(i) + " of " + std::to_string(rows));
        std::copy_n(x.begin() + std::ptrdiff_t(i) * features, features, out.x.begin() + std::ptrdiff_t(r) * features);
        for (std::size_t k = 0; k < labels.size(); ++k) out.labels[k][r] = labels[k][std::size_t(i)];
        if (!order_key.empty()) out.order_key[r] = order_key[std::size_t(i)];
        if (!group.empty()) out.group[r] = group[std::size_t(i)];
        for (std::size_t k = 0; k < weights.size(); ++k)
            if (!weights[k].empty()) out.weights[k][r] = weights[k][std::size_t(i)];
    }
    return out;
}

template <class T>
typename Dataset<T>::Split Dataset<T>::split(double first, double second, std::uint64_t seed) const {
    if (!(first >= 0 && second >= 0 && first + second <= 1)) throw std::invalid_argument("Dataset::split: fractions must be >= 0 and sum to <= 1");
    std::vector<int> order(static_cast<std::size_t>(rows));
    std::iota(order.begin(), order.end(), 0);
    ad::Rng rng(seed);
    ad::shuffle(order.begin(), order.end(), rng);
    // Both ends rounded, so the parts never add up to more than the rows.
    const std::size_t a = std::size_t(std::lround(first * rows)), ab = std::size_t(std::lround((first + second) * rows)), b = ab - a;
    const std::span<const int> all(order);
    return {subset(all.subspan(0, a)), subset(all.subspan(a, b)), subset(all.subspan(a + b))};
}

template <class T>
void Dataset<T>::check_shapes(const ModelSpec& spec, const std::string& what, bool with_labels) const {
    auto fail = [&](const std::string& msg) { throw std::invalid_argument(what + ": " + msg); };
    if (features != spec.inputs) fail(std::to_string(features) + " features, the model expects " + std::to_string(spec.inputs));
    if (with_labels && labels.size() != spec.tasks.size()) fail(std::to_string(labels.size()) + " label columns for " + std::to_string(spec.tasks.size()) + " tasks");
    check_sizes(*this, what, with_labels, &spec.tasks);
}

template <class T>
void Dataset<T>::validate(const ModelSpec& spec, const std::string& what) const {
    auto fail = [&](const std::string& msg) { throw std::invalid_argument(what + ": " + msg); };
    check_shapes(spec, what);
    for (std::size_t i = 0; i < x.size(); ++i)
        if (!std::isfinite(x[i])) fail("feature " + std::to_string(i % features) + " of row " + std::to_string(i / features) + " is not finite");
    for (std::size_t i = 0; i < order_key.size(); ++i)
        if (!std::isfinite(order_key[i])) fail("order_key of row " + std::to_string(i) + " is not finite");
    for (std::size_t k = 0; k < weights.size(); ++k)
        for (std::size_t i = 0; i < weights[k].size(); ++i)
            if (!(std::isfinite(weights[k][i]) && weights[k][i] >= T(0)))
                fail("task '" + spec.tasks[k].name + "' row " + std::to_string(i) + ": invalid row weight " + std::to_string(weights[k][i]) + " (need a finite value >= 0)");
    for (std::size_t k = 0; k < labels.size(); ++k) {
        const TaskSpec& t = spec.tasks[k];
        for (int i = 0; i < rows; ++i) {
            const T y = labels[k][std::size_t(i)];
            if (std::isnan(y)) continue;
            const bool ok = t.kind == TaskKind::binary       ? (y == T(0) || y == T(1))
                            : t.kind == TaskKind::multiclass ? (y == std::floor(y) && y >= 0 && y < t.classes)
                                                             : std::isfinite(y);
            if (!ok) fail("task '" + t.name + "' row " + std::to_string(i) + ": invalid label " + std::to_string(y));
        }
    }
}

std::vector<int> epoch_order(int rows, std::uint64_t seed, int epoch) {
    if (rows < 0 || epoch < 0)
        throw std::invalid_argument("epoch_order: rows and epoch must be >= 0, got " + std::to_string(rows) + " and " + std::to_string(epoch));
    // Seeded from a hash of the seed, not the seed itself: Rng(seed) may drive other draws
    // too (the trainer's held-out batches), which would otherwise reuse the order's numbers.
    // Nearby seeds give unrelated streams (random.hpp), so + epoch suffices.
    ad::Rng rng(ad::Rng(seed)() + std::uint64_t(epoch));
    std::vector<int> order(std::size_t(rows), 0);
    std::iota(order.begin(), order.end(), 0);
    ad::shuffle(order.begin(), order.end(), rng);
    return order;
}

std::vector<TaskSpec> synthetic_tasks() {
    return {{"main", TaskKind::binary, 2, 0, {}}, {"related", TaskKind::binary, 2, 0, {}}, {"noise", TaskKind::binary, 2, 0, {}}};
}

template <class T>
Dataset<T> make_synthetic(const SyntheticSpec& spec) {
    if (spec.rows < 1 || spec.features < 2) throw std::invalid_argument("make_synthetic: needs rows >= 1 and features >= 2");
    ad::Rng rng(spec.seed);
    auto normal = [&rng] { return rng.normal(); };
    auto uniform = [&rng] { return rng.uniform(); };
    // The latent score: a random two-layer tanh network of the features, standardised.
    const int hidden = 8;
    std::vector<double> A(std::size_t(spec.features) * hidden), v(hidden);
    for (double& a : A) a = normal() / std::sqrt(double(spec.features));
    for (double& a : v) a = normal();
    Dataset<T> d;
    d.rows = spec.rows;
    d.features = spec.features;
    d.x.resize(std::size_t(spec.rows) * spec.features);
    d.labels.assign(3, std::vector<T>(std::size_t(spec.rows)));
    std::vector<double> score(std::size_t(spec.rows));
    for (int i = 0; i < spec.rows; ++i) {
        double s = 0;
        for (int f = 0; f < spec.features; ++f) d.x[std::size_t(i) * spec.features + f] = T(normal());
        for (int j = 0; j < hidden; ++j) {
            double z = 0;
            for (int f = 0; f < spec.features; ++f) z += double(d.x[std::size_t(i) * spec.features + f]) * A[std::size_t(f) * hidden + j];
            s += v[std::size_t(j)] * std::tanh(z);
        }
        score[std::size_t(i)] = s;
    }
    const double mean = std::accumulate(score.begin(), score.end(), 0.0) / spec.rows;
    double var = 0;
    for (double s : score) var += (s - mean) * (s - mean);
    const double sd = std::sqrt(var / spec.rows) + 1e-12;
    const T nan = std::numeric_limits<T>::quiet_NaN();
    for (int i = 0; i < spec.rows; ++i) {
        const double s = (score[std::size_t(i)] - mean) / sd + spec.label_noise * normal();
        d.labels[0][std::size_t(i)] = uniform() < spec.main_labelled ? T(s > 0) : nan;
        d.labels[1][std::size_t(i)] = T(s + spec.related_noise * normal() > 0);
        d.labels[2][std::size_t(i)] = T(uniform() < 0.5);
    }
    return d;
}

template struct Dataset<float>;
template struct Dataset<double>;
template Dataset<float> make_synthetic<float>(const SyntheticSpec&);
template Dataset<double> make_synthetic<double>(const SyntheticSpec&);

}  // namespace hyda::mtl
