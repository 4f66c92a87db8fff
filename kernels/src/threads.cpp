// A persistent pool: workers wait on a generation counter (spinning briefly, then
// sleeping on it), claim tasks from a shared ticket until none is left, and report
// back through a counter.
#include "hyda/kernels/threads.hpp"
#include "parallel.hpp"

#include <atomic>
#include <charconv>
#include <cstdint>
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

    std::uint64_t threaded_regions() const { return threaded_regions_.load(std::memory_order_relaxed); }

    void resize(int threads) {
        std::lock_guard lock(run_mutex_);
        if (threads == size()) return;
        stop_workers();
        stop_.store(false);
        // Workers start from the current generation, so none can miss the next run.
        const unsigned start = generation_.load();
        for (int w = 1; w < threads; ++w) workers_.emplace_back([this, start] { work(start); });
    }

    void run(int n_tasks, detail::TaskRef task) {
        // The caller runs inline if it is itself a pool worker or another run is active.
        std::unique_lock lock(run_mutex_, std::try_to_lock);
        if (in_worker_ || !lock.owns_lock() || workers_.empty() || n_tasks <= 1) {
            for (int t = 0; t < n_tasks; ++t) task(t);
            return;
        }
        if (n_tasks > kMaxTasks) throw std::length_error("parallel_for: too many tasks");
        threaded_regions_.fetch_add(1, std::memory_order_relaxed);
        task_ = &task;
        done_.store(0, std::memory_order_relaxed);
        run_ = (run_ + 1) & kRunMask;
        ticket_.store((run_ << 40) | (std::uint64_t(n_tasks) << 20), std::memory_order_release);
        generation_.fetch_add(1, std::memory_order_release);
        generation_.notify_all();
        claim_tasks(run_);
        while (done_.load(std::memory_order_acquire) != n_tasks) {
        }
    }

private:
    // A ticket packs (run, number of tasks, next task) so that a worker waking late,
    // after its run is over, cannot claim a task of the next run.
    static constexpr int kMaxTasks = (1 << 20) - 1;
    static constexpr std::uint64_t kRunMask = (std::uint64_t(1) << 24) - 1;

    // Claims and runs tasks of run `run` until none is left. Tasks are fixed pieces of
    // work, so which thread runs which task never changes a result; a busy core just
    // leaves more of them to the others.
    void claim_tasks(std::uint64_t run) {
        std::uint64_t ticket = ticket_.load(std::memory_order_acquire);
        for (;;) {
            const std::uint64_t next = ticket & kMaxTasks, n = (ticket >> 20) & kMaxTasks;
            if ((ticket >> 40) != run || next >= n) return;
            if (ticket_.compare_exchange_weak(ticket, ticket + 1, std::memory_order_acq_rel)) {
                (*task_)(int(next));
                done_.fetch_add(1, std::memory_order_release);
                ticket = ticket_.load(std::memory_order_acquire);
            }
        }
    }

    void work(unsigned seen) {
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
            claim_tasks(ticket_.load(std::memory_order_acquire) >> 40);
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
    std::atomic<std::uint64_t> ticket_{0};
    std::atomic<int> done_{0};
    std::atomic<bool> stop_{false};
    std::atomic<std::uint64_t> threaded_regions_{0};
    const detail::TaskRef* task_ = nullptr;
    std::uint64_t run_ = 0;
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

std::uint64_t threaded_regions() { return pool().threaded_regions(); }

namespace detail {
void parallel_for(int n_tasks, TaskRef task) { pool().run(n_tasks, task); }
}  // namespace detail

}  // namespace hyda
