// The thread pool: exceptions thrown by tasks reach the caller and leave the pool usable,
// the pool may be resized while other threads run kernels, and a task cannot resize it.
// Every test here runs threaded regions: the [threads] tag puts them in the TSan build.
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <exception>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "hyda/kernels/elementwise.hpp"
#include "kernel_matrix.hpp"
#include "parallel.hpp"

namespace {

using hyda::detail::parallel_for;

// Blocks until `count` tasks have arrived. The caller cannot take a second task while it
// waits in its first, so a region of `count` tasks that passes it ran on `count` threads.
// Gives up after 10 s (the region then ran inline; the tests' counter checks catch that).
class Barrier {
public:
    explicit Barrier(int count) : count_(count) {}
    void arrive_and_wait() {
        arrived_.fetch_add(1);
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
        while (arrived_.load() < count_ && std::chrono::steady_clock::now() < deadline) std::this_thread::yield();
    }

private:
    const int count_;
    std::atomic<int> arrived_{0};
};

// A region of `n` tasks that squares each task index, checked; proves the pool still works.
void check_region_runs(int n) {
    std::vector<int> out(std::size_t(n), -1);
    auto task = [&](int t) { out[std::size_t(t)] = t * t; };
    const std::uint64_t before = hyda::threaded_regions();
    parallel_for(n, task);
    CHECK(hyda::threaded_regions() == before + 1);
    for (int t = 0; t < n; ++t) REQUIRE(out[std::size_t(t)] == t * t);
}

std::string message_of(const std::exception_ptr& e) {
    try {
        std::rethrow_exception(e);
    } catch (const std::exception& x) {
        return x.what();
    }
}

}  // namespace

TEST_CASE("an exception thrown by a task on a pool worker reaches the caller", "[threads]") {
    hyda::test::KernelSettingsGuard guard;
    hyda::set_num_threads(2);
    const std::thread::id caller = std::this_thread::get_id();
    Barrier both(2);
    auto task = [&](int t) {
        both.arrive_and_wait();
        if (std::this_thread::get_id() != caller) throw std::runtime_error("task " + std::to_string(t) + " failed on a worker");
    };
    const std::uint64_t before = hyda::threaded_regions();
    REQUIRE_THROWS_WITH(parallel_for(2, task), Catch::Contains("failed on a worker"));
    REQUIRE(hyda::threaded_regions() == before + 1);
    check_region_runs(64);
}

TEST_CASE("an exception thrown by a task on the caller waits for the workers' tasks", "[threads]") {
    hyda::test::KernelSettingsGuard guard;
    hyda::set_num_threads(2);
    const std::thread::id caller = std::this_thread::get_id();
    Barrier both(2);
    std::atomic<bool> worker_finished{false};
    auto task = [&](int) {
        both.arrive_and_wait();
        if (std::this_thread::get_id() == caller) throw std::runtime_error("the caller's task failed");
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        worker_finished.store(true);
    };
    const std::uint64_t before = hyda::threaded_regions();
    REQUIRE_THROWS_WITH(parallel_for(2, task), "the caller's task failed");
    REQUIRE(hyda::threaded_regions() == before + 1);
    CHECK(worker_finished.load());  // the task (and what it refers to) outlived no region
    check_region_runs(64);
}

TEST_CASE("the first exception of a region reaches the caller whichever thread ran its task", "[threads]") {
    hyda::test::KernelSettingsGuard guard;
    hyda::set_num_threads(2);
    for (int bad : {0, 17, 63}) {
        INFO("throwing task = " << bad);
        std::atomic<int> ran{0};
        auto task = [&](int t) {
            ran.fetch_add(1);
            std::this_thread::sleep_for(std::chrono::microseconds(200));  // lets the worker join in
            if (t == bad) throw std::out_of_range("task " + std::to_string(t));
        };
        const std::uint64_t before = hyda::threaded_regions();
        std::exception_ptr error;
        try {
            parallel_for(64, task);
        } catch (...) {
            error = std::current_exception();
        }
        REQUIRE(error != nullptr);
        CHECK(message_of(error) == "task " + std::to_string(bad));
        CHECK(hyda::threaded_regions() == before + 1);
        CHECK(ran.load() >= 1);  // tasks after the failure may be skipped
        check_region_runs(64);
    }
}

TEST_CASE("a task cannot resize the pool it runs on", "[threads]") {
    hyda::test::KernelSettingsGuard guard;
    hyda::set_num_threads(2);
    Barrier both(2);
    auto task = [&](int) {
        both.arrive_and_wait();
        hyda::set_num_threads(1);  // would wait for the region it runs in to end
    };
    REQUIRE_THROWS_AS(parallel_for(2, task), std::logic_error);
    CHECK(hyda::num_threads() == 2);
    check_region_runs(64);
}

TEST_CASE("the pool can be resized while another thread runs kernels", "[threads]") {
    hyda::test::KernelSettingsGuard guard;
    hyda::set_num_threads(1);
    constexpr std::size_t n = 1 << 18;  // above the size from which maps use several threads
    const std::vector<float> x(n, 1.5f);
    std::atomic<bool> stop{false};
    std::atomic<int> bad_sizes{0}, bad_results{0};
    std::thread user([&] {
        std::vector<float> y(n);
        while (!stop.load()) {
            const int size = hyda::num_threads();
            if (size != 1 && size != 3) bad_sizes.fetch_add(1);
            hyda::scale(n, 2.0f, x.data(), y.data());
            if (y.front() != 3.0f || y.back() != 3.0f) bad_results.fetch_add(1);
        }
    });
    for (int i = 0; i < 100; ++i) {
        hyda::set_num_threads(i % 2 == 0 ? 3 : 1);
        std::this_thread::sleep_for(std::chrono::microseconds(100));
    }
    stop.store(true);
    user.join();
    CHECK(bad_sizes.load() == 0);
    CHECK(bad_results.load() == 0);
}
