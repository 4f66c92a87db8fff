#pragma once
// The kernels' persistent thread pool.
//
// Work is always split statically into pieces that do not depend on the thread count
// (see gemm.hpp), so results are bitwise identical for any number of threads.
#include <cstddef>
#include <cstdint>
#include <type_traits>
#include <utility>

namespace hyda {

// Number of threads the kernels may use (>= 1). The initial value comes from the
// environment variable HYDA_NUM_THREADS, else the number of hardware threads.
int num_threads();

// Sets it; n < 1 throws std::invalid_argument.
void set_num_threads(int n);

// How many parallel regions so far handed tasks to pool workers (rather than running
// inline). Tests read it before and after a call to prove that a threaded path ran.
std::uint64_t threaded_regions();

namespace detail {

// A non-owning reference to a callable `void(int task)`, cheap to pass across the pool.
class TaskRef {
public:
    template <class F>
        requires(!std::is_same_v<std::remove_cvref_t<F>, TaskRef>)
    TaskRef(F& f) : object_(&f), call_([](void* o, int t) { (*static_cast<F*>(o))(t); }) {}
    void operator()(int task) const { call_(object_, task); }

private:
    void* object_;
    void (*call_)(void*, int);
};

// Runs task(0..n_tasks-1) on up to num_threads() threads (the caller takes part) and
// returns when all are done. Threads claim tasks as they come free, so each task must be
// a fixed piece of work whose result does not depend on the thread that runs it.
// Calls from inside a task (or while another call runs) run inline on the caller.
void parallel_for(int n_tasks, TaskRef task);

}  // namespace detail
}  // namespace hyda
