// A persistent pool: workers wait on a generation counter (spinning briefly, then
// sleeping on it), run their share of the tasks, and report back through a counter.
#include "hyda/kernels/threads.hpp"

#include <atomic>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace hyda {
namespace {

int threads_from_environment() {
    const char* env = std::getenv("HYDA_NUM_THREADS");
    if (env != nullptr && *env != '\0') {
        int n = 0;
        const auto [end, ec] = std::from_chars(env, env + std::strlen(env), n);
        if (ec != std::errc() || *end != '\0' || n < 1) {
            throw std::invalid_argument(std::string("HYDA_NUM_THREADS must be a positive integer, got '") + env + "'");
        }
        return n;
    }
    return std::max(1u, std::thread::hardware_concurrency());
}

class Pool {
public:
    explicit Pool(int threads) { resize(threads); }
    ~Pool() { stop_workers(); }

    int size() const { return int(workers_.size()) + 1; }

    void resize(int threads) {
        std::lock_guard lock(run_mutex_);
        if (threads == size()) return;
        stop_workers();
        stop_.store(false);
        // Workers start from the current generation, so none can miss the next run.
        const unsigned start = generation_.load();
        for (int w = 1; w < threads; ++w) workers_.emplace_back([this, w, start] { work(w, start); });
    }

    void run(int n_tasks, detail::TaskRef task) {
        // The caller runs inline if it is itself a pool worker or another run is active.
        std::unique_lock lock(run_mutex_, std::try_to_lock);
        if (in_worker_ || !lock.owns_lock() || workers_.empty() || n_tasks <= 1) {
            for (int t = 0; t < n_tasks; ++t) task(t);
            return;
        }
        task_ = &task;
        n_tasks_ = n_tasks;
        pending_.store(int(workers_.size()), std::memory_order_relaxed);
        generation_.fetch_add(1, std::memory_order_release);
        generation_.notify_all();
        run_share(0);
        while (pending_.load(std::memory_order_acquire) != 0) {
        }
        task_ = nullptr;
    }

private:
    void run_share(int thread) {
        for (int t = thread; t < n_tasks_; t += size()) (*task_)(t);
    }

    void work(int thread, unsigned seen) {
        in_worker_ = true;
        for (;;) {
            // Spin a little: the next parallel region usually follows within microseconds.
            unsigned now = seen;
            for (int spin = 0; spin < 20000 && now == seen; ++spin) now = generation_.load(std::memory_order_acquire);
            while (now == seen) {
                generation_.wait(seen, std::memory_order_acquire);
                now = generation_.load(std::memory_order_acquire);
            }
            seen = now;
            if (stop_.load(std::memory_order_acquire)) return;
            run_share(thread);
            pending_.fetch_sub(1, std::memory_order_acq_rel);
        }
    }

    void stop_workers() {
        stop_.store(true, std::memory_order_release);
        generation_.fetch_add(1, std::memory_order_release);
        generation_.notify_all();
        for (auto& w : workers_) w.join();
        workers_.clear();
    }

    std::vector<std::thread> workers_;
    std::mutex run_mutex_;
    std::atomic<unsigned> generation_{0};
    std::atomic<int> pending_{0};
    std::atomic<bool> stop_{false};
    const detail::TaskRef* task_ = nullptr;
    int n_tasks_ = 0;
    static thread_local bool in_worker_;
};

thread_local bool Pool::in_worker_ = false;

Pool& pool() {
    static Pool p(threads_from_environment());
    return p;
}

}  // namespace

int num_threads() { return pool().size(); }

void set_num_threads(int n) {
    if (n < 1) throw std::invalid_argument("set_num_threads: n must be >= 1, got " + std::to_string(n));
    pool().resize(n);
}

namespace detail {
void parallel_for(int n_tasks, TaskRef task) { pool().run(n_tasks, task); }
}  // namespace detail

}  // namespace hyda
