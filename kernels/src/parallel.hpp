#pragma once
// Internal: the kernels' parallel loop over the pool of threads.cpp. Only kernels hand
// work to the pool; the public threads.hpp just sizes it.
#include <type_traits>

#include "hyda/kernels/threads.hpp"

namespace hyda::detail {

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

}  // namespace hyda::detail
