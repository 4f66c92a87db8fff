#include "hyda/autodiff/optim.hpp"

#include <algorithm>
#include <cmath>
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>

#include "hyda/kernels/elementwise.hpp"
#include "parameter_access.hpp"

namespace hyda::ad {
namespace {

template <class T>
void require(bool ok, const char* optimizer, const char* what, T value) {
    if (ok) return;
    std::ostringstream message;
    message << optimizer << ": " << what << ", got " << value;
    throw std::invalid_argument(message.str());
}

// Throws unless p still has value and grad of one shape and `built` elements.
template <class T>
void check_size(const char* who, const Parameter<T>& p, std::size_t built) {
    detail::check_shape(who, p);
    if (p.size() != built) {
        throw std::invalid_argument(std::string(who) + ": parameter '" + p.name() + "' has " + std::to_string(p.size()) +
                                    " elements, the optimizer was built for " + std::to_string(built));
    }
}

}  // namespace

template <class T>
Optimizer<T>::Optimizer(std::vector<Parameter<T>*> params, T lr) : params_(std::move(params)) {
    set_lr(lr);
    offsets_.reserve(params_.size() + 1);
    offsets_.push_back(0);
    for (std::size_t i = 0; i < params_.size(); ++i) {
        if (params_[i] == nullptr) throw std::invalid_argument("optimizer: parameter " + std::to_string(i) + " is null");
        detail::check_shape("optimizer", *params_[i]);
        offsets_.push_back(offsets_.back() + params_[i]->size());
    }
    // A parameter listed twice would be updated twice per step.
    std::vector<Parameter<T>*> sorted = params_;
    std::sort(sorted.begin(), sorted.end());
    if (auto twice = std::adjacent_find(sorted.begin(), sorted.end()); twice != sorted.end()) {
        throw std::invalid_argument("optimizer: parameter '" + (*twice)->name() + "' is listed twice");
    }
}

template <class T>
void Optimizer<T>::step() {
    for (std::size_t i = 0; i < params_.size(); ++i) check_size("optimizer step", *params_[i], offsets_[i + 1] - offsets_[i]);
    update();  // only once every parameter passed
}

template <class T>
void Optimizer<T>::set_lr(T lr) {
    require(lr >= T(0), "optimizer", "lr must be >= 0", lr);
    lr_ = lr;
}

template <class T>
void Optimizer<T>::preconditioner(std::size_t param_index, T* diag) const {
    if (param_index >= params_.size()) {
        throw std::out_of_range("preconditioner: parameter index " + std::to_string(param_index) + " of " +
                                std::to_string(params_.size()));
    }
    check_size("preconditioner", *params_[param_index], offsets_[param_index + 1] - offsets_[param_index]);
    fill_preconditioner(param_index, diag);
}

template <class T>
SGD<T>::SGD(std::vector<Parameter<T>*> params, T lr, SGDOptions<T> options)
    : Optimizer<T>(std::move(params), lr), opt_(options) {
    require(opt_.momentum >= T(0), "SGD", "momentum must be >= 0", opt_.momentum);
    require(!opt_.nesterov || opt_.momentum > T(0), "SGD", "Nesterov needs momentum > 0", opt_.momentum);
    require(opt_.weight_decay >= T(0), "SGD", "weight_decay must be >= 0", opt_.weight_decay);
    if (opt_.momentum != T(0)) velocity_.assign(this->total_size(), T(0));
}

template <class T>
void SGD<T>::update() {
    const T lr = this->lr(), mu = opt_.momentum, wd = opt_.weight_decay;
    const auto params = this->params();
    for (std::size_t i = 0; i < params.size(); ++i) {
        const std::size_t n = params[i]->size();
        T* theta = params[i]->value().data();
        const T* g = params[i]->grad().data();
        if (mu == T(0)) {  // theta -= lr (g + wd theta)
            if (wd != T(0)) hyda::scale(n, T(1) - lr * wd, theta, theta);
            hyda::axpy(n, -lr, g, theta);
            continue;
        }
        T* v = velocity_.data() + this->offset(i);
        hyda::scale(n, mu, v, v);  // v = mu v + g + wd theta
        hyda::axpy(n, T(1), g, v);
        if (wd != T(0)) hyda::axpy(n, wd, theta, v);
        if (opt_.nesterov) {  // theta -= lr (g + wd theta + mu v)
            if (wd != T(0)) hyda::scale(n, T(1) - lr * wd, theta, theta);
            hyda::axpy(n, -lr, g, theta);
            hyda::axpy(n, -lr * mu, v, theta);
        } else {
            hyda::axpy(n, -lr, v, theta);
        }
    }
}

template <class T>
void SGD<T>::visit_state(StateVisitor& v) {
    v("velocity", std::span<T>(velocity_));  // empty without momentum
}

template <class T>
void SGD<T>::fill_preconditioner(std::size_t param_index, T* diag) const {
    std::fill_n(diag, this->params()[param_index]->size(), this->lr());
}

template <class T>
AdamBase<T>::AdamBase(const char* name, std::vector<Parameter<T>*> params, T lr, T beta1, T beta2, T eps, T l2, T decoupled)
    : Optimizer<T>(std::move(params), lr), beta1_(beta1), beta2_(beta2), eps_(eps), l2_(l2), decoupled_(decoupled) {
    require(beta1 >= T(0) && beta1 < T(1), name, "beta1 must be in [0, 1)", beta1);
    require(beta2 >= T(0) && beta2 < T(1), name, "beta2 must be in [0, 1)", beta2);
    require(eps >= T(0), name, "eps must be >= 0", eps);
    require(l2 + decoupled >= T(0), name, "weight_decay must be >= 0", l2 + decoupled);  // one of them is 0
    m_.assign(this->total_size(), T(0));
    v_.assign(this->total_size(), T(0));
}

// PyTorch's form of the denominator, shared by step and preconditioner.
template <class T>
T AdamBase<T>::denominator(T v, T sqrt_bias2) const {
    return std::sqrt(v) / sqrt_bias2 + eps_;
}

template <class T>
void AdamBase<T>::update() {
    ++t_;
    // Bias corrections in double, as PyTorch computes them (Python floats).
    const T lr = this->lr();
    const T step_size = T(double(lr) / (1 - std::pow(double(beta1_), double(t_))));
    const T sqrt_bias2 = T(std::sqrt(1 - std::pow(double(beta2_), double(t_))));
    const T shrink = T(1) - lr * decoupled_;
    const T b1 = beta1_, b2 = beta2_, c1 = T(1) - beta1_, c2 = T(1) - beta2_, l2 = l2_;
    const auto params = this->params();
    for (std::size_t i = 0; i < params.size(); ++i) {
        const std::size_t n = params[i]->size();
        T* theta = params[i]->value().data();
        const T* grad = params[i]->grad().data();
        T* m = m_.data() + this->offset(i);
        T* v = v_.data() + this->offset(i);
        for (std::size_t j = 0; j < n; ++j) {
            const T g = grad[j] + l2 * theta[j];
            m[j] = b1 * m[j] + c1 * g;
            v[j] = b2 * v[j] + c2 * g * g;
            theta[j] = shrink * theta[j] - step_size * m[j] / denominator(v[j], sqrt_bias2);
        }
    }
}

template <class T>
void AdamBase<T>::visit_state(StateVisitor& v) {
    v("steps", t_);
    v("first_moment", std::span<T>(m_));
    v("second_moment", std::span<T>(v_));
}

template <class T>
void AdamBase<T>::fill_preconditioner(std::size_t param_index, T* diag) const {
    const std::size_t n = this->params()[param_index]->size();
    if (t_ == 0) {
        std::fill_n(diag, n, this->lr());
        return;
    }
    const T sqrt_bias2 = T(std::sqrt(1 - std::pow(double(beta2_), double(t_))));
    const T* v = v_.data() + this->offset(param_index);
    for (std::size_t j = 0; j < n; ++j) diag[j] = this->lr() / denominator(v[j], sqrt_bias2);
}

template <class T>
Adam<T>::Adam(std::vector<Parameter<T>*> params, T lr, AdamOptions<T> o)
    : AdamBase<T>("Adam", std::move(params), lr, o.beta1, o.beta2, o.eps, o.weight_decay, T(0)) {}

template <class T>
AdamW<T>::AdamW(std::vector<Parameter<T>*> params, T lr, AdamWOptions<T> o)
    : AdamBase<T>("AdamW", std::move(params), lr, o.beta1, o.beta2, o.eps, T(0), o.weight_decay) {}

template <class T>
T clip_grad_norm(std::span<Parameter<std::type_identity_t<T>>* const> params, T max_norm) {
    require(max_norm > T(0), "clip_grad_norm", "max_norm must be > 0", max_norm);
    T squares = T(0);
    for (const Parameter<T>* p : params) {  // checked before any gradient is scaled
        if (p == nullptr) throw std::invalid_argument("clip_grad_norm: a parameter is null");
        detail::check_shape("clip_grad_norm", *p);
        squares += hyda::dot(p->size(), p->grad().data(), p->grad().data());
    }
    const T norm = std::sqrt(squares);
    if (std::isfinite(norm) && norm > max_norm) {
        for (Parameter<T>* p : params) hyda::scale(p->size(), max_norm / norm, p->grad().data(), p->grad().data());
    }
    return norm;
}

#define HYDA_OPTIM_INSTANTIATE(T)                                                      \
    template class Optimizer<T>;                                                       \
    template class SGD<T>;                                                             \
    template class AdamBase<T>;                                                        \
    template class Adam<T>;                                                            \
    template class AdamW<T>;                                                           \
    template T clip_grad_norm<T>(std::span<Parameter<T>* const>, T);
HYDA_OPTIM_INSTANTIATE(float)
HYDA_OPTIM_INSTANTIATE(double)
#undef HYDA_OPTIM_INSTANTIATE

}  // namespace hyda::ad
