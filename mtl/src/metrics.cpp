#include "hyda/mtl/metrics.hpp"

#include <algorithm>
#include <cmath>
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace hyda::mtl {
namespace {

using Span = std::span<const double>;

std::string str(double v) {
    std::ostringstream os;
    os << v;
    return os.str();
}

[[noreturn]] void fail(const char* metric, const std::string& what) {
    throw std::invalid_argument(std::string(metric) + ": " + what);
}

// Calls f(row, label, sample) for every sample whose label is present, row being its
// `width` outputs, and returns how many samples that was. Checks what every metric needs:
// matching lengths, at least one label, no NaN output for a labeled sample.
template <class F>
std::size_t for_each_labeled(const char* metric, const char* outputs_name, Span outputs, std::size_t width,
                             Span labels, F&& f) {
    const std::string name = outputs_name;
    if (outputs.size() != labels.size() * width) {
        fail(metric, width == 1 ? name + " has " + std::to_string(outputs.size()) + " entries but labels has " +
                                      std::to_string(labels.size())
                                : name + " has " + std::to_string(outputs.size()) + " entries, expected " +
                                      std::to_string(labels.size()) + " labels x " + std::to_string(width) +
                                      " classes = " + std::to_string(labels.size() * width));
    }
    if (auto why = metric_undefined(labels)) fail(metric, *why);
    std::size_t n = 0;
    for (std::size_t i = 0; i < labels.size(); ++i) {
        if (std::isnan(labels[i])) continue;
        const Span row = outputs.subspan(i * width, width);
        const auto nan = std::find_if(row.begin(), row.end(), [](double v) { return std::isnan(v); });
        if (nan != row.end()) {
            fail(metric, name + "[" + std::to_string(i * width + std::size_t(nan - row.begin())) +
                             "] is NaN (its label is present)");
        }
        f(row, labels[i], i);
        ++n;
    }
    return n;
}

// One output per sample: f(output, label, sample).
template <class F>
std::size_t for_each_labeled(const char* metric, const char* outputs_name, Span outputs, Span labels, F&& f) {
    return for_each_labeled(metric, outputs_name, outputs, 1, labels,
                            [&](Span row, double y, std::size_t i) { f(row[0], y, i); });
}

bool is_positive(const char* metric, double y, std::size_t i) {
    if (y != 0.0 && y != 1.0) fail(metric, "labels[" + std::to_string(i) + "] = " + str(y) + ", expected 0 or 1 (NaN if missing)");
    return y == 1.0;
}

// Clipping and log(1 - p) assume a probability: a logit passed by mistake must not pass.
void check_probability(const char* metric, double p, std::size_t index) {
    if (!(p >= 0.0 && p <= 1.0)) fail(metric, "probabilities[" + std::to_string(index) + "] = " + str(p) + " is outside [0, 1]");
}

void check_eps(const char* metric, double eps) {
    if (!(eps >= 0.0 && eps < 0.5)) fail(metric, "eps = " + str(eps) + " must lie in [0, 0.5)");
}

std::size_t class_index(const char* metric, double y, std::size_t num_classes, std::size_t i) {
    const std::string label = "labels[" + std::to_string(i) + "] = " + str(y);
    if (y != std::floor(y)) fail(metric, label + " is not an integer class index");
    if (y < 0 || y >= double(num_classes)) {
        fail(metric, label + ": class index out of range [0, " + std::to_string(num_classes) + ")");
    }
    return std::size_t(y);
}

void check_num_classes(const char* metric, std::size_t num_classes) {
    if (num_classes == 0) fail(metric, "num_classes must be positive");
}

// Labeled samples sharing one score. Counts are doubles: they only enter ratios.
struct TieGroup {
    double pos = 0, neg = 0;
};

// The labeled samples grouped by distinct score, in increasing order of score. Both AUCs
// are sums over these groups, so one sort serves either.
std::vector<TieGroup> tie_groups(const char* metric, Span scores, Span labels) {
    std::vector<std::pair<double, bool>> samples;
    samples.reserve(labels.size());
    for_each_labeled(metric, "scores", scores, labels,
                     [&](double s, double y, std::size_t i) { samples.emplace_back(s, is_positive(metric, y, i)); });
    std::sort(samples.begin(), samples.end(), [](const auto& a, const auto& b) { return a.first < b.first; });

    std::vector<TieGroup> groups;
    for (std::size_t i = 0; i < samples.size(); ++i) {
        if (i == 0 || samples[i].first != samples[i - 1].first) groups.emplace_back();
        (samples[i].second ? groups.back().pos : groups.back().neg) += 1;
    }
    return groups;
}

std::size_t count_labeled(Span labels) {
    return std::size_t(std::count_if(labels.begin(), labels.end(), [](double y) { return !std::isnan(y); }));
}

}  // namespace

std::optional<std::string> metric_undefined(Span labels) {
    if (labels.empty()) return "no samples";
    if (count_labeled(labels) == 0) return "no labeled samples (all " + std::to_string(labels.size()) + " labels are NaN)";
    return std::nullopt;
}

std::optional<std::string> roc_auc_undefined(Span labels) {
    if (auto why = metric_undefined(labels)) return why;
    const std::size_t n = count_labeled(labels), n_pos = std::size_t(std::count(labels.begin(), labels.end(), 1.0));
    if (n_pos == 0 || n_pos == n) {
        return "undefined when only one class is present: all " + std::to_string(n) + " labeled samples are " +
               (n_pos == 0 ? "negative" : "positive");
    }
    return std::nullopt;
}

std::optional<std::string> pr_auc_undefined(Span labels) {
    if (auto why = metric_undefined(labels)) return why;
    if (std::count(labels.begin(), labels.end(), 1.0) == 0) return "undefined without a positive label (recall has no denominator)";
    return std::nullopt;
}

std::optional<std::string> r2_undefined(Span labels) {
    if (auto why = metric_undefined(labels)) return why;
    // Tested on the labels themselves: a rounded mean would leave SS_tot a tiny nonzero.
    const auto first = std::find_if(labels.begin(), labels.end(), [](double y) { return !std::isnan(y); });
    if (std::all_of(first, labels.end(), [&](double y) { return std::isnan(y) || y == *first; }))
        return "undefined when all " + std::to_string(count_labeled(labels)) + " labels are equal (SS_tot = 0)";
    return std::nullopt;
}

double roc_auc(Span scores, Span labels) {
    // Mann-Whitney U: over the positives, the negatives scored lower plus half the
    // negatives tied with them (the same as ranking with average ranks for ties).
    const std::vector<TieGroup> groups = tie_groups("roc_auc", scores, labels);
    if (auto why = roc_auc_undefined(labels)) fail("roc_auc", *why);
    double u = 0, n_pos = 0, n_neg = 0;
    for (const TieGroup& g : groups) {
        u += g.pos * (n_neg + 0.5 * g.neg);
        n_pos += g.pos;
        n_neg += g.neg;
    }
    return u / (n_pos * n_neg);
}

double pr_auc(Span scores, Span labels) {
    const std::vector<TieGroup> groups = tie_groups("pr_auc", scores, labels);
    if (auto why = pr_auc_undefined(labels)) fail("pr_auc", *why);
    double n_pos = 0;
    for (const TieGroup& g : groups) n_pos += g.pos;

    // Thresholds from the highest score down: each group raises recall by pos / n_pos,
    // weighted by the precision reached once the whole group is admitted.
    double ap = 0, tp = 0, fp = 0;
    for (auto g = groups.rbegin(); g != groups.rend(); ++g) {
        tp += g->pos;
        fp += g->neg;
        ap += g->pos / n_pos * (tp / (tp + fp));
    }
    return ap;
}

double log_loss(Span probabilities, Span labels, double eps) {
    check_eps("log_loss", eps);
    double sum = 0;
    const std::size_t n = for_each_labeled("log_loss", "probabilities", probabilities, labels,
                                           [&](double p, double y, std::size_t i) {
                                               check_probability("log_loss", p, i);
                                               const double q = std::clamp(p, eps, 1 - eps);
                                               sum -= is_positive("log_loss", y, i) ? std::log(q) : std::log1p(-q);
                                           });
    return sum / double(n);
}

double brier(Span probabilities, Span labels) {
    double sum = 0;
    const std::size_t n = for_each_labeled("brier", "probabilities", probabilities, labels,
                                           [&](double p, double y, std::size_t i) {
                                               check_probability("brier", p, i);
                                               const double d = p - (is_positive("brier", y, i) ? 1.0 : 0.0);
                                               sum += d * d;
                                           });
    return sum / double(n);
}

double accuracy(Span probabilities, Span labels, double threshold) {
    double correct = 0;
    const std::size_t n = for_each_labeled("accuracy", "probabilities", probabilities, labels,
                                           [&](double p, double y, std::size_t i) {
                                               correct += (p >= threshold) == is_positive("accuracy", y, i);
                                           });
    return correct / double(n);
}

double rmse(Span predictions, Span labels) {
    double sum = 0;
    const std::size_t n = for_each_labeled("rmse", "predictions", predictions, labels,
                                           [&](double p, double y, std::size_t) { sum += (p - y) * (p - y); });
    return std::sqrt(sum / double(n));
}

double mae(Span predictions, Span labels) {
    double sum = 0;
    const std::size_t n = for_each_labeled("mae", "predictions", predictions, labels,
                                           [&](double p, double y, std::size_t) { sum += std::abs(p - y); });
    return sum / double(n);
}

double r2(Span predictions, Span labels) {
    double sum = 0;
    const std::size_t n = for_each_labeled("r2", "predictions", predictions, labels, [&](double, double y, std::size_t) { sum += y; });
    if (auto why = r2_undefined(labels)) fail("r2", *why);

    const double mean = sum / double(n);
    double ss_res = 0, ss_tot = 0;
    for_each_labeled("r2", "predictions", predictions, labels, [&](double p, double y, std::size_t) {
        ss_res += (y - p) * (y - p);
        ss_tot += (y - mean) * (y - mean);
    });
    return 1 - ss_res / ss_tot;
}

double multiclass_accuracy(Span probabilities, std::size_t num_classes, Span labels) {
    check_num_classes("multiclass_accuracy", num_classes);
    double correct = 0;
    const std::size_t n = for_each_labeled(
        "multiclass_accuracy", "probabilities", probabilities, num_classes, labels, [&](Span row, double y, std::size_t i) {
            const std::size_t k = class_index("multiclass_accuracy", y, num_classes, i);
            // max_element returns the first maximum: ties go to the lowest class.
            correct += std::size_t(std::max_element(row.begin(), row.end()) - row.begin()) == k;
        });
    return correct / double(n);
}

double multiclass_log_loss(Span probabilities, std::size_t num_classes, Span labels, double eps) {
    check_num_classes("multiclass_log_loss", num_classes);
    check_eps("multiclass_log_loss", eps);
    double sum = 0;
    const std::size_t n = for_each_labeled(
        "multiclass_log_loss", "probabilities", probabilities, num_classes, labels, [&](Span row, double y, std::size_t i) {
            const std::size_t k = class_index("multiclass_log_loss", y, num_classes, i);
            check_probability("multiclass_log_loss", row[k], i * num_classes + k);
            sum -= std::log(std::clamp(row[k], eps, 1 - eps));
        });
    return sum / double(n);
}

}  // namespace hyda::mtl
