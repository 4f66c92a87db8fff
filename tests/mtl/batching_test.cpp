// epoch_batches and the trainer's batching option: every strategy's batches checked for
// their defining property (a permutation of the rows; non-decreasing keys; one group per
// batch; Dirichlet-distributed group shares), shuffle against consecutive pieces of
// epoch_order, and fit() against the same steps taken by hand over epoch_batches.
#include <catch2/catch.hpp>

#include <algorithm>
#include <limits>
#include <numeric>
#include <set>
#include <stdexcept>
#include <vector>

#include "hyda/mtl/dataset.hpp"
#include "hyda/mtl/stats.hpp"
#include "hyda/mtl/trainer.hpp"

using namespace hyda::mtl;

namespace {

// Synthetic rows with keys of many ties (i mod 7) and three groups of unequal sizes.
Dataset<double> with_metadata(int rows) {
    SyntheticSpec spec;
    spec.rows = rows;
    spec.features = 4;
    spec.main_labelled = 1;
    Dataset<double> d = make_synthetic<double>(spec);
    for (int i = 0; i < rows; ++i) {
        d.order_key.push_back(double(i % 7));
        d.group.push_back(i % 5 == 0 ? 9 : i % 3 == 0 ? -2 : 4);
    }
    return d;
}

std::vector<int> concatenated(const std::vector<std::vector<int>>& batches) {
    std::vector<int> all;
    for (const auto& b : batches) all.insert(all.end(), b.begin(), b.end());
    return all;
}

bool is_permutation_of_rows(std::vector<int> rows, int n) {
    std::sort(rows.begin(), rows.end());
    std::vector<int> identity(std::size_t(n), 0);
    std::iota(identity.begin(), identity.end(), 0);
    return rows == identity;
}

// 2 * half rows, of groups 0 and 1 alternately.
Dataset<double> two_groups(int half) {
    SyntheticSpec spec;
    spec.rows = 2 * half;
    spec.features = 2;
    Dataset<double> d = make_synthetic<double>(spec);
    for (int i = 0; i < d.rows; ++i) d.group.push_back(i % 2);
    return d;
}

// Group 1's share of each of the first `first` batches of epochs 0 .. epochs - 1.
std::vector<double> shares_of_group_1(const Dataset<double>& d, Batching batching, double a, int epochs, std::size_t first) {
    std::vector<double> shares;
    for (int epoch = 0; epoch < epochs; ++epoch) {
        const auto batches = epoch_batches(d, batching, 20, 9, epoch, a);
        for (std::size_t b = 0; b < first; ++b) {
            const auto ones = std::count_if(batches[b].begin(), batches[b].end(), [&](int r) { return d.group[std::size_t(r)] == 1; });
            shares.push_back(double(ones) / double(batches[b].size()));
        }
    }
    return shares;
}

double fraction_outside(const std::vector<double>& shares, double low, double high) {
    return double(std::count_if(shares.begin(), shares.end(), [&](double s) { return s < low || s > high; })) / double(shares.size());
}

}  // namespace

TEST_CASE("shuffle batching: consecutive pieces of epoch_order", "[batching]") {
    const Dataset<double> d = with_metadata(103);
    for (int epoch = 0; epoch < 3; ++epoch) {
        const auto batches = epoch_batches(d, Batching::shuffle, 10, 5, epoch);
        const std::vector<int> order = epoch_order(103, 5, epoch);
        REQUIRE(batches.size() == 11);
        for (std::size_t b = 0; b < batches.size(); ++b) {
            const std::vector<int> piece(order.begin() + std::ptrdiff_t(10 * b), order.begin() + std::ptrdiff_t(std::min<std::size_t>(103, 10 * b + 10)));
            CHECK(batches[b] == piece);
        }
    }
}

TEST_CASE("ordered batching: keys never decrease, ties in epoch_order's order", "[batching]") {
    const Dataset<double> d = with_metadata(103);
    for (int epoch = 0; epoch < 3; ++epoch) {
        const auto batches = epoch_batches(d, Batching::ordered, 8, 5, epoch);
        const std::vector<int> all = concatenated(batches);
        CHECK(is_permutation_of_rows(all, 103));
        for (std::size_t b = 0; b + 1 < batches.size(); ++b) CHECK(batches[b].size() == 8);
        // Position of each row in the epoch's shuffle: ties must keep it.
        const std::vector<int> order = epoch_order(103, 5, epoch);
        std::vector<int> position(103);
        for (std::size_t p = 0; p < order.size(); ++p) position[std::size_t(order[p])] = int(p);
        for (std::size_t i = 0; i + 1 < all.size(); ++i) {
            const double a = d.order_key[std::size_t(all[i])], b = d.order_key[std::size_t(all[i + 1])];
            CHECK(a <= b);
            if (a == b) CHECK(position[std::size_t(all[i])] < position[std::size_t(all[i + 1])]);
        }
    }
    // Different epochs break the ties differently.
    CHECK(concatenated(epoch_batches(d, Batching::ordered, 8, 5, 0)) != concatenated(epoch_batches(d, Batching::ordered, 8, 5, 1)));
}

TEST_CASE("grouped batching: one group per batch, every row once", "[batching]") {
    const Dataset<double> d = with_metadata(103);
    for (int epoch = 0; epoch < 3; ++epoch) {
        const auto batches = epoch_batches(d, Batching::grouped, 6, 5, epoch);
        CHECK(is_permutation_of_rows(concatenated(batches), 103));
        std::set<int> groups_seen;
        int smaller = 0;  // batches under the size: at most one per group, its last
        for (const auto& b : batches) {
            REQUIRE(!b.empty());
            CHECK(b.size() <= 6);
            smaller += b.size() < 6;
            const int g = d.group[std::size_t(b[0])];
            groups_seen.insert(g);
            for (int r : b) CHECK(d.group[std::size_t(r)] == g);
        }
        CHECK(groups_seen == std::set<int>{-2, 4, 9});
        CHECK(smaller <= 3);
    }
    // The batch order is shuffled: not all of one group first.
    const auto batches = epoch_batches(d, Batching::grouped, 6, 5, 0);
    std::vector<int> group_of_batch;
    for (const auto& b : batches) group_of_batch.push_back(d.group[std::size_t(b[0])]);
    CHECK(!std::is_sorted(group_of_batch.begin(), group_of_batch.end()));
}

TEST_CASE("mixed batching: every row once, full batches but the last, each group taken in epoch order", "[batching]") {
    const Dataset<double> d = with_metadata(103);
    for (const double a : {0.3, 1.0, 50.0}) {
        for (int epoch = 0; epoch < 3; ++epoch) {
            INFO("a " << a << ", epoch " << epoch);
            const auto batches = epoch_batches(d, Batching::mixed, 8, 5, epoch, a);
            CHECK(is_permutation_of_rows(concatenated(batches), 103));
            REQUIRE(batches.size() == 13);
            for (std::size_t b = 0; b + 1 < batches.size(); ++b) CHECK(batches[b].size() == 8);
            // Read batch after batch, each group's rows come in epoch_order's order: every
            // batch takes from the front of each group's rows left.
            const std::vector<int> order = epoch_order(103, 5, epoch);
            for (const int g : {-2, 4, 9}) {
                std::vector<int> in_order, in_batches;
                for (int r : order)
                    if (d.group[std::size_t(r)] == g) in_order.push_back(r);
                for (int r : concatenated(batches))
                    if (d.group[std::size_t(r)] == g) in_batches.push_back(r);
                CHECK(in_batches == in_order);
            }
        }
    }
    // A batch larger than the data: one batch of every row.
    CHECK(epoch_batches(d, Batching::mixed, 500, 5, 0).size() == 1);
}

TEST_CASE("mixed batching: a = 0.3 gives a U-shaped group share, Beta(0.3, 0.3) as drawn", "[batching]") {
    // Two groups of 1000 rows, batches of 20: in the first 25 of an epoch's 100 batches no
    // group can run out, so group 1's count is the drawn share p ~ Beta(a, a) times 20,
    // rounded to the nearest (largest remainder with two groups). A share below 0.2 is a
    // count of at most 3: p < 3.5 / 20.
    const Dataset<double> d = two_groups(1000);
    const std::vector<double> mixed = shares_of_group_1(d, Batching::mixed, 0.3, 40, 25);
    const double n = double(mixed.size());
    const double p_low = incomplete_beta(0.3, 0.3, 3.5 / 20), want = 2 * p_low;  // symmetric: the same above 0.8
    const double outside = fraction_outside(mixed, 0.2, 0.8);
    CHECK(want > 0.6);
    CHECK(std::abs(outside - want) < 5 * std::sqrt(want * (1 - want) / n));
    // Symmetric around 1/2: Beta(0.3, 0.3) has variance 1 / (4 (2 a + 1)) = 1 / 6.4.
    const double mean = std::accumulate(mixed.begin(), mixed.end(), 0.0) / n;
    CHECK(std::abs(mean - 0.5) < 5 * std::sqrt(1 / 6.4 / n));
    // Shuffled batches are near half and half: about 0.3% of them that far out.
    CHECK(fraction_outside(shares_of_group_1(d, Batching::shuffle, 0.3, 40, 25), 0.2, 0.8) < 0.02);
    // A large concentration puts every batch near half and half (p within 0.5 +- 0.05,
    // 4.5 standard deviations of Beta(1000, 1000)).
    const std::vector<double> even = shares_of_group_1(d, Batching::mixed, 1000, 40, 25);
    CHECK(fraction_outside(even, 0.45, 0.55) == 0);
}

TEST_CASE("mixed batching: a group that runs out leaves its rows to the others", "[batching]") {
    // 3 rows of group 0 among 100: the draws often ask for more of them than there are.
    Dataset<double> d = two_groups(50);
    for (int i = 0; i < d.rows; ++i) d.group[std::size_t(i)] = i < 3 ? 0 : 1;
    for (int epoch = 0; epoch < 10; ++epoch) {
        const auto batches = epoch_batches(d, Batching::mixed, 10, 2, epoch, 0.3);
        CHECK(is_permutation_of_rows(concatenated(batches), 100));
        REQUIRE(batches.size() == 10);
        for (const auto& b : batches) CHECK(b.size() == 10);
    }
}

TEST_CASE("epoch_batches: fixed by (data, batching, size, seed, epoch) alone", "[batching]") {
    const Dataset<double> d = with_metadata(64);
    for (Batching b : {Batching::shuffle, Batching::ordered, Batching::grouped, Batching::mixed}) {
        INFO("batching " << int(b));
        CHECK(epoch_batches(d, b, 7, 3, 2) == epoch_batches(d, b, 7, 3, 2));
        CHECK(epoch_batches(d, b, 7, 3, 2) != epoch_batches(d, b, 7, 4, 2));
        CHECK(epoch_batches(d, b, 7, 3, 2) != epoch_batches(d, b, 7, 3, 3));
    }
    // Mixed batches follow the concentration, the others ignore it.
    CHECK(epoch_batches(d, Batching::mixed, 7, 3, 2, 0.3) != epoch_batches(d, Batching::mixed, 7, 3, 2, 5));
    CHECK(epoch_batches(d, Batching::grouped, 7, 3, 2, 0.3) == epoch_batches(d, Batching::grouped, 7, 3, 2, 5));
    // The metadata survives subset() and split().
    const auto parts = d.split(0.5, 0.25, 1);
    REQUIRE(parts.first.rows == 32);
    REQUIRE(parts.first.order_key.size() == 32);
    REQUIRE(parts.first.group.size() == 32);
    CHECK(parts.rest.group.size() == std::size_t(parts.rest.rows));
    const std::vector<int> rows = {5, 0, 63};
    const Dataset<double> s = d.subset(rows);
    CHECK(s.order_key == std::vector<double>{5, 0, 0});
    CHECK(s.group == std::vector<int>{9, 9, -2});
}

TEST_CASE("batching without the metadata it needs is refused", "[batching]") {
    Dataset<double> d = with_metadata(20);
    CHECK_THROWS_AS(epoch_batches(d, Batching::ordered, 0, 1, 0), std::invalid_argument);
    d.order_key.pop_back();
    CHECK_THROWS_AS(epoch_batches(d, Batching::ordered, 4, 1, 0), std::invalid_argument);
    CHECK_THROWS_AS(d.subset(std::vector<int>{0}), std::invalid_argument);
    d.order_key.clear();
    d.group.clear();
    CHECK_THROWS_AS(epoch_batches(d, Batching::ordered, 4, 1, 0), std::invalid_argument);
    CHECK_THROWS_AS(epoch_batches(d, Batching::grouped, 4, 1, 0), std::invalid_argument);
    CHECK_THROWS_WITH(epoch_batches(d, Batching::mixed, 4, 1, 0), Catch::Contains("mixed batching needs a group"));
    CHECK(epoch_batches(d, Batching::shuffle, 4, 1, 0).size() == 5);
    for (const double a : {0.0, -1.0, std::numeric_limits<double>::infinity(), std::numeric_limits<double>::quiet_NaN()})
        CHECK_THROWS_WITH(epoch_batches(d, Batching::shuffle, 4, 1, 0, a), Catch::Contains("mix_concentration must be finite and > 0"));

    ModelSpec spec{4, {5}, Activation::relu, 0, synthetic_tasks(), 0};
    Model<double> model(spec, 1);
    auto strategy = make_strategy("equal", 3, 0);
    TrainOptions opt;
    opt.batching = Batching::grouped;
    Trainer<double> trainer(model, *strategy, opt);
    CHECK_THROWS_WITH(trainer.fit(d), Catch::Contains("fit: training data: grouped batching needs a group"));
    opt.mix_concentration = 0;
    CHECK_THROWS_WITH(Trainer<double>(model, *strategy, opt), Catch::Contains("mix_concentration must be finite and > 0"));
    d = with_metadata(20);
    d.order_key[3] = std::numeric_limits<double>::infinity();
    CHECK_THROWS_WITH(d.validate(spec), Catch::Contains("order_key of row 3 is not finite"));
}

TEST_CASE("fit takes its steps over epoch_batches", "[batching]") {
    const Dataset<double> d = with_metadata(60);
    ModelSpec spec{4, {5}, Activation::relu, 0, synthetic_tasks(), 0};
    const Batching batching = GENERATE(Batching::shuffle, Batching::ordered, Batching::grouped, Batching::mixed);
    INFO("batching " << int(batching));
    TrainOptions opt;
    opt.epochs = 2;
    opt.batch_size = 9;
    opt.seed = 4;
    opt.batching = batching;
    opt.mix_concentration = 2;
    auto strategy = make_strategy("equal", 3, 0);
    Model<double> fitted(spec, 2), by_hand(spec, 2);
    {
        Trainer<double> trainer(fitted, *strategy, opt);
        trainer.fit(d);
    }
    {
        Trainer<double> trainer(by_hand, *strategy, opt);
        for (int epoch = 0; epoch < opt.epochs; ++epoch)
            for (const auto& rows : epoch_batches(d, batching, opt.batch_size, opt.seed, epoch, 2)) trainer.step(d, rows);
    }
    CHECK(fitted.snapshot() == by_hand.snapshot());  // bit for bit
    // A different batching takes different steps.
    Model<double> other(spec, 2);
    opt.batching = batching == Batching::shuffle ? Batching::ordered : Batching::shuffle;
    Trainer<double> trainer(other, *strategy, opt);
    trainer.fit(d);
    CHECK(other.snapshot() != fitted.snapshot());
}
