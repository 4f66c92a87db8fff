// Fingerprints of everything a seed decides: the split, the synthetic data, the initial
// parameters and the epoch batch order. Each is a 64-bit FNV-1a hash computed once and
// pasted here, so a change in any generator or transform (random.hpp, init.cpp,
// dataset.cpp) that alters what a seed gives fails this test.
//
// When such a change is intended (a better transform, a new draw order), update the
// fingerprints in the same commit and say so in its message: results published with the
// old seeds no longer reproduce, and the commit is where a reader finds out why.
// experiments/fingerprints.py recomputes the split, batch-order and init fingerprints
// in Python from the documented algorithms.
//
// Values are rounded to 1e-6 before hashing, so that a math library rounding std::log or
// std::cos differently in the last bit (Rng::normal) does not change a fingerprint.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <numeric>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "hyda/autodiff/random.hpp"
#include "hyda/mtl/dataset.hpp"
#include "hyda/mtl/model.hpp"

using namespace hyda;
using namespace hyda::mtl;

namespace {

// FNV-1a, 64 bits (Fowler, Noll & Vo): for each byte, h = (h ^ byte) * 0x100000001b3.
struct Fnv1a {
    std::uint64_t h = 0xcbf29ce484222325ull;
    void byte(unsigned char c) { h = (h ^ c) * 0x100000001b3ull; }
    // An integer as 8 bytes, least significant first: the same on every platform.
    void add(std::int64_t v) {
        for (int i = 0; i < 8; ++i) byte(static_cast<unsigned char>(std::uint64_t(v) >> (8 * i)));
    }
    // A value rounded to 1e-6; NaN (a missing label) as a value no rounding gives.
    void add_rounded(double v) { add(std::isnan(v) ? std::numeric_limits<std::int64_t>::min() : std::llround(v * 1e6)); }
};

// Fingerprints compare as hex strings, so a failure prints the new value to paste.
std::string hex(std::uint64_t h) {
    char buf[17];
    std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
    return buf;
}

std::uint64_t hash_string(std::string_view s) {
    Fnv1a f;
    for (char c : s) f.byte(static_cast<unsigned char>(c));
    return f.h;
}

// The rows of each part of Dataset::split, read from a feature that holds each row's index.
std::vector<std::vector<int>> split_rows(int rows, double first, double second, std::uint64_t seed) {
    Dataset<float> d;
    d.rows = rows;
    d.features = 1;
    d.x.resize(std::size_t(rows));
    std::iota(d.x.begin(), d.x.end(), 0.0f);
    const auto parts = d.split(first, second, seed);
    std::vector<std::vector<int>> out;
    for (const Dataset<float>* p : {&parts.first, &parts.second, &parts.rest}) out.emplace_back(p->x.begin(), p->x.end());
    return out;
}

ModelSpec small_spec(Init init) {
    ModelSpec spec;
    spec.inputs = 16;
    spec.trunk = {64, 64};
    spec.tasks = synthetic_tasks();
    spec.tasks[1].head_hidden = {8};
    spec.init = init;
    return spec;
}

}  // namespace

TEST_CASE("the fingerprint hash is FNV-1a 64", "[reproducibility]") {
    // Test vectors of the FNV reference (http://www.isthe.com/chongo/tech/comp/fnv/).
    CHECK(hash_string("") == 0xcbf29ce484222325ull);
    CHECK(hash_string("a") == 0xaf63dc4c8601ec8cull);
    CHECK(hash_string("foobar") == 0x85944171f73967e8ull);
}

TEST_CASE("a seed gives the same split", "[reproducibility]") {
    const auto parts = split_rows(1000, 0.6, 0.2, 42);
    REQUIRE(parts[0].size() == 600);
    REQUIRE(parts[1].size() == 200);
    REQUIRE(parts[2].size() == 200);
    std::vector<int> all;
    for (const auto& p : parts) all.insert(all.end(), p.begin(), p.end());
    std::sort(all.begin(), all.end());
    std::vector<int> expected(1000);
    std::iota(expected.begin(), expected.end(), 0);
    CHECK(all == expected);  // every row in exactly one part

    Fnv1a f;
    for (const auto& p : parts) {
        f.add(std::int64_t(p.size()));
        for (int r : p) f.add(r);
    }
    CHECK(hex(f.h) == "2253034396f551c7");
    CHECK(split_rows(1000, 0.6, 0.2, 43) != parts);
}

TEST_CASE("a seed gives the same synthetic data", "[reproducibility]") {
    const Dataset<float> d = make_synthetic<float>(SyntheticSpec{});
    Fnv1a labels, features;
    for (const auto& column : d.labels)
        for (float y : column) labels.add_rounded(y);
    for (float x : d.x) features.add_rounded(x);
    CHECK(hex(labels.h) == "18f8b5aaec90353c");
    CHECK(hex(features.h) == "d1d105cfb35f0a95");
}

TEST_CASE("a seed gives the same initial parameters, for every init", "[reproducibility]") {
    const Init init = GENERATE(Init::he_xavier, Init::fan_in_uniform, Init::xavier);
    const char* expected[] = {"8ced719cc9d6d7a1", "7a2b6c75797a6ed0", "e1bab845ed5bc500"};  // he_xavier, fan_in_uniform, xavier
    Fnv1a f;
    for (const auto& p : Model<float>(small_spec(init), 7).snapshot())
        for (float v : p) f.add_rounded(v);
    INFO("init " << int(init));
    CHECK(hex(f.h) == expected[int(init)]);
}

TEST_CASE("a seed gives the same epoch batch order", "[reproducibility]") {
    Fnv1a f;
    for (int epoch = 0; epoch < 3; ++epoch)
        for (int r : epoch_order(1000, 11, epoch)) f.add(r);
    CHECK(hex(f.h) == "cac92ee09d819959");
}

TEST_CASE("epoch_order: a permutation fixed by (seed, epoch) alone", "[reproducibility]") {
    const std::vector<int> order = epoch_order(500, 3, 4);
    std::vector<int> sorted = order, identity(500);
    std::sort(sorted.begin(), sorted.end());
    std::iota(identity.begin(), identity.end(), 0);
    CHECK(sorted == identity);
    CHECK(order != identity);
    CHECK(epoch_order(500, 3, 4) == order);  // no hidden state: the same call, the same order
    CHECK(epoch_order(500, 3, 5) != order);
    CHECK(epoch_order(500, 4, 4) != order);
    // Not Rng(seed)'s own permutation, which other draws from Rng(seed) would repeat.
    std::vector<int> plain = identity;
    ad::Rng rng(3);
    ad::shuffle(plain.begin(), plain.end(), rng);
    CHECK(epoch_order(500, 3, 0) != plain);

    CHECK(epoch_order(0, 3, 0).empty());
    CHECK(epoch_order(1, 3, 0) == std::vector<int>{0});
    CHECK_THROWS_AS(epoch_order(-1, 3, 0), std::invalid_argument);
    CHECK_THROWS_AS(epoch_order(5, 3, -1), std::invalid_argument);
}
