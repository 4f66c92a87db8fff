// Inference from many threads at once (model.hpp: a const Model is safe to share): four
// threads encode the same const Table with the same const Preprocessor, then predict and
// evaluate with the same const Models, all at once, on 2 kernel threads, so that the call
// that gets the pool runs threaded while the others, finding it busy, run inline. Every
// result must equal, bit for bit, the one computed alone on 1 thread. The TSan build runs
// this test too (tests/CMakeLists.txt), which checks the sharing for data races.
#include <catch2/catch.hpp>

#include <cstring>
#include <exception>
#include <latch>
#include <numeric>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "hyda/autodiff/random.hpp"
#include "hyda/kernels/threads.hpp"
#include "hyda/mtl/model_file.hpp"
#include "hyda/mtl/preprocess.hpp"
#include "hyda/mtl/trainer.hpp"

using namespace hyda::mtl;

namespace {

// 1200 rows (predict's chunks of 1024 rows, and a part chunk): 12 numeric features (one
// with missing fields), a categorical one, and binary, regression and multiclass targets.
Table make_table() {
    hyda::ad::Rng rng(7);
    std::ostringstream csv;
    csv << "x1,x2,x3,x4,x5,x6,x7,x8,x9,x10,x11,x12,color,y,r,k\n";
    const char* colors[] = {"red", "green", "blue"};
    for (int i = 0; i < 1200; ++i) {
        double s = 0;
        for (int j = 0; j < 12; ++j) {
            const double x = rng.normal();
            s += x;
            if (j > 0) csv << ',';
            if (j != 3 || rng.below(8) != 0) csv << x;
        }
        csv << ',' << colors[rng.below(3)] << ',' << (s + rng.normal() > 0 ? "yes" : "no") << ',' << 3 * s + rng.normal() << ','
            << "ABC"[rng.below(3)] << '\n';
    }
    std::istringstream in(csv.str());
    return read_table(in, "concurrent.csv");
}

// What one thread computes: the encoding, then per model the predictions and metrics.
struct Results {
    Dataset<float> data;
    std::vector<std::vector<std::vector<double>>> predictions;
    std::vector<std::vector<TaskMetrics>> metrics;
};

Results infer(const Table& table, const std::vector<int>& rows, const Preprocessor& p, const std::vector<Model<float>>& models) {
    Results r{p.transform<float>(table, rows), {}, {}};
    for (const Model<float>& model : models) {
        r.predictions.push_back(predict(model, r.data));
        r.metrics.push_back(evaluate(model, r.data));
    }
    return r;
}

template <class T>
bool same_bits(const std::vector<T>& a, const std::vector<T>& b) {
    return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(T)) == 0;
}

bool same_bits(const std::optional<double>& a, const std::optional<double>& b) {
    return a.has_value() == b.has_value() && (!a || std::memcmp(&*a, &*b, sizeof(double)) == 0);
}

void check_same(const Results& got, const Results& want) {
    CHECK(same_bits(got.data.x, want.data.x));
    REQUIRE(got.data.labels.size() == want.data.labels.size());
    for (std::size_t k = 0; k < want.data.labels.size(); ++k) CHECK(same_bits(got.data.labels[k], want.data.labels[k]));
    REQUIRE(got.predictions.size() == want.predictions.size());
    for (std::size_t m = 0; m < want.predictions.size(); ++m) {
        for (std::size_t k = 0; k < want.predictions[m].size(); ++k) CHECK(same_bits(got.predictions[m][k], want.predictions[m][k]));
        REQUIRE(got.metrics[m].size() == want.metrics[m].size());
        for (std::size_t k = 0; k < want.metrics[m].size(); ++k) {
            const auto &g = got.metrics[m][k].values, &w = want.metrics[m][k].values;
            REQUIRE(g.size() == w.size());
            for (std::size_t i = 0; i < w.size(); ++i) {
                CHECK(g[i].first == w[i].first);
                CHECK(same_bits(g[i].second, w[i].second));
            }
        }
    }
}

// Every row of the table, and the preprocessing fitted on them for its three targets.
std::vector<int> all_rows(const Table& table) {
    std::vector<int> rows(std::size_t(table.rows()));
    std::iota(rows.begin(), rows.end(), 0);
    return rows;
}

Preprocessor fitted(const Table& table) {
    DataSpec spec;
    spec.targets = {parse_target("y=yes"), parse_target("r:regression"), parse_target("k:multiclass")};
    return Preprocessor::fit(table, spec, all_rows(table));
}

}  // namespace

TEST_CASE("inference: threads sharing a const Table, Preprocessor and Models get the single-threaded results bit for bit",
          "[concurrent]") {
    const Table table = make_table();
    const std::vector<int> rows = all_rows(table);
    const Preprocessor p = fitted(table);
    // Trunk layers of 128 on chunks of 1024 rows: a 33 MFLOP GEMM and 131072-element
    // activations, above the kernels' threading thresholds. MMoE adds the gating ops.
    ModelSpec hps;
    hps.inputs = p.inputs();
    hps.trunk = {128, 128};
    hps.tasks = p.tasks();
    ModelSpec mmoe = hps;
    mmoe.arch = Architecture::mmoe;
    mmoe.experts = 2;
    const std::vector<Model<float>> models = {Model<float>(hps, 1), Model<float>(mmoe, 2)};

    const int threads_before = hyda::num_threads();
    hyda::set_num_threads(1);
    const Results alone = infer(table, rows, p, models);

    hyda::set_num_threads(2);
    constexpr int kThreads = 4, kRounds = 2;
    std::vector<std::vector<Results>> got(kThreads);
    std::vector<std::exception_ptr> errors(kThreads);
    std::latch start(kThreads);
    const std::uint64_t regions = hyda::threaded_regions();
    {
        std::vector<std::jthread> workers;
        for (int t = 0; t < kThreads; ++t)
            workers.emplace_back([&, t] {
                start.arrive_and_wait();
                try {
                    for (int round = 0; round < kRounds; ++round) got[std::size_t(t)].push_back(infer(table, rows, p, models));
                } catch (...) {
                    errors[std::size_t(t)] = std::current_exception();
                }
            });
    }
    const std::uint64_t threaded = hyda::threaded_regions() - regions;
    hyda::set_num_threads(threads_before);

    for (const std::exception_ptr& e : errors)
        if (e) std::rethrow_exception(e);
    CHECK(threaded > 0);  // some calls reached the pool (the others ran inline beside them)
    for (const std::vector<Results>& thread : got) {
        REQUIRE(thread.size() == std::size_t(kRounds));
        for (const Results& r : thread) check_same(r, alone);
    }
}

TEST_CASE("inference: threads sharing one Predictor (a loaded model file) get the single-threaded results bit for bit", "[concurrent]") {
    const Table table = make_table();
    const std::vector<int> rows = all_rows(table);
    const Preprocessor p = fitted(table);
    ModelSpec hps;
    hps.inputs = p.inputs();
    hps.trunk = {128, 128};
    hps.tasks = p.tasks();
    const Predictor predictor(decode_model(encode_model(model_file_of(Model<float>(hps, 3), p, "")), "m.model"), "m.model");

    const int threads_before = hyda::num_threads();
    hyda::set_num_threads(1);
    const auto alone = predictor.predict(table, rows);
    hyda::set_num_threads(2);
    constexpr int kThreads = 4;
    std::vector<std::vector<std::vector<double>>> got(kThreads);
    std::latch start(kThreads);
    const std::uint64_t regions = hyda::threaded_regions();
    {
        std::vector<std::jthread> workers;
        for (int t = 0; t < kThreads; ++t)
            workers.emplace_back([&, t] {
                start.arrive_and_wait();
                got[std::size_t(t)] = predictor.predict(table, rows);
            });
    }
    const std::uint64_t threaded = hyda::threaded_regions() - regions;
    hyda::set_num_threads(threads_before);
    CHECK(threaded > 0);
    for (const auto& g : got) {
        REQUIRE(g.size() == alone.size());
        for (std::size_t k = 0; k < alone.size(); ++k) CHECK(same_bits(g[k], alone[k]));
    }
}
