#include "hyda/autodiff/gradcheck.hpp"

#include <cmath>
#include <sstream>
#include <vector>

namespace hyda::ad {

GradcheckResult gradcheck(const std::function<Var<double>(Tape<double>&)>& f, std::span<Parameter<double>* const> params,
                          double eps, double atol, double rtol, std::uint64_t seed) {
    // f with one element set to `value`, put back afterwards (also when f throws).
    auto evaluate_at = [&](double& theta, double value) {
        struct Restore {
            double& theta;
            const double saved;
            ~Restore() { theta = saved; }
        } restore{theta, theta};
        theta = value;
        Tape<double> tape(seed);
        return f(tape).item();
    };
    std::vector<std::vector<double>> analytic;
    {
        Tape<double> tape(seed);
        const Var<double> loss = f(tape);
        tape.backward(loss);
        for (Parameter<double>* p : params) analytic.emplace_back(p->grad().data(), p->grad().data() + p->size());
    }
    GradcheckResult result;
    for (std::size_t q = 0; q < params.size(); ++q) {
        Parameter<double>& p = *params[q];
        for (std::size_t e = 0; e < p.size(); ++e) {
            double& theta = p.value().data()[e];
            const double up = evaluate_at(theta, theta + eps), down = evaluate_at(theta, theta - eps);
            const double numeric = (up - down) / (2 * eps), error = std::abs(analytic[q][e] - numeric);
            if (!(error <= atol + rtol * std::abs(numeric))) result.ok = false;
            if (!(error <= result.max_abs_error)) {
                result.max_abs_error = error;
                std::ostringstream s;
                s << p.name() << "[" << e / p.cols() << "," << e % p.cols() << "]: analytic " << analytic[q][e] << ", numeric " << numeric;
                result.worst = s.str();
            }
        }
    }
    return result;
}

}  // namespace hyda::ad
