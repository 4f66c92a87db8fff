// Optimizers against scalar double references written from the update rules (PyTorch's
// SGD; Adam as in Kingma & Ba's Algorithm 1, with PyTorch's two weight decays), their
// preconditioners, gradient clipping and the initializers.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <memory>
#include <random>
#include <span>
#include <stdexcept>
#include <type_traits>
#include <vector>

#include "hyda/autodiff/init.hpp"
#include "hyda/autodiff/optim.hpp"

using namespace hyda::ad;

namespace {

// A quadratic bowl with its own curvature and centre per element, so the gradient
// changes every step: dL/dtheta_i = a_i (theta_i - c_i), i the flat index.
double bowl_gradient(std::size_t i, double theta) { return (0.5 + 0.3 * double(i % 5)) * (theta - std::sin(double(i))); }

// Three parameters of sizes that leave SIMD tails (15, 7, 1320 elements).
template <class T>
struct Problem {
    std::vector<Parameter<T>> params;

    Problem() {
        params.reserve(3);
        params.emplace_back("A", 3, 5);
        params.emplace_back("b", 1, 7);
        params.emplace_back("C", 40, 33);
        std::size_t i = 0;
        for (auto& p : params)
            for (T& w : std::span(p.value().data(), p.size())) w = T(2 * std::cos(double(i++)));
    }
    std::vector<Parameter<T>*> pointers() {
        std::vector<Parameter<T>*> out;
        for (auto& p : params) out.push_back(&p);
        return out;
    }
    void compute_grads() {
        std::size_t i = 0;
        for (auto& p : params)
            for (std::size_t j = 0; j < p.size(); ++j, ++i) p.grad().data()[j] = T(bowl_gradient(i, double(p.value().data()[j])));
    }
    std::vector<double> values() const {
        std::vector<double> out;
        for (const auto& p : params) out.insert(out.end(), p.value().data(), p.value().data() + p.size());
        return out;
    }
};

struct ReferenceSGD {
    double lr, momentum, weight_decay;
    bool nesterov;
    std::vector<double> v;

    void step(std::vector<double>& theta) {
        v.resize(theta.size());
        for (std::size_t i = 0; i < theta.size(); ++i) {
            double d = bowl_gradient(i, theta[i]) + weight_decay * theta[i];
            if (momentum != 0) {
                v[i] = momentum * v[i] + d;
                d = nesterov ? d + momentum * v[i] : v[i];
            }
            theta[i] -= lr * d;
        }
    }
};

// Kingma & Ba 2015, Algorithm 1; l2 enters the gradient (Adam), decoupled shrinks theta (AdamW).
struct ReferenceAdam {
    double lr, beta1, beta2, eps, l2, decoupled;
    std::vector<double> m, v;
    int t = 0;

    void step(std::vector<double>& theta) {
        m.resize(theta.size());
        v.resize(theta.size());
        ++t;
        for (std::size_t i = 0; i < theta.size(); ++i) {
            const double g = bowl_gradient(i, theta[i]) + l2 * theta[i];
            m[i] = beta1 * m[i] + (1 - beta1) * g;
            v[i] = beta2 * v[i] + (1 - beta2) * g * g;
            const double m_hat = m[i] / (1 - std::pow(beta1, t)), v_hat = v[i] / (1 - std::pow(beta2, t));
            theta[i] = theta[i] * (1 - lr * decoupled) - lr * m_hat / (std::sqrt(v_hat) + eps);
        }
    }
    // lr / (sqrt(v_hat) + eps): the documented preconditioner.
    double preconditioner(std::size_t i) const { return lr / (std::sqrt(v[i] / (1 - std::pow(beta2, t))) + eps); }
};

template <class T>
constexpr double tolerance() {
    return std::is_same_v<T, float> ? 2e-5 : 1e-13;
}

// max_i |a_i - b_i| / (1 + |b_i|)
double max_error(const std::vector<double>& a, const std::vector<double>& b) {
    double worst = 0;
    for (std::size_t i = 0; i < a.size(); ++i) worst = std::max(worst, std::abs(a[i] - b[i]) / (1 + std::abs(b[i])));
    return worst;
}

// Runs 6 steps of the optimizer and of the reference on the same problem, halving the
// learning rate after step 3, and compares the parameters after every step.
template <class T, class Reference>
void check_against(Problem<T>& problem, Optimizer<T>& optimizer, Reference reference) {
    std::vector<double> theta = problem.values();
    for (int step = 1; step <= 6; ++step) {
        if (step == 4) {
            optimizer.set_lr(optimizer.lr() / 2);
            reference.lr /= 2;
        }
        problem.compute_grads();
        optimizer.step();
        reference.step(theta);
        INFO("step " << step);
        CHECK(max_error(problem.values(), theta) < tolerance<T>());
    }
}

}  // namespace

TEMPLATE_TEST_CASE("SGD matches a scalar reference", "[optim]", float, double) {
    using T = TestType;
    const auto [momentum, nesterov, weight_decay] = GENERATE(table<double, bool, double>(
        {{0, false, 0}, {0, false, 0.1}, {0.9, false, 0}, {0.9, false, 0.1}, {0.9, true, 0}, {0.9, true, 0.1}}));
    INFO("momentum " << momentum << ", nesterov " << nesterov << ", weight decay " << weight_decay);
    Problem<T> problem;
    SGD<T> sgd(problem.pointers(), T(0.05), {.momentum = T(momentum), .nesterov = nesterov, .weight_decay = T(weight_decay)});
    check_against(problem, sgd, ReferenceSGD{0.05, momentum, weight_decay, nesterov, {}});
}

TEMPLATE_TEST_CASE("Adam and AdamW match a scalar reference", "[optim]", float, double) {
    using T = TestType;
    const auto [decoupled, weight_decay, beta1, beta2, eps] = GENERATE(table<bool, double, double, double, double>({
        {false, 0, 0.9, 0.999, 1e-8},
        {false, 0.1, 0.9, 0.999, 1e-8},
        {true, 0.1, 0.9, 0.999, 1e-8},
        {true, 0.1, 0.5, 0.9, 1e-2},  // a large eps, so its placement matters
    }));
    INFO((decoupled ? "AdamW" : "Adam") << ", weight decay " << weight_decay << ", betas " << beta1 << " " << beta2 << ", eps " << eps);
    Problem<T> problem;
    const T b1 = T(beta1), b2 = T(beta2), e = T(eps), wd = T(weight_decay);
    if (decoupled) {
        AdamW<T> adam(problem.pointers(), T(0.01), {.beta1 = b1, .beta2 = b2, .eps = e, .weight_decay = wd});
        check_against(problem, adam, ReferenceAdam{0.01, b1, b2, e, 0, wd, {}, {}});
    } else {
        Adam<T> adam(problem.pointers(), T(0.01), {.beta1 = b1, .beta2 = b2, .eps = e, .weight_decay = wd});
        check_against(problem, adam, ReferenceAdam{0.01, b1, b2, e, wd, 0, {}, {}});
    }
}

TEST_CASE("SGD's preconditioner is the learning rate", "[optim]") {
    Problem<double> problem;
    SGD<double> sgd(problem.pointers(), 0.05, {.momentum = 0.9});
    for (int step = 0; step < 3; ++step) {
        problem.compute_grads();
        sgd.step();
    }
    sgd.set_lr(0.2);
    for (std::size_t i = 0; i < problem.params.size(); ++i) {
        std::vector<double> diag(problem.params[i].size(), -1.0);
        sgd.preconditioner(i, diag.data());
        CHECK(diag == std::vector<double>(diag.size(), 0.2));
    }
    double unused = 0;
    CHECK_THROWS_AS(sgd.preconditioner(3, &unused), std::out_of_range);
}

TEMPLATE_TEST_CASE("Adam's preconditioner is lr / (sqrt(v_hat) + eps)", "[optim]", float, double) {
    using T = TestType;
    const bool decoupled = GENERATE(false, true);
    Problem<T> problem;
    std::unique_ptr<Optimizer<T>> adam;
    if (decoupled) {
        adam = std::make_unique<AdamW<T>>(problem.pointers(), T(0.01), AdamWOptions<T>{.eps = T(1e-3)});
    } else {
        adam = std::make_unique<Adam<T>>(problem.pointers(), T(0.01), AdamOptions<T>{.eps = T(1e-3)});
    }
    auto diag_of = [&](std::size_t i) {
        std::vector<T> diag(problem.params[i].size());
        adam->preconditioner(i, diag.data());
        return diag;
    };

    // Before the first step there is no second moment: lr everywhere.
    for (std::size_t i = 0; i < problem.params.size(); ++i) CHECK(diag_of(i) == std::vector<T>(problem.params[i].size(), T(0.01)));

    ReferenceAdam reference{0.01, 0.9, 0.999, 1e-3, 0, decoupled ? 0.01 : 0, {}, {}};
    std::vector<double> theta = problem.values();
    for (int step = 0; step < 3; ++step) {
        problem.compute_grads();
        adam->step();
        reference.step(theta);
    }
    adam->set_lr(T(0.02));
    reference.lr = 0.02;
    std::size_t flat = 0;
    for (std::size_t i = 0; i < problem.params.size(); ++i) {
        std::vector<double> expected;
        for (std::size_t j = 0; j < problem.params[i].size(); ++j) expected.push_back(reference.preconditioner(flat++));
        INFO("parameter " << i);
        const std::vector<T> diag = diag_of(i);
        CHECK(max_error(std::vector<double>(diag.begin(), diag.end()), expected) < tolerance<T>());
    }
}

TEST_CASE("optimizers reject invalid settings", "[optim]") {
    Parameter<float> p("p", 2, 2);
    const std::vector<Parameter<float>*> params = {&p};
    CHECK_THROWS_AS(SGD<float>(params, -0.1f), std::invalid_argument);
    CHECK_THROWS_AS(SGD<float>(params, 0.1f, {.nesterov = true}), std::invalid_argument);
    CHECK_THROWS_AS(SGD<float>({&p, nullptr}, 0.1f), std::invalid_argument);
    CHECK_THROWS_AS(Adam<float>(params, 0.1f, {.beta1 = 1.0f}), std::invalid_argument);
    CHECK_THROWS_AS(AdamW<float>(params, 0.1f, {.weight_decay = -1.0f}), std::invalid_argument);
    Adam<float> adam(params);
    CHECK_THROWS_AS(adam.set_lr(std::nanf("")), std::invalid_argument);
}

TEST_CASE("clip_grad_norm scales all gradients by one factor", "[optim]") {
    Parameter<double> a("a", 1, 2), b("b", 1, 1);
    const std::vector<Parameter<double>*> params = {&a, &b};
    auto set_grads = [&] {
        a.grad()(0, 0) = 3, a.grad()(0, 1) = 0, b.grad()(0, 0) = -4;  // global norm 5
    };

    set_grads();
    CHECK(clip_grad_norm(params, 10.0) == 5.0);
    CHECK(a.grad()(0, 0) == 3.0);
    CHECK(clip_grad_norm(params, 5.0) == 5.0);  // at the threshold: unchanged
    CHECK(b.grad()(0, 0) == -4.0);

    CHECK(clip_grad_norm(params, 1.0) == 5.0);
    CHECK(a.grad()(0, 0) == Approx(0.6));
    CHECK(a.grad()(0, 1) == 0.0);
    CHECK(b.grad()(0, 0) == Approx(-0.8));
    CHECK(clip_grad_norm(params, 1.0) == Approx(1.0));

    CHECK_THROWS_AS(clip_grad_norm(params, 0.0), std::invalid_argument);
}

TEMPLATE_TEST_CASE("initializers have the documented distribution", "[optim]", float, double) {
    using T = TestType;
    enum Kind { xavier_u, xavier_n, he_u, he_n };
    const Kind kind = GENERATE(xavier_u, xavier_n, he_u, he_n);
    const int fan_in = 400, fan_out = 600;
    auto init = [&](Parameter<T>& p, std::uint64_t seed) {
        Rng rng(seed);
        switch (kind) {
            case xavier_u: return xavier_uniform(p, rng, T(2));
            case xavier_n: return xavier_normal(p, rng, T(2));
            case he_u: return he_uniform(p, rng);
            case he_n: return he_normal(p, rng);
        }
    };
    const double variance = kind == xavier_u || kind == xavier_n ? 4 * 2.0 / (fan_in + fan_out) : 2.0 / fan_in;
    const bool uniform = kind == xavier_u || kind == he_u;
    INFO("kind " << int(kind));

    Parameter<T> w("w", fan_in, fan_out);
    init(w, 42);
    const std::span<const T> values(w.value().data(), w.size());
    const double n = double(values.size()), sd = std::sqrt(variance);
    double sum = 0, squares = 0, within_sd = 0, largest = 0;
    for (T x : values) {
        sum += x;
        squares += double(x) * x;
        within_sd += std::abs(x) <= sd;
        largest = std::max(largest, std::abs(double(x)));
    }
    CHECK(std::abs(sum / n) < 5 * sd / std::sqrt(n));
    CHECK(squares / n == Approx(variance).epsilon(0.02));
    if (uniform) {  // bound a = sqrt(3) sd, reached within sampling resolution
        CHECK(largest <= std::sqrt(3 * variance) * (1 + 1e-7));
        CHECK(largest > 0.999 * std::sqrt(3 * variance));
        CHECK(within_sd / n == Approx(1 / std::sqrt(3.0)).epsilon(0.01));
    } else {
        CHECK(within_sd / n == Approx(0.682689).epsilon(0.01));  // P(|z| <= 1)
    }

    Parameter<T> same("same", fan_in, fan_out), other("other", fan_in, fan_out);
    init(same, 42);
    init(other, 43);
    CHECK(std::equal(values.begin(), values.end(), same.value().data()));
    CHECK(!std::equal(values.begin(), values.end(), other.value().data()));
}

TEMPLATE_TEST_CASE("fan_in_uniform draws weight and bias from U(-1/sqrt(fan_in), 1/sqrt(fan_in))", "[optim]", float, double) {
    using T = TestType;
    const int fan_in = 400, fan_out = 2000;
    const double bound = 1 / std::sqrt(double(fan_in)), variance = bound * bound / 3;
    Parameter<T> W("W", fan_in, fan_out), b("b", 1, fan_out);
    Rng rng(42);
    fan_in_uniform(W, b, rng);
    // The mean within 5 standard errors; the variance of U(-a, a) is a^2 / 3, its estimate's
    // relative standard error sqrt(0.8 / n) (0.1% for W, 2% for b).
    for (const Parameter<T>* p : {&W, &b}) {
        INFO(p->name());
        const std::span<const T> values(p->value().data(), p->size());
        const double n = double(values.size());
        double sum = 0, squares = 0, largest = 0;
        for (T x : values) {
            sum += x;
            squares += double(x) * x;
            largest = std::max(largest, std::abs(double(x)));
        }
        CHECK(std::abs(sum / n) < 5 * std::sqrt(variance / n));
        CHECK(squares / n == Approx(variance).epsilon(5 * std::sqrt(0.8 / n)));
        CHECK(largest <= bound * (1 + 1e-7));
        CHECK(largest > (1 - 10 / n) * bound);  // P(max < (1 - 10/n) a) = (1 - 10/n)^n < e^-10
    }

    Parameter<T> W2("W2", fan_in, fan_out), b2("b2", 1, fan_out);
    Rng same(42);
    fan_in_uniform(W2, b2, same);
    CHECK(std::equal(W.value().data(), W.value().data() + W.size(), W2.value().data()));
    CHECK(std::equal(b.value().data(), b.value().data() + b.size(), b2.value().data()));

    Parameter<T> wrong("wrong", 1, fan_out + 1);
    CHECK_THROWS_AS(fan_in_uniform(W, wrong, rng), std::invalid_argument);
}

TEST_CASE("zeros and constant fill every element", "[optim]") {
    Parameter<float> p("p", 3, 5);
    constant(p, 0.25);
    CHECK(std::vector<float>(p.value().data(), p.value().data() + p.size()) == std::vector<float>(15, 0.25f));
    zeros(p);
    CHECK(std::vector<float>(p.value().data(), p.value().data() + p.size()) == std::vector<float>(15, 0.0f));
}
