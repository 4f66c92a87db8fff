// Evaluation metrics against hand computations (worked out in the comments), the AUCs
// against brute-force implementations of their definitions on random data with many ties,
// NaN labels skipped, and every error path.
#include <catch2/catch.hpp>

#include "throws.hpp"

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <optional>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "hyda/mtl/metrics.hpp"

namespace {

using namespace hyda::mtl;
using Catch::Contains;
using Vec = std::vector<double>;

constexpr double NaN = std::numeric_limits<double>::quiet_NaN();

using hyda::test::invalid_argument_message;

// ROC AUC by its definition: the fraction of (positive, negative) pairs ordered
// correctly, a tie counting 1/2. O(n^2).
double brute_roc_auc(const Vec& scores, const Vec& labels) {
    double correct = 0, pairs = 0;
    for (std::size_t i = 0; i < scores.size(); ++i) {
        for (std::size_t j = 0; j < scores.size(); ++j) {
            if (labels[i] != 1 || labels[j] != 0) continue;
            pairs += 1;
            correct += scores[i] > scores[j] ? 1.0 : scores[i] == scores[j] ? 0.5 : 0.0;
        }
    }
    return correct / pairs;
}

// Average precision by its definition: for each distinct score t, from the highest down,
// count TP and FP among the samples scored >= t, then add (R_n - R_{n-1}) P_n. O(n^2).
double brute_pr_auc(const Vec& scores, const Vec& labels) {
    Vec thresholds;
    double n_pos = 0;
    for (std::size_t i = 0; i < scores.size(); ++i) {
        if (std::isnan(labels[i])) continue;
        thresholds.push_back(scores[i]);
        n_pos += labels[i];
    }
    std::sort(thresholds.rbegin(), thresholds.rend());
    thresholds.erase(std::unique(thresholds.begin(), thresholds.end()), thresholds.end());
    double ap = 0, previous_recall = 0;
    for (double t : thresholds) {
        double tp = 0, fp = 0;
        for (std::size_t i = 0; i < scores.size(); ++i) {
            if (scores[i] < t || std::isnan(labels[i])) continue;
            (labels[i] == 1 ? tp : fp) += 1;
        }
        const double recall = tp / n_pos;
        ap += (recall - previous_recall) * tp / (tp + fp);
        previous_recall = recall;
    }
    return ap;
}

// Binary data with heavy ties (scores from 12 levels), about 10% of labels missing.
struct RandomBinary {
    Vec scores, labels;
    RandomBinary(unsigned seed, int n) {
        std::mt19937 rng(seed);
        std::uniform_int_distribution<int> level(0, 11);
        std::bernoulli_distribution positive(0.35), missing(0.1);
        for (int i = 0; i < n; ++i) {
            scores.push_back(level(rng) / 11.0);
            labels.push_back(missing(rng) ? NaN : positive(rng) ? 1.0 : 0.0);
        }
        labels[0] = 0;  // both classes always present
        labels[1] = 1;
    }
};

}  // namespace

TEST_CASE("ROC AUC on hand-computed cases", "[metrics]") {
    // Positives 0.35, 0.8; negatives 0.1, 0.4. Pairs ordered correctly: 0.35>0.1, 0.8>0.1,
    // 0.8>0.4 (not 0.35>0.4): 3 of 4.
    CHECK(roc_auc(Vec{0.1, 0.4, 0.35, 0.8}, Vec{0, 0, 1, 1}) == Approx(0.75));
    CHECK(roc_auc(Vec{0.1, 0.2, 0.3}, Vec{0, 1, 1}) == 1.0);
    CHECK(roc_auc(Vec{0.1, 0.2, 0.3}, Vec{1, 1, 0}) == 0.0);
}

TEST_CASE("ROC AUC counts tied scores as 1/2", "[metrics]") {
    // Every pair tied: 4 pairs x 1/2 / 4.
    CHECK(roc_auc(Vec{0.5, 0.5, 0.5, 0.5}, Vec{0, 1, 0, 1}) == 0.5);

    // Positives 0.5, 0.9; negatives 0.2, 0.5, 0.5.
    // Pairs: 0.5 vs {0.2, 0.5, 0.5} = 1 + 1/2 + 1/2 = 2; 0.9 vs all three = 3. 5 / (2*3).
    // Same by ranks: 0.2 -> 1, the three 0.5 -> 3 (average of 2,3,4), 0.9 -> 5;
    // R_pos = 3 + 5 = 8, U = R_pos - n_pos (n_pos + 1) / 2 = 8 - 3 = 5.
    CHECK(roc_auc(Vec{0.2, 0.5, 0.5, 0.5, 0.9}, Vec{0, 1, 0, 0, 1}) == Approx(5.0 / 6.0));
}

TEST_CASE("PR AUC (average precision) on hand-computed cases", "[metrics]") {
    // By decreasing score: 0.8 (1), 0.4 (0), 0.35 (1), 0.1 (0); n_pos = 2.
    //   t = 0.8:  TP 1 FP 0, P = 1,   R = 1/2  -> (1/2 - 0) * 1     = 1/2
    //   t = 0.4:  TP 1 FP 1, P = 1/2, R = 1/2  -> 0
    //   t = 0.35: TP 2 FP 1, P = 2/3, R = 1    -> (1 - 1/2) * 2/3   = 1/3
    //   t = 0.1:  TP 2 FP 2, P = 1/2, R = 1    -> 0
    // AP = 5/6 (scikit-learn's documented example gives 0.83).
    CHECK(pr_auc(Vec{0.1, 0.4, 0.35, 0.8}, Vec{0, 0, 1, 1}) == Approx(5.0 / 6.0));
    CHECK(pr_auc(Vec{0.1, 0.2, 0.3}, Vec{0, 1, 1}) == Approx(1.0));
    // No negative: precision is 1 at every threshold.
    CHECK(pr_auc(Vec{0.1, 0.5}, Vec{1, 1}) == Approx(1.0));
}

TEST_CASE("PR AUC treats tied scores as one threshold", "[metrics]") {
    // One threshold, TP 2 FP 2: P = 1/2, R = 1 -> AP = 1/2.
    CHECK(pr_auc(Vec{0.5, 0.5, 0.5, 0.5}, Vec{0, 1, 0, 1}) == Approx(0.5));

    // By decreasing score: 0.9 (0); 0.5 (1, 0, 1); 0.2 (1); n_pos = 3.
    //   t = 0.9: TP 0 FP 1, P = 0,   R = 0   -> 0
    //   t = 0.5: TP 2 FP 2, P = 1/2, R = 2/3 -> 2/3 * 1/2         = 1/3
    //   t = 0.2: TP 3 FP 2, P = 3/5, R = 1   -> (1 - 2/3) * 3/5   = 1/5
    // AP = 8/15. Breaking the tie with positives first would give 53/90 instead.
    CHECK(pr_auc(Vec{0.9, 0.5, 0.5, 0.5, 0.2}, Vec{0, 1, 0, 1, 1}) == Approx(8.0 / 15.0));
}

TEST_CASE("ROC AUC and PR AUC equal their brute-force definitions on random data with ties", "[metrics]") {
    for (unsigned seed = 1; seed <= 20; ++seed) {
        const RandomBinary d(seed, 2 + int(seed) * 17);
        INFO("seed " << seed);
        CHECK(roc_auc(d.scores, d.labels) == Approx(brute_roc_auc(d.scores, d.labels)).epsilon(1e-12));
        CHECK(pr_auc(d.scores, d.labels) == Approx(brute_pr_auc(d.scores, d.labels)).epsilon(1e-12));
    }
}

TEST_CASE("AUCs depend only on the order of the scores", "[metrics]") {
    const RandomBinary d(7, 300);
    Vec increasing, decreasing;
    for (double s : d.scores) {
        increasing.push_back(std::exp(4 * s) - 7);  // strictly increasing: ties and order kept
        decreasing.push_back(-s);
    }
    CHECK(roc_auc(increasing, d.labels) == Approx(roc_auc(d.scores, d.labels)).epsilon(1e-12));
    CHECK(pr_auc(increasing, d.labels) == Approx(pr_auc(d.scores, d.labels)).epsilon(1e-12));
    // Reversing the order swaps "scored higher" and "scored lower"; ties stay ties.
    CHECK(roc_auc(decreasing, d.labels) == Approx(1 - roc_auc(d.scores, d.labels)).epsilon(1e-12));
}

TEST_CASE("log loss, Brier score and accuracy on hand-computed cases", "[metrics]") {
    const Vec p = {0.9, 0.2, 0.6, 0.5};
    const Vec y = {1, 0, 0, 1};
    // -(ln 0.9 + ln 0.8 + ln 0.4 + ln 0.5) / 4 = (0.10536 + 0.22314 + 0.91629 + 0.69315) / 4
    CHECK(log_loss(p, y) == Approx(0.4844852));
    // (0.1^2 + 0.2^2 + 0.6^2 + 0.5^2) / 4 = (0.01 + 0.04 + 0.36 + 0.25) / 4
    CHECK(brier(p, y) == Approx(0.165));
    // Predicted {1, 0, 1, 1} (0.5 >= 0.5 counts as 1): right, right, wrong, right.
    CHECK(accuracy(p, y) == 0.75);
    // Threshold 0.1: all predicted 1, right on the two positives.
    CHECK(accuracy(p, y, 0.1) == 0.5);
    // Threshold 0.95: all predicted 0, right on the two negatives.
    CHECK(accuracy(p, y, 0.95) == 0.5);
}

TEST_CASE("log loss clips probabilities to [eps, 1 - eps]", "[metrics]") {
    // A certain mistake costs -ln(1e-15) = 34.538776 instead of infinity.
    CHECK(log_loss(Vec{0.0}, Vec{1}) == Approx(34.538776));
    // 1 - 1e-15 rounds to a double 1.1e-16 away from 1 - 1e-15, hence the margin.
    CHECK(log_loss(Vec{1.0}, Vec{0}) == Approx(34.538776).epsilon(1e-3));
    CHECK(log_loss(Vec{0.0}, Vec{1}, 1e-3) == Approx(6.9077553));  // -ln(1e-3)
    CHECK(log_loss(Vec{1.0, 0.0}, Vec{1, 0}) == Approx(0.0).margin(1e-14));
}

TEST_CASE("regression metrics on hand-computed cases", "[metrics]") {
    const Vec p = {2.5, 0.0, 2, 8};
    const Vec y = {3, -0.5, 2, 7};
    // Errors p - y: -0.5, 0.5, 0, 1.
    CHECK(mae(p, y) == Approx(0.5));                   // (0.5 + 0.5 + 0 + 1) / 4
    CHECK(rmse(p, y) == Approx(std::sqrt(0.375)));     // sqrt((0.25 + 0.25 + 0 + 1) / 4)
    // mean y = 11.5 / 4 = 2.875; SS_tot = 0.125^2 + 3.375^2 + 0.875^2 + 4.125^2 = 29.1875;
    // SS_res = 1.5; R^2 = 1 - 1.5 / 29.1875.
    CHECK(r2(p, y) == Approx(0.9486081370));
    CHECK(r2(y, y) == 1.0);
    // Predicting the mean: SS_res = SS_tot.
    CHECK(r2(Vec{2.875, 2.875, 2.875, 2.875}, y) == Approx(0.0).margin(1e-15));
    // Worse than the mean: p = {0, 2}, y = {1, 2}: SS_res = 1, mean 1.5, SS_tot = 0.5 -> 1 - 2.
    CHECK(r2(Vec{0, 2}, Vec{1, 2}) == Approx(-1.0));
}

TEST_CASE("multiclass accuracy and log loss on hand-computed cases", "[metrics]") {
    const Vec p = {0.7, 0.2, 0.1,   //
                   0.1, 0.3, 0.6,   //
                   0.3, 0.4, 0.3,   //
                   0.5, 0.5, 0.0};  //
    const Vec y = {0, 2, 0, 1};
    // Argmax per row: 0, 2, 1, 0 (a tie goes to the lowest class): right, right, wrong, wrong.
    CHECK(multiclass_accuracy(p, 3, y) == 0.5);
    // p_label = 0.7, 0.6, 0.3, 0.5:
    // -(ln 0.7 + ln 0.6 + ln 0.3 + ln 0.5) / 4 = (0.35667 + 0.51083 + 1.20397 + 0.69315) / 4
    CHECK(multiclass_log_loss(p, 3, y) == Approx(0.6911550));
    // Label 2 of the last row has probability 0, clipped to 1e-15: -ln(1e-15) = 34.538776.
    CHECK(multiclass_log_loss(Vec{0.5, 0.5, 0.0}, 3, Vec{2}) == Approx(34.538776));
}

TEST_CASE("samples with a NaN label are skipped by every metric", "[metrics]") {
    const Vec p = {0.9, 0.2, 0.6, 0.5, 0.3};
    const Vec y = {1, 0, 0, 1, 0};
    // The same samples with unlabeled ones in between, whose outputs would be invalid
    // (NaN, outside [0, 1]) if they counted.
    const Vec p_gaps = {NaN, 0.9, 0.2, 7.0, 0.6, 0.5, -3.0, 0.3, NaN};
    const Vec y_gaps = {NaN, 1, 0, NaN, 0, 1, NaN, 0, NaN};
    CHECK(roc_auc(p_gaps, y_gaps) == roc_auc(p, y));
    CHECK(pr_auc(p_gaps, y_gaps) == pr_auc(p, y));
    CHECK(log_loss(p_gaps, y_gaps) == log_loss(p, y));
    CHECK(brier(p_gaps, y_gaps) == brier(p, y));
    CHECK(accuracy(p_gaps, y_gaps) == accuracy(p, y));
    CHECK(rmse(p_gaps, y_gaps) == rmse(p, y));
    CHECK(mae(p_gaps, y_gaps) == mae(p, y));
    CHECK(r2(p_gaps, y_gaps) == r2(p, y));

    const Vec mp = {0.7, 0.2, 0.1, 0.1, 0.3, 0.6};
    const Vec my = {0, 1};
    const Vec mp_gaps = {NaN, NaN, NaN, 0.7, 0.2, 0.1, 0.1, 0.3, 0.6, 5.0, -1.0, NaN};
    const Vec my_gaps = {NaN, 0, 1, NaN};
    CHECK(multiclass_accuracy(mp_gaps, 3, my_gaps) == multiclass_accuracy(mp, 3, my));
    CHECK(multiclass_log_loss(mp_gaps, 3, my_gaps) == multiclass_log_loss(mp, 3, my));
}

TEST_CASE("every metric rejects mismatched lengths, no labels and NaN outputs", "[metrics]") {
    using Binary = double (*)(std::span<const double>, std::span<const double>);
    const std::vector<std::pair<const char*, Binary>> paired = {
        {"roc_auc", roc_auc},
        {"pr_auc", pr_auc},
        {"log_loss", [](std::span<const double> p, std::span<const double> y) { return log_loss(p, y); }},
        {"brier", brier},
        {"accuracy", [](std::span<const double> p, std::span<const double> y) { return accuracy(p, y); }},
        {"rmse", rmse},
        {"mae", mae},
        {"r2", r2},
        {"multiclass_accuracy",
         [](std::span<const double> p, std::span<const double> y) { return multiclass_accuracy(p, 1, y); }},
        {"multiclass_log_loss",
         [](std::span<const double> p, std::span<const double> y) { return multiclass_log_loss(p, 1, y); }},
    };
    for (const auto& [name, metric] : paired) {
        INFO(name);
        CHECK_THAT(invalid_argument_message([&] { metric(Vec{0.2, 0.8}, Vec{0, 1, 0}); }),
                   Contains(std::string(name) + ": ") && Contains("has 2 entries but labels has 3"));
        CHECK_THAT(invalid_argument_message([&] { metric(Vec{}, Vec{}); }), Contains("no samples"));
        CHECK_THAT(invalid_argument_message([&] { metric(Vec{0.2, 0.8}, Vec{NaN, NaN}); }),
                   Contains("no labeled samples (all 2 labels are NaN)"));
        CHECK_THAT(invalid_argument_message([&] { metric(Vec{0.2, NaN}, Vec{0, 1}); }),
                   Contains("[1] is NaN (its label is present)"));
    }
    CHECK_THAT(invalid_argument_message([] { multiclass_accuracy(Vec{0.2, 0.8, 0.5}, 2, Vec{0, 1}); }),
               Contains("multiclass_accuracy: probabilities has 3 entries, expected 2 labels x 2 classes = 4"));
}

TEST_CASE("metrics reject invalid labels and inputs where they are undefined", "[metrics]") {
    using Binary = double (*)(std::span<const double>, std::span<const double>);
    SECTION("binary labels must be 0 or 1") {
        for (Binary metric : {roc_auc, pr_auc, brier}) {
            CHECK_THAT(invalid_argument_message([&] { metric(Vec{0.2, 0.8}, Vec{0, 2}); }),
                       Contains("labels[1] = 2, expected 0 or 1"));
            CHECK_THAT(invalid_argument_message([&] { metric(Vec{0.2, 0.8}, Vec{0.5, 1}); }),
                       Contains("labels[0] = 0.5, expected 0 or 1"));
        }
        CHECK_THAT(invalid_argument_message([] { log_loss(Vec{0.2}, Vec{-1}); }), Contains("labels[0] = -1"));
        CHECK_THAT(invalid_argument_message([] { accuracy(Vec{0.2}, Vec{3}); }), Contains("labels[0] = 3"));
    }
    SECTION("ROC AUC needs both classes") {
        CHECK_THAT(invalid_argument_message([] { roc_auc(Vec{0.2, 0.8, 0.5}, Vec{1, 1, 1}); }),
                   Contains("roc_auc: undefined when only one class is present: all 3 labeled samples are positive"));
        // The only negative is unlabeled.
        CHECK_THAT(invalid_argument_message([] { roc_auc(Vec{0.2, 0.8}, Vec{NaN, 0}); }),
                   Contains("all 1 labeled samples are negative"));
    }
    SECTION("PR AUC needs a positive") {
        CHECK_THAT(invalid_argument_message([] { pr_auc(Vec{0.2, 0.8}, Vec{0, 0}); }),
                   Contains("pr_auc: undefined without a positive label"));
    }
    SECTION("probabilities must lie in [0, 1]") {
        CHECK_THAT(invalid_argument_message([] { log_loss(Vec{0.5, 1.5}, Vec{0, 1}); }),
                   Contains("log_loss: probabilities[1] = 1.5 is outside [0, 1]"));
        CHECK_THAT(invalid_argument_message([] { brier(Vec{-0.1}, Vec{0}); }),
                   Contains("brier: probabilities[0] = -0.1 is outside [0, 1]"));
        CHECK_THAT(invalid_argument_message([] { multiclass_log_loss(Vec{0.5, 0.5, -0.2, 1.2}, 2, Vec{0, 1}); }),
                   Contains("multiclass_log_loss: probabilities[3] = 1.2 is outside [0, 1]"));
    }
    SECTION("eps must lie in [0, 0.5)") {
        for (double eps : {-1e-3, 0.5, NaN}) {
            CHECK_THAT(invalid_argument_message([&] { log_loss(Vec{0.5}, Vec{1}, eps); }),
                       Contains("log_loss: eps = ") && Contains("must lie in [0, 0.5)"));
            CHECK_THAT(invalid_argument_message([&] { multiclass_log_loss(Vec{0.5, 0.5}, 2, Vec{1}, eps); }),
                       Contains("multiclass_log_loss: eps = "));
        }
    }
    SECTION("R^2 needs labels that vary") {
        CHECK_THAT(invalid_argument_message([] { r2(Vec{0.1, 0.2, 0.3}, Vec{0.1, 0.1, 0.1}); }),
                   Contains("r2: undefined when all 3 labels are equal (SS_tot = 0)"));
        CHECK_THAT(invalid_argument_message([] { r2(Vec{0.1, 0.2}, Vec{0.1, NaN}); }),
                   Contains("all 1 labels are equal"));
    }
    SECTION("multiclass labels must be class indices") {
        for (auto metric : {multiclass_accuracy, +[](std::span<const double> p, std::size_t c, std::span<const double> y) {
                                return multiclass_log_loss(p, c, y);
                            }}) {
            const Vec p = {0.2, 0.3, 0.5, 0.1, 0.1, 0.8};
            CHECK_THAT(invalid_argument_message([&] { metric(p, 3, Vec{0, 3}); }),
                       Contains("labels[1] = 3: class index out of range [0, 3)"));
            CHECK_THAT(invalid_argument_message([&] { metric(p, 3, Vec{-1, 0}); }),
                       Contains("labels[0] = -1: class index out of range [0, 3)"));
            CHECK_THAT(invalid_argument_message([&] { metric(p, 3, Vec{1.5, 0}); }),
                       Contains("labels[0] = 1.5 is not an integer class index"));
            CHECK_THAT(invalid_argument_message([&] { metric(p, 3, Vec{0, std::numeric_limits<double>::infinity()}); }),
                       Contains("labels[1] = inf: class index out of range"));
            CHECK_THAT(invalid_argument_message([&] { metric(Vec{}, 0, Vec{}); }),
                       Contains("num_classes must be positive"));
            CHECK_THAT(invalid_argument_message([&] { metric(Vec{0.2, NaN, 0.5, 0.1}, 2, Vec{0, 1}); }),
                       Contains("probabilities[1] is NaN"));
        }
    }
}

TEST_CASE("the *_undefined checks tell from the labels what the metrics would reject", "[metrics]") {
    using Binary = double (*)(std::span<const double>, std::span<const double>);
    using Check = std::optional<std::string> (*)(std::span<const double>);
    struct Case {
        const char* name;
        Check undefined;
        Binary metric;
        std::vector<Vec> labels;
    };
    const Vec binary_labels[] = {{}, {NaN, NaN}, {0, 0, NaN}, {1, 1}, {1, NaN, 0}, {0, 1, 1}};
    const Vec targets[] = {{}, {NaN}, {2, 2, NaN}, {1, NaN, 3}, {0.5, -1}};
    const std::vector<Case> cases = {
        {"roc_auc", roc_auc_undefined, roc_auc, {std::begin(binary_labels), std::end(binary_labels)}},
        {"pr_auc", pr_auc_undefined, pr_auc, {std::begin(binary_labels), std::end(binary_labels)}},
        {"brier", metric_undefined, brier, {std::begin(binary_labels), std::end(binary_labels)}},
        {"r2", r2_undefined, r2, {std::begin(targets), std::end(targets)}},
        {"rmse", metric_undefined, rmse, {std::begin(targets), std::end(targets)}},
    };
    int undefined = 0, defined = 0;
    for (const Case& c : cases) {
        for (const Vec& y : c.labels) {
            Vec p(y.size());
            for (std::size_t i = 0; i < p.size(); ++i) p[i] = 0.1 * double(i + 1);
            const std::optional<std::string> why = c.undefined(y);
            INFO(c.name << " on " << y.size() << " labels: " << why.value_or("defined"));
            if (why) {
                CHECK_THAT(invalid_argument_message([&] { c.metric(p, y); }), Contains(std::string(c.name) + ": " + *why));
                ++undefined;
            } else {
                CHECK_NOTHROW(c.metric(p, y));
                ++defined;
            }
        }
    }
    CHECK(undefined == 14);
    CHECK(defined == 14);
}
