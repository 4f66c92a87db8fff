#pragma once
// Optimizers (SGD with momentum and Nesterov, Adam, AdamW) over a fixed list of
// parameters, applying Parameter::grad(); and gradient clipping by global norm.
//
//     std::vector<Parameter<float>*> params = {&W1, &b1, &W2, &b2};
//     Adam<float> optimizer(params, 1e-3f);
//     for each step: forward, tape.backward(loss), optimizer.step();
//
// Update rules follow PyTorch's (torch.optim, single-tensor path) so results compare
// with a PyTorch run. All state is allocated by the constructor: step() performs no heap
// allocation. The parameters' shapes must not change while an optimizer holds them.
//
// An optimizer is neither copied nor moved: it refers to its parameters by address and
// keeps per-element state for them, and a copy stepping the same parameters with a
// second state would be a bug (hold one in a std::unique_ptr to pass it around).
// Constructors reject bad settings with std::invalid_argument; set_lr, step and
// clip_grad_norm check everything before they change anything, so when one throws, no
// parameter, gradient or state has changed.
#include <cstddef>
#include <cstdint>
#include <span>
#include <type_traits>
#include <vector>

#include "hyda/autodiff/parameter.hpp"
#include "hyda/autodiff/state.hpp"
#include "hyda/kernels/export.hpp"

#pragma GCC visibility push(default)  // the public API: exported by the shared libraries (cmake/package.cmake)
namespace hyda::ad {

template <class T>
class Optimizer {
public:
    virtual ~Optimizer() = default;
    Optimizer(const Optimizer&) = delete;
    Optimizer& operator=(const Optimizer&) = delete;

    // Updates every parameter from its grad() (left unchanged). Allocates nothing.
    // Throws std::invalid_argument, updating nothing, if a parameter's value() or grad()
    // no longer has the size the optimizer was built with.
    void step();

    T lr() const { return lr_; }
    // Takes effect from the next step (learning-rate schedules). lr >= 0.
    void set_lr(T lr);

    // What the next step() would multiply a gradient of parameter `param_index` by, as a
    // diagonal, learning rate included: diag receives one factor per element (size() of
    // that parameter). Momentum terms, which do not depend on that gradient, are left
    // out. For the first-order gain <g_main, P g_k> of HydaLearn. Throws
    // std::out_of_range for an index past params(), std::invalid_argument as step() does.
    void preconditioner(std::size_t param_index, T* diag) const;

    std::span<Parameter<T>* const> params() const { return params_; }

    // The state a later step reads (state.hpp): the per-element buffers and the step
    // count, one array over all parameters in params() order. Not the learning rate,
    // which is a setting its owner sets (a schedule sets it every epoch).
    virtual void visit_state(StateVisitor& v) = 0;

protected:
    // Throws std::invalid_argument for a null or repeated parameter, one whose value()
    // and grad() differ in shape, or a negative lr.
    Optimizer(std::vector<Parameter<T>*> params, T lr);

    // Element offset of parameter i in flat per-element state of size total_size().
    std::size_t offset(std::size_t i) const { return offsets_[i]; }
    std::size_t total_size() const { return offsets_.back(); }

private:
    virtual void update() = 0;  // step() once the parameters are checked
    virtual void fill_preconditioner(std::size_t param_index, T* diag) const = 0;

    std::vector<Parameter<T>*> params_;
    std::vector<std::size_t> offsets_;  // params_.size() + 1 prefix sums of the sizes
    T lr_ = T(0);
};

template <class T>
struct SGDOptions {
    T momentum = T(0);
    bool nesterov = false;  // needs momentum > 0
    T weight_decay = T(0);  // L2 penalty, added to the gradient
};

// Stochastic gradient descent with heavy-ball momentum (Polyak 1964) or Nesterov momentum
// in the form of Sutskever et al. 2013, "On the importance of initialization and momentum
// in deep learning", with PyTorch's semantics:
//     g = grad + weight_decay * theta
//     v = momentum * v + g                      (v starts at 0; skipped if momentum == 0)
//     d = nesterov ? g + momentum * v : v       (d = g if momentum == 0)
//     theta -= lr * d
template <class T>
class SGD final : public Optimizer<T> {
public:
    SGD(std::vector<Parameter<T>*> params, T lr, SGDOptions<T> options = {});
    void visit_state(StateVisitor& v) override;

private:
    void update() override;
    // lr everywhere: the momentum term is ignored (it does not depend on this gradient).
    void fill_preconditioner(std::size_t param_index, T* diag) const override;

    SGDOptions<T> opt_;
    std::vector<T> velocity_;  // empty without momentum
};

// The two Adams read weight_decay differently, hence two option types.
template <class T>
struct AdamOptions {
    T beta1 = T(0.9), beta2 = T(0.999), eps = T(1e-8);
    T weight_decay = T(0);  // L2 penalty, added to the gradient before the moments
};

template <class T>
struct AdamWOptions {
    T beta1 = T(0.9), beta2 = T(0.999), eps = T(1e-8);
    T weight_decay = T(0.01);  // decoupled: theta -= lr * weight_decay * theta (PyTorch's default)
};

// Adam, Kingma & Ba 2015, "Adam: A Method for Stochastic Optimization" (ICLR), with
// PyTorch's semantics; step t = 1, 2, ...:
//     g = grad + l2 * theta
//     m = beta1 m + (1 - beta1) g,   v = beta2 v + (1 - beta2) g^2
//     theta = (1 - lr * decoupled) theta - lr / (1 - beta1^t) * m / (sqrt(v / (1 - beta2^t)) + eps)
// Adam uses l2 = weight_decay, decoupled = 0; AdamW the reverse.
template <class T>
class AdamBase : public Optimizer<T> {
public:
    std::int64_t steps() const { return t_; }  // steps taken
    void visit_state(StateVisitor& v) final;

protected:
    // name: for error messages.
    AdamBase(const char* name, std::vector<Parameter<T>*> params, T lr, T beta1, T beta2, T eps, T l2, T decoupled);

private:
    void update() final;
    // lr() / (sqrt(v_hat) + eps), v_hat = v / (1 - beta2^t) after the t steps taken so
    // far (this step's gradient not included). The first moment is left out, as SGD's
    // momentum is: the factor Adam would apply if m_hat were this gradient. Before the
    // first step there is no v, and the factor is lr() everywhere, as for SGD: Adam's
    // actual first update, lr g / (|g| + eps), depends on the gradient itself, which a
    // preconditioner shared by several gradients cannot.
    void fill_preconditioner(std::size_t param_index, T* diag) const final;
    T denominator(T v, T sqrt_bias2) const;

    T beta1_, beta2_, eps_, l2_, decoupled_;
    std::vector<T> m_, v_;
    std::int64_t t_ = 0;
};

template <class T>
class Adam final : public AdamBase<T> {
public:
    Adam(std::vector<Parameter<T>*> params, T lr = T(1e-3), AdamOptions<T> options = {});
};

// AdamW, Loshchilov & Hutter 2019, "Decoupled Weight Decay Regularization" (ICLR): Adam
// whose weight decay shrinks the parameters directly instead of entering the moments.
template <class T>
class AdamW final : public AdamBase<T> {
public:
    AdamW(std::vector<Parameter<T>*> params, T lr = T(1e-3), AdamWOptions<T> options = {});
};

// Scales all gradients by one factor so that their global L2 norm (all parameters as one
// vector) is at most max_norm, as in Pascanu et al. 2013, "On the difficulty of training
// recurrent neural networks". Returns the norm before clipping. A non-finite norm leaves
// the gradients unchanged (the caller decides whether to skip the step). T is deduced
// from max_norm; max_norm > 0.
template <class T>
HYDA_EXPORT T clip_grad_norm(std::span<Parameter<std::type_identity_t<T>>* const> params, T max_norm);

}  // namespace hyda::ad
#pragma GCC visibility pop
