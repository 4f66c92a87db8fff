#include "compare_runs.hpp"

#include <atomic>
#include <chrono>
#include <exception>
#include <mutex>
#include <sstream>
#include <thread>

#include "data_setup.hpp"
#include "precision.hpp"
#include "progress.hpp"

namespace hyda::cli {
namespace {

// What every method of one seed shares.
template <class T>
struct SeedData {
    mtl::Preprocessor pre;
    mtl::ModelSpec spec;
    Encoded<T> data;
};

template <class T>
CompareRuns run_all(const CompareSetup& c, std::ostream* progress) {
    std::vector<SeedData<T>> seeds;
    const mtl::DataSpec spec = data_spec(c.data);
    for (const std::uint64_t seed : c.seeds) {
        const Parts parts = split_rows(c.table, c.data, seed);
        mtl::Preprocessor pre = mtl::Preprocessor::fit(c.table, spec, parts[0]);
        mtl::ModelSpec model = model_spec(c.setup, pre);
        Encoded<T> data = encode<T>(pre, c.table, parts, c.data, c.setup);
        seeds.push_back({std::move(pre), std::move(model), std::move(data)});
    }
    CompareRuns out;
    out.tasks = seeds.at(0).spec.tasks;
    const std::size_t S = c.seeds.size(), total = c.methods.size() * S;
    out.runs.resize(total);

    std::atomic<std::size_t> next{0};
    std::atomic<bool> failed{false};
    std::exception_ptr error;
    std::mutex mutex;  // guards error, done and the progress stream
    std::size_t done = 0;
    const auto start = std::chrono::steady_clock::now();
    auto work = [&] {
        for (std::size_t i; !failed && (i = next++) < total;) {
            RunRecord& r = out.runs[i];
            r.method = i / S;
            r.seed = i % S;
            try {
                const SeedData<T>& d = seeds[r.seed];
                const Method& method = c.methods[r.method];
                std::ostringstream trace;
                const bool traced = r.seed < c.traced_seeds;
                mtl::Model<T> model(d.spec, c.seeds[r.seed]);
                r.report = train_and_evaluate(model, d.data, {c.setup, method, c.seeds[r.seed], traced ? &trace : nullptr, {}});
                r.trace = trace.str();
                std::lock_guard lock(mutex);
                ++done;
                if (!progress) continue;
                const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
                *progress << "compare: " << done << "/" << total << " runs (" << method.label << " seed " << c.seeds[r.seed] << ": "
                         << r.report.epochs() << " epochs, " << duration_text(r.report.seconds) << ")";
                if (done < total) *progress << ", about " << duration_text(elapsed / double(done) * double(total - done)) << " left";
                *progress << std::endl;
            } catch (...) {
                std::lock_guard lock(mutex);
                if (!failed.exchange(true)) error = std::current_exception();
            }
        }
    };
    std::vector<std::thread> workers;
    const int threads = int(std::min<std::size_t>(std::size_t(std::max(1, c.jobs)), total));
    for (int t = 1; t < threads; ++t) workers.emplace_back(work);
    work();
    for (auto& w : workers) w.join();
    if (error) std::rethrow_exception(error);
    return out;
}

}  // namespace

CompareRuns run_compare(const CompareSetup& c, std::ostream* progress) {
    return with_precision(c.data.precision, [&](auto tag) { return run_all<decltype(tag)>(c, progress); });
}

}  // namespace hyda::cli
