// What the trainer writes out: the per-step trace (CSV or JSON Lines) and
// Introspection::write_json.
#include <cmath>
#include <ostream>
#include <string>

#include "trainer_state.hpp"

namespace hyda::mtl {

template <class T>
void Trainer<T>::State::write_trace() {
    std::ostream& out = *opt.trace;
    const auto& tasks = model.spec().tasks;
    const bool with_gains = needs.first_order_gains || needs.exact_gains;
    if (opt.trace_format == TraceFormat::csv) {
        if (steps == 0) {
            out << "step,epoch";
            for (const char* what : {"loss", "coef", "gain", "gnorm"})
                for (const auto& t : tasks)
                    if (std::string(what) != "gain" || with_gains) out << ',' << what << '_' << t.name;
            for (int i = 0; i < K; ++i)
                for (int j = 0; j < K; ++j)
                    if (opt.trace_full_gram || i == main) out << ",G_" << tasks[std::size_t(i)].name << '_' << tasks[std::size_t(j)].name;
            out << '\n';
        }
        out << steps << ',' << epoch;
        for (double v : loss_values) out << ',' << v;
        for (double v : coefficients) out << ',' << v;
        if (with_gains)
            for (double v : gains) out << ',' << v;
        for (int k = 0; k < K; ++k) out << ',' << std::sqrt(gram[std::size_t(k) * K + k]);
        for (int i = 0; i < K; ++i)
            for (int j = 0; j < K; ++j)
                if (opt.trace_full_gram || i == main) out << ',' << gram[std::size_t(i) * K + j];
        out << '\n';
        return;
    }
    auto list = [&](const char* key, auto value_of, int n) {
        out << ",\"" << key << "\":[";
        for (int i = 0; i < n; ++i) out << (i ? "," : "") << value_of(i);
        out << ']';
    };
    out << "{\"step\":" << steps << ",\"epoch\":" << epoch;
    list("losses", [&](int k) { return loss_values[std::size_t(k)]; }, K);
    list("coefficients", [&](int k) { return coefficients[std::size_t(k)]; }, K);
    if (with_gains) list("gains", [&](int k) { return gains[std::size_t(k)]; }, K);
    list("grad_norms", [&](int k) { return std::sqrt(gram[std::size_t(k) * K + k]); }, K);
    if (opt.trace_full_gram) {
        list("gram", [&](int i) { return gram[std::size_t(i)]; }, K * K);
    } else {
        list("gram_main_row", [&](int k) { return gram[std::size_t(main) * K + k]; }, K);
    }
    out << "}\n";
}

template void Trainer<float>::State::write_trace();
template void Trainer<double>::State::write_trace();

void Introspection::write_json(std::ostream& out) const {
    auto list = [&](const char* key, const std::vector<double>& v, bool comma = true) {
        out << "  \"" << key << "\": [";
        for (std::size_t i = 0; i < v.size(); ++i) out << (i ? ", " : "") << v[i];
        out << ']' << (comma ? ",\n" : "\n");
    };
    out.precision(9);
    out << "{\n  \"tasks\": [";
    for (std::size_t i = 0; i < tasks.size(); ++i) out << (i ? ", " : "") << '"' << tasks[i] << '"';
    out << "],\n";
    list("losses", losses);
    list("gram", gram);
    list("gains", gains);
    list("coefficients", coefficients);
    list("sample_dots", sample_dots);
    list("sample_norms", sample_norms);
    list("sample_weights", sample_weights);
    list("grad_norms", grad_norms);
    out << "  \"shared_parameters\": [";
    for (std::size_t i = 0; i < shared_parameters.size(); ++i) out << (i ? ", " : "") << '"' << shared_parameters[i] << '"';
    out << "],\n  \"task_gradients\": [\n";
    for (std::size_t k = 0; k < task_gradients.size(); ++k) {
        out << "    [";
        for (std::size_t i = 0; i < task_gradients[k].size(); ++i) out << (i ? ", " : "") << task_gradients[k][i];
        out << ']' << (k + 1 < task_gradients.size() ? ",\n" : "\n");
    }
    out << "  ]\n}\n";
}

}  // namespace hyda::mtl
