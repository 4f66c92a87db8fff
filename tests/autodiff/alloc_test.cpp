// A warmed-up training step (tape, forward, backward or backward_multi + combine,
// optimizer step) performs no heap allocation, on 1 and 2 threads, also through the
// gated architectures of hyda::mtl's Model (MMoE, PLE); training gives
// bitwise identical parameters on 1 and 2 threads; and a mutator whose allocation fails
// leaves its object as it was.
//
// This program replaces every global operator new and delete with counting versions
// (which can also be told to fail) and, with glibc, also malloc and its family: the
// tape's arena and the GEMM workspaces take their memory from aligned_alloc, which
// operator new would not see. Under AddressSanitizer, which intercepts malloc itself,
// only operator new is counted.
#include <catch2/catch.hpp>

#include <array>
#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>
#include <random>
#include <vector>

#if defined(__GLIBC__)
#include <execinfo.h>
#endif

#include "hyda/autodiff/init.hpp"
#include "hyda/autodiff/ops.hpp"
#include "hyda/autodiff/optim.hpp"
#include "hyda/mtl/model.hpp"
#include "kernel_matrix.hpp"
#include "tensor_state.hpp"

#if defined(__GLIBC__) && !defined(__SANITIZE_ADDRESS__)
#define HYDA_COUNT_MALLOC 1
#else
#define HYDA_COUNT_MALLOC 0
#endif

namespace {

// Counting is on only inside count_allocations(); any thread's allocations count.
std::atomic<bool> counting{false};
std::atomic<long> new_calls{0}, malloc_calls{0};
// n > 0: the n-th throwing operator new from now throws std::bad_alloc.
std::atomic<long> fail_in{0};
#if defined(__GLIBC__)
// The stack of the first counted allocation, to say where it came from.
std::atomic<bool> captured{false};
void* first_stack[48];
int first_depth = 0;
#endif

void note(std::atomic<long>& calls) {
    if (!counting.load(std::memory_order_relaxed)) return;
    calls.fetch_add(1);
#if defined(__GLIBC__)
    if (!captured.exchange(true)) first_depth = backtrace(first_stack, 48);
#endif
}

// Alignment of plain operator new: what malloc guarantees.
constexpr std::size_t kDefaultAlign = __STDCPP_DEFAULT_NEW_ALIGNMENT__;

void* counted_new(std::size_t size, std::size_t align) noexcept {
    note(new_calls);
    if (align <= kDefaultAlign) return std::malloc(size == 0 ? 1 : size);
    return std::aligned_alloc(align, (size + align - 1) / align * align + (size == 0 ? align : 0));
}

void* counted_new_or_throw(std::size_t size, std::size_t align) {
    if (fail_in.load() > 0 && fail_in.fetch_sub(1) == 1) throw std::bad_alloc();
    if (void* p = counted_new(size, align)) return p;
    throw std::bad_alloc();
}

}  // namespace

// Every replaceable allocation and deallocation function.
void* operator new(std::size_t n) { return counted_new_or_throw(n, kDefaultAlign); }
void* operator new[](std::size_t n) { return counted_new_or_throw(n, kDefaultAlign); }
void* operator new(std::size_t n, std::align_val_t a) { return counted_new_or_throw(n, std::size_t(a)); }
void* operator new[](std::size_t n, std::align_val_t a) { return counted_new_or_throw(n, std::size_t(a)); }
void* operator new(std::size_t n, const std::nothrow_t&) noexcept { return counted_new(n, kDefaultAlign); }
void* operator new[](std::size_t n, const std::nothrow_t&) noexcept { return counted_new(n, kDefaultAlign); }
void* operator new(std::size_t n, std::align_val_t a, const std::nothrow_t&) noexcept { return counted_new(n, std::size_t(a)); }
void* operator new[](std::size_t n, std::align_val_t a, const std::nothrow_t&) noexcept { return counted_new(n, std::size_t(a)); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t, const std::nothrow_t&) noexcept { std::free(p); }

#if HYDA_COUNT_MALLOC
// glibc lets a program replace malloc (glibc manual, "Replacing malloc"); these forward
// to glibc's own allocator through its exported __libc_* entry points.
extern "C" {
void* __libc_malloc(std::size_t);
void* __libc_calloc(std::size_t, std::size_t);
void* __libc_realloc(void*, std::size_t);
void* __libc_memalign(std::size_t, std::size_t);
void __libc_free(void*);

void* malloc(std::size_t n) {
    note(malloc_calls);
    return __libc_malloc(n);
}
void* calloc(std::size_t count, std::size_t n) {
    note(malloc_calls);
    return __libc_calloc(count, n);
}
void* realloc(void* p, std::size_t n) {
    note(malloc_calls);
    return __libc_realloc(p, n);
}
void* memalign(std::size_t align, std::size_t n) {
    note(malloc_calls);
    return __libc_memalign(align, n);
}
void* aligned_alloc(std::size_t align, std::size_t n) { return memalign(align, n); }
int posix_memalign(void** out, std::size_t align, std::size_t n) {
    if (align % sizeof(void*) != 0 || (align & (align - 1)) != 0) return EINVAL;
    *out = memalign(align, n);
    return *out == nullptr ? ENOMEM : 0;
}
void free(void* p) { __libc_free(p); }
}
#endif

namespace {

using namespace hyda::ad;

struct Allocations {
    long new_calls = 0, malloc_calls = 0;
    bool none() const { return new_calls == 0 && malloc_calls == 0; }
};

template <class F>
Allocations count_allocations(F&& f) {
#if defined(__GLIBC__)
    static const int loaded = backtrace(first_stack, 1);  // its first call loads libgcc (allocating)
    (void)loaded;
    captured = false;
#endif
    new_calls = malloc_calls = 0;
    counting = true;
    f();
    counting = false;
    return {new_calls.load(), malloc_calls.load()};
}

// Runs f with the n-th operator new from now failing; true if f threw std::bad_alloc.
template <class F>
bool throws_when_new_fails(int n, F&& f) {
    fail_in = n;
    bool threw = false;
    try {
        f();
    } catch (const std::bad_alloc&) {
        threw = true;
    }
    fail_in = 0;
    return threw;
}

// Prints where the first counted allocation came from (addresses in this executable
// resolve with addr2line -Cfe test_autodiff_alloc).
void print_first_stack() {
#if defined(__GLIBC__)
    backtrace_symbols_fd(first_stack, first_depth, 2);
#endif
}

enum class Backward { sum, multi };  // backward(L_1 + ... + L_K) or backward_multi + combine
enum class Optim { sgd, adam, adamw };

const char* name(Backward b) { return b == Backward::sum ? "backward of the summed loss" : "backward_multi + combine"; }
const char* name(Optim o) { return o == Optim::sgd ? "SGD (Nesterov momentum, weight decay)" : o == Optim::adam ? "Adam" : "AdamW"; }

// A shared trunk D -> H -> H (ReLU) and K binary heads H -> 1, BCE-with-logits each: the
// multi-task shape of the project, large enough that GEMMs and elementwise kernels split
// over 2 threads.
class Mlp {
public:
    static constexpr int B = 256, D = 64, H = 128, K = 3;

    Mlp(std::uint64_t seed, Optim optim) : x_(std::size_t(B) * D), labels_(std::size_t(K) * B) {
        Rng rng(seed);
        params_.reserve(4 + 2 * K);
        add("W1", D, H, rng), add("b1", 1, H, rng), add("W2", H, H, rng), add("b2", 1, H, rng);
        for (int k = 0; k < K; ++k) add("W_head", H, 1, rng), add("b_head", 1, 1, rng);
        std::normal_distribution<float> normal;
        for (float& v : x_) v = normal(rng);
        for (float& y : labels_) y = float(rng() % 2);

        std::vector<Parameter<float>*> pointers;
        for (auto& p : params_) pointers.push_back(&p);
        switch (optim) {
            case Optim::sgd: optimizer_ = std::make_unique<SGD<float>>(pointers, 0.01f, SGDOptions<float>{.momentum = 0.9f, .nesterov = true, .weight_decay = 1e-4f}); break;
            case Optim::adam: optimizer_ = std::make_unique<Adam<float>>(pointers, 1e-3f, AdamOptions<float>{.weight_decay = 1e-4f}); break;
            case Optim::adamw: optimizer_ = std::make_unique<AdamW<float>>(pointers, 1e-3f); break;
        }
    }

    void step(Backward backward) {
        tape_.reset();
        const Var<float> x = tape_.input(x_.data(), B, D, "x");
        Var<float> h = relu(linear(x, tape_.param(params_[0]), tape_.param(params_[1])));
        h = relu(linear(h, tape_.param(params_[2]), tape_.param(params_[3])));
        for (int k = 0; k < K; ++k) {
            const Var<float> logits = linear(h, tape_.param(params_[4 + 2 * k]), tape_.param(params_[5 + 2 * k]));
            losses_[k] = bce_with_logits(logits, tape_.input(labels_.data() + std::size_t(k) * B, B, 1, "y"));
        }
        if (backward == Backward::sum) {
            Var<float> total = losses_[0];
            for (int k = 1; k < K; ++k) total = total + losses_[k];
            tape_.backward(total);
        } else {
            tape_.backward_multi(losses_);
            constexpr float weights[K] = {1.0f, 0.5f, 0.25f};
            for (auto& p : params_) p.combine(weights, K);
        }
        optimizer_->step();
    }

    std::vector<float> values() const {
        std::vector<float> out;
        for (const auto& p : params_) out.insert(out.end(), p.value().data(), p.value().data() + p.size());
        return out;
    }

private:
    void add(const char* name, int rows, int cols, Rng& rng) {
        Parameter<float>& p = params_.emplace_back(name, rows, cols);
        if (rows > 1) he_uniform(p, rng);
    }

    std::vector<Parameter<float>> params_;
    std::unique_ptr<Optimizer<float>> optimizer_;
    std::vector<float> x_, labels_;
    std::array<Var<float>, K> losses_;
    Tape<float> tape_{1};
};

}  // namespace

TEST_CASE("a warmed-up training step performs no heap allocation", "[alloc]") {
    hyda::test::KernelSettingsGuard guard;
    const int threads = GENERATE(1, 2);
    const Backward backward = GENERATE(Backward::sum, Backward::multi);
    const Optim optim = GENERATE(Optim::sgd, Optim::adam, Optim::adamw);
    INFO(threads << " thread(s), " << name(backward) << ", " << name(optim));
    hyda::set_num_threads(threads);

    Mlp mlp(7, optim);
    for (int i = 0; i < 3; ++i) mlp.step(backward);  // the arena and the buffers reach their size
    const Allocations counted = count_allocations([&] {
        for (int i = 0; i < 10; ++i) mlp.step(backward);
    });
    INFO("operator new calls: " << counted.new_calls << ", malloc-family calls (operator new's included): " << counted.malloc_calls);
    if (!counted.none()) print_first_stack();
    CHECK(counted.none());
}

TEST_CASE("a warmed-up MMoE or PLE training step performs no heap allocation", "[alloc]") {
    using namespace hyda::mtl;
    hyda::test::KernelSettingsGuard guard;
    const int threads = GENERATE(1, 2);
    const Architecture arch = GENERATE(Architecture::mmoe, Architecture::ple);
    INFO(threads << " thread(s), " << (arch == Architecture::mmoe ? "mmoe" : "ple"));
    hyda::set_num_threads(threads);
    constexpr int B = 256, D = 64, K = 3;
    ModelSpec spec;
    spec.inputs = D;
    spec.arch = arch;
    spec.trunk = {128};
    spec.dropout = 0.1;
    spec.experts = 2;
    spec.levels = 2;
    spec.tasks = {{"a", TaskKind::binary, 2, 0, {}}, {"b", TaskKind::regression, 2, 0, {16}}, {"c", TaskKind::multiclass, 4, 0, {}}};
    Model<float> model(spec, 5);
    std::vector<float> x(std::size_t(B) * D), labels(std::size_t(K) * B);
    Rng rng(6);
    std::normal_distribution<float> normal;
    for (float& v : x) v = normal(rng);
    for (float& y : labels) y = float(rng() % 2);
    Adam<float> adam(model.parameters(), 1e-3f);
    Tape<float> tape(7);
    std::array<Var<float>, K> outputs, losses;
    const float weights[K] = {1.0f, 0.5f, 0.25f};
    auto step = [&] {
        tape.reset();
        model.forward(tape, tape.input(x.data(), B, D, "x"), true, outputs);
        for (int k = 0; k < K; ++k)
            losses[k] = Model<float>::loss(spec.tasks[std::size_t(k)], outputs[k], tape.input(labels.data() + std::size_t(k) * B, B, 1, "y"), {});
        tape.backward_multi(losses);
        for (Parameter<float>* p : model.parameters()) p->combine(weights, K);
        adam.step();
    };
    for (int i = 0; i < 3; ++i) step();
    const Allocations counted = count_allocations([&] {
        for (int i = 0; i < 5; ++i) step();
    });
    INFO("operator new calls: " << counted.new_calls << ", malloc-family calls (operator new's included): " << counted.malloc_calls);
    if (!counted.none()) print_first_stack();
    CHECK(counted.none());
}

TEST_CASE("training gives bitwise identical parameters on 1 and 2 threads", "[determinism]") {
    hyda::test::KernelSettingsGuard guard;
    const Backward backward = GENERATE(Backward::sum, Backward::multi);
    const Optim optim = GENERATE(Optim::sgd, Optim::adam);
    INFO(name(backward) << ", " << name(optim));
    auto train = [&](int threads) {
        hyda::set_num_threads(threads);
        Mlp mlp(11, optim);
        for (int i = 0; i < 5; ++i) mlp.step(backward);
        return mlp.values();
    };
    const std::vector<float> one = train(1), two = train(2);
    REQUIRE(one.size() == two.size());
    CHECK(std::memcmp(one.data(), two.data(), sizeof(float) * one.size()) == 0);
    CHECK(one != Mlp(11, optim).values());  // the steps did change the parameters
}

TEST_CASE("the allocation counter sees operator new and malloc", "[alloc]") {
    if (!HYDA_COUNT_MALLOC) WARN("malloc is not counted in this build (AddressSanitizer or not glibc): only operator new");
    static void* volatile sink;  // keeps the compiler from removing the pairs
    const Allocations counted = count_allocations([] {
        sink = ::operator new(8);
        ::operator delete(sink);
        sink = std::aligned_alloc(64, 64);
        std::free(sink);
    });
    CHECK(counted.new_calls == 1);
    CHECK(counted.malloc_calls == (HYDA_COUNT_MALLOC ? 2 : 0));
}

// ---- Allocation failures ----

using hyda::test::elements;
using hyda::test::fill_ramp;

TEST_CASE("a copy assignment that runs out of memory leaves the target as it was", "[alloc]") {
    // The name is longer than std::string's in-place buffer, so it allocates too.
    Parameter<double> source("a parameter with a long name", 20, 30);
    fill_ramp(source.value(), 5), fill_ramp(source.grad(), 7);
    int n = 1;
    for (;; ++n) {  // fail the 1st allocation, then the 2nd, ...: each leaves p as it was
        INFO("allocation " << n << " fails");
        Parameter<double> p("p", 2, 2);
        fill_ramp(p.value(), 1), fill_ramp(p.grad(), 2);
        if (!throws_when_new_fails(n, [&] { p = source; })) {
            CHECK((p.name() == source.name() && p.rows() == 20 && p.grad().cols() == 30));
            break;
        }
        CHECK(p.name() == "p");
        CHECK((p.value().rows() == 2 && p.value().cols() == 2 && p.grad().rows() == 2 && p.grad().cols() == 2));
        CHECK(elements(p.value().data(), p.size()) == std::vector<double>{1, 1.25, 1.5, 1.75});
        CHECK(elements(p.grad().data(), p.size()) == std::vector<double>{2, 2.25, 2.5, 2.75});
    }
    CHECK(n == 4);  // name, value, grad

    Tensor<float> small(2, 2, 1.0f);
    const Tensor<float> big(50, 50, 2.0f);
    CHECK(throws_when_new_fails(1, [&] { small = big; }));
    CHECK((small.rows() == 2 && small.cols() == 2 && elements(small.data(), small.size()) == std::vector<float>(4, 1.0f)));
}

TEST_CASE("Tape::param that runs out of memory records nothing", "[alloc]") {
    Tape<float> tape;
    Parameter<float> W("W", 2, 2);
    CHECK(throws_when_new_fails(1, [&] { tape.param(W); }));
    CHECK(tape.size() == 0);
    const Var<float> loss = sum(tape.param(W));  // one leaf, known to the sweep
    CHECK(tape.size() == 2);
    tape.backward(loss);
    CHECK(elements(W.grad().data(), W.size()) == std::vector<float>(4, 1.0f));
}

TEST_CASE("a backward_multi that runs out of memory leaves each parameter consistent", "[alloc]") {
    Tape<double> tape;
    Parameter<double> W("W", 3, 2);
    fill_ramp(W.value(), -1);
    std::vector<double> x(12);
    for (std::size_t i = 0; i < x.size(); ++i) x[i] = 0.1 * double(i);
    const Var<double> out = matmul(tape.input(x.data(), 4, 3, "x"), tape.param(W));
    const Var<double> one[] = {sum(out)}, two[] = {sum(out), mean(out)};
    tape.backward_multi(one);
    const std::vector<double> g0 = elements(W.task_grad(0), W.size());

    // The storage for two task gradients cannot grow: W keeps its one gradient.
    CHECK(throws_when_new_fails(1, [&] { tape.backward_multi(two); }));
    CHECK(W.task_mask() == 1);
    CHECK(elements(W.task_grad(0), W.size()) == g0);
    CHECK(W.task_grad(1) == nullptr);

    tape.backward_multi(two);
    CHECK(W.task_mask() == 3);
    CHECK(elements(W.task_grad(0), W.size()) == g0);
}

TEST_CASE("Tape::reset allocates nothing when it merges the arena's blocks", "[alloc]") {
    if (!HYDA_COUNT_MALLOC) WARN("malloc is not counted in this build: the arena's blocks are not seen");
    Tape<double> tape;
    std::vector<double> x(std::size_t(200) * 200, 1.0);
    relu(tape.input(x.data(), 200, 200, "x"));  // 320 kB: more than the first block
    CHECK(count_allocations([&] { tape.reset(); }).none());
    CHECK(relu(tape.input(x.data(), 200, 200, "x")).data()[0] == 1.0);
}
