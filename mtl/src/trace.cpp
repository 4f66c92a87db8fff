// What the trainer writes out: the per-step trace (CSV or JSON Lines) and
// Introspection::write_json. Text is built in a string and written whole (json_writer.hpp):
// the caller's stream keeps its precision and flags, and numbers read back exactly.
#include <cmath>
#include <ostream>
#include <string>

#include "hyda/mtl/csv.hpp"
#include "json_writer.hpp"
#include "trainer_state.hpp"

namespace hyda::mtl {

namespace {

using detail::append_json_number;
using detail::append_json_string;
using detail::append_number;

}  // namespace

template <class T>
void Trainer<T>::State::write_trace() {
    std::string& out = trace_text;
    out.clear();
    const auto& tasks = model.spec().tasks;
    const bool with_gains = needs.first_order_gains || needs.exact_gains;
    auto grad_norm = [&](int k) { return std::sqrt(gram[std::size_t(k) * K + k]); };
    if (opt.trace_format == TraceFormat::csv) {
        auto cells = [&](auto value_of, int n) {
            for (int i = 0; i < n; ++i) out += ',', append_number(out, double(value_of(i)));
        };
        if (!traced) {  // the first row this trainer writes: step 0, or the step a resumed run continues at
            traced = true;
            out += "step,epoch";
            for (const char* what : {"loss_", "coef_", "gain_", "gnorm_"})
                for (const auto& t : tasks)
                    if (std::string_view(what) != "gain_" || with_gains) out += ',', append_csv_field(out, what + t.name);
            for (int i = 0; i < K; ++i)
                for (int j = 0; j < K; ++j)
                    if (opt.trace_full_gram || i == main) out += ',', append_csv_field(out, "G_" + tasks[std::size_t(i)].name + '_' + tasks[std::size_t(j)].name);
            out += '\n';
        }
        append_number(out, std::int64_t(steps));
        out += ',';
        append_number(out, std::int64_t(epoch));
        cells([&](int k) { return loss_values[std::size_t(k)]; }, K);
        cells([&](int k) { return reported[std::size_t(k)]; }, K);
        if (with_gains) cells([&](int k) { return gains[std::size_t(k)]; }, K);
        cells(grad_norm, K);
        for (int i = 0; i < K; ++i)
            if (opt.trace_full_gram || i == main) cells([&](int j) { return gram[std::size_t(i) * K + j]; }, K);
        out += '\n';
    } else {
        auto list = [&](const char* key, auto value_of, int n) {
            out += ",\"";
            out += key;
            out += "\":[";
            for (int i = 0; i < n; ++i) {
                if (i > 0) out += ',';
                append_json_number(out, double(value_of(i)));
            }
            out += ']';
        };
        out += "{\"step\":";
        append_number(out, std::int64_t(steps));
        out += ",\"epoch\":";
        append_number(out, std::int64_t(epoch));
        list("losses", [&](int k) { return loss_values[std::size_t(k)]; }, K);
        list("coefficients", [&](int k) { return reported[std::size_t(k)]; }, K);
        if (with_gains) list("gains", [&](int k) { return gains[std::size_t(k)]; }, K);
        list("grad_norms", grad_norm, K);
        if (opt.trace_full_gram) {
            list("gram", [&](int i) { return gram[std::size_t(i)]; }, K * K);
        } else {
            list("gram_main_row", [&](int k) { return gram[std::size_t(main) * K + k]; }, K);
        }
        out += "}\n";
    }
    opt.trace->write(out.data(), std::streamsize(out.size()));
}

template void Trainer<float>::State::write_trace();
template void Trainer<double>::State::write_trace();

void Introspection::write_json(std::ostream& os) const {
    std::string out;
    auto key = [&](const char* name) {
        out += "  \"";
        out += name;
        out += "\": ";
    };
    auto numbers = [&](const std::vector<double>& v) {
        out += '[';
        for (std::size_t i = 0; i < v.size(); ++i) {
            if (i > 0) out += ", ";
            append_json_number(out, v[i]);
        }
        out += ']';
    };
    auto strings = [&](const std::vector<std::string>& v) {
        out += '[';
        for (std::size_t i = 0; i < v.size(); ++i) {
            if (i > 0) out += ", ";
            append_json_string(out, v[i]);
        }
        out += ']';
    };
    out += "{\n";
    key("tasks");
    strings(tasks);
    out += ",\n";
    for (const auto& [name, values] : {std::pair{"losses", &losses}, {"gram", &gram}, {"feature_gram", &feature_gram}, {"gains", &gains}, {"coefficients", &coefficients},
                                       {"sample_dots", &sample_dots}, {"sample_norms", &sample_norms},
                                       {"sample_weights", &sample_weights}, {"grad_norms", &grad_norms}}) {
        key(name);
        numbers(*values);
        out += ",\n";
    }
    key("shared_parameters");
    strings(shared_parameters);
    out += ",\n";
    key("task_gradients");
    out += "[\n";
    for (std::size_t k = 0; k < task_gradients.size(); ++k) {
        out += "    ";
        numbers(task_gradients[k]);
        out += k + 1 < task_gradients.size() ? ",\n" : "\n";
    }
    out += "  ]\n}\n";
    os.write(out.data(), std::streamsize(out.size()));
}

}  // namespace hyda::mtl
