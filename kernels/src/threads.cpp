// A persistent pool: workers wait on a generation counter (spinning briefly, then
// sleeping on it), claim tasks from a shared ticket until none is left, and report
// back through a counter.
//
// Resizing takes the lock a threaded region holds, so it waits for a running region to
// end (a region keeps the workers it started with); from inside a region it would wait
// forever, so there it throws. An exception thrown by a task is caught on its thread,
// the region's remaining tasks are skipped, and the caller rethrows the first exception
// once every claimed task is done: no thread keeps a reference to the task afterwards.
#include "hyda/kernels/threads.hpp"

#include <atomic>
#include <charconv>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "parallel.hpp"

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

    // Read by every kernel call, on any thread, while resize() may run: hence an atomic
    // copy of the worker count rather than workers_.size().
    int size() const { return size_.load(std::memory_order_relaxed); }

    std::uint64_t threaded_regions() const { return threaded_regions_.load(std::memory_order_relaxed); }

    void resize(int threads) {
        if (in_region_) throw std::logic_error("set_num_threads: called from inside a parallel region");
        std::lock_guard lock(run_mutex_);
        if (threads == size()) return;
        stop_workers();
        stop_.store(false);
        // Workers start from the current generation, so none can miss the next run.
        const unsigned start = generation_.load();
        for (int w = 1; w < threads; ++w) workers_.emplace_back([this, start] { work(start); });
        size_.store(threads, std::memory_order_relaxed);
    }

    void run(int n_tasks, detail::TaskRef task) {
        // The caller runs inline if it is itself inside a region (a pool worker, or a task
        // on the calling thread) or another thread's region is active.
        std::unique_lock<std::mutex> lock;
        if (!in_region_) lock = std::unique_lock(run_mutex_, std::try_to_lock);
        const RegionScope scope;
        if (!lock.owns_lock() || workers_.empty() || n_tasks <= 1) {
            for (int t = 0; t < n_tasks; ++t) task(t);
            return;
        }
        if (n_tasks > kMaxTasks) throw std::length_error("parallel_for: too many tasks");
        threaded_regions_.fetch_add(1, std::memory_order_relaxed);
        task_ = &task;
        failed_.store(false, std::memory_order_relaxed);
        error_ = nullptr;
        done_.store(0, std::memory_order_relaxed);
        run_ = (run_ + 1) & kRunMask;
        ticket_.store((run_ << 40) | (std::uint64_t(n_tasks) << 20), std::memory_order_release);
        generation_.fetch_add(1, std::memory_order_release);
        generation_.notify_all();
        claim_tasks(run_);
        // Pause while spinning (it frees the core's pipeline for its sibling thread), and
        // yield after a while in case a worker holding the last task was descheduled.
        for (int spin = 0; done_.load(std::memory_order_acquire) != n_tasks; ++spin) {
            if (spin < kSpinsBeforeYield) {
                cpu_pause();
            } else {
                std::this_thread::yield();
            }
        }
        // done_ was released by every task after it recorded any error: error_ is visible.
        if (error_ != nullptr) std::rethrow_exception(error_);
    }

private:
    // A ticket packs (run, number of tasks, next task) so that a worker waking late,
    // after its run is over, cannot claim a task of the next run.
    static constexpr int kMaxTasks = (1 << 20) - 1;
    static constexpr std::uint64_t kRunMask = (std::uint64_t(1) << 24) - 1;
    static constexpr int kSpinsBeforeYield = 1000;  // about 30 us on the development machine

    static void cpu_pause() {
#if defined(__x86_64__) || defined(__i386__)
        __builtin_ia32_pause();
#else
        std::this_thread::yield();
#endif
    }

    // Claims and runs tasks of run `run` until none is left. Tasks are fixed pieces of
    // work, so which thread runs which task never changes a result; a busy core just
    // leaves more of them to the others.
    void claim_tasks(std::uint64_t run) {
        std::uint64_t ticket = ticket_.load(std::memory_order_acquire);
        for (;;) {
            const std::uint64_t next = ticket & kMaxTasks, n = (ticket >> 20) & kMaxTasks;
            if ((ticket >> 40) != run || next >= n) return;
            if (ticket_.compare_exchange_weak(ticket, ticket + 1, std::memory_order_acq_rel)) {
                // After a failure the rest are claimed but skipped: the region's result is
                // lost anyway, and every task must still count as done.
                if (!failed_.load(std::memory_order_relaxed)) run_task(int(next));
                done_.fetch_add(1, std::memory_order_release);
                ticket = ticket_.load(std::memory_order_acquire);
            }
        }
    }

    // Marks the calling thread as running tasks (so that set_num_threads there throws)
    // until the end of the scope.
    class RegionScope {
    public:
        RegionScope() : outer_(in_region_) { in_region_ = true; }
        ~RegionScope() { in_region_ = outer_; }
        RegionScope(const RegionScope&) = delete;
        RegionScope& operator=(const RegionScope&) = delete;

    private:
        bool outer_;
    };

    // Runs one task; its exception, if the region's first, is kept for the caller.
    void run_task(int t) {
        try {
            (*task_)(t);
        } catch (...) {
            if (!failed_.exchange(true, std::memory_order_relaxed)) error_ = std::current_exception();
        }
    }

    void work(unsigned seen) {
        in_region_ = true;  // a worker is always inside a region
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
    std::atomic<int> size_{1};  // workers_.size() + 1, written under run_mutex_
    std::atomic<bool> failed_{false};  // a task of the current region threw
    std::exception_ptr error_;  // its exception, written by the thread that set failed_
    const detail::TaskRef* task_ = nullptr;
    std::uint64_t run_ = 0;
    static thread_local bool in_region_;  // this thread runs tasks of a region
};

thread_local bool Pool::in_region_ = false;

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
