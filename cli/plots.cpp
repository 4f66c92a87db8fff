#include "plots.hpp"

#include <cstdlib>
#include <fstream>
#include <stdexcept>

namespace hyda::cli {
namespace {

// A gnuplot single-quoted string: no escapes inside, a quote doubled.
std::string quoted(const std::string& s) {
    std::string out = "'";
    for (const char c : s) out += c == '\'' ? std::string("''") : std::string(1, c);
    return out + "'";
}

// A shell single-quoted word.
std::string shell_word(const std::string& s) {
    std::string out = "'";
    for (const char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return out + "'";
}

bool gnuplot_on_path() {
    const char* path = std::getenv("PATH");
    std::string dirs = path ? path : "";
    for (std::size_t start = 0; start <= dirs.size();) {
        const std::size_t end = std::min(dirs.find(':', start), dirs.size());
        const std::filesystem::path candidate = std::filesystem::path(dirs.substr(start, end - start)) / "gnuplot";
        std::error_code ec;
        if (end > start && std::filesystem::is_regular_file(candidate, ec)) return true;
        start = end + 1;
    }
    return false;
}

void write_data(const std::filesystem::path& file, const Plot& plot) {
    std::ofstream out(file);
    out.precision(17);
    for (const Series& s : plot.series) {
        out << "# " << s.title << '\n';
        for (std::size_t i = 0; i < s.x.size(); ++i) {
            out << s.x[i] << ' ' << s.y[i];
            if (!s.error.empty()) out << ' ' << s.error[i];
            if (!s.labels.empty()) out << " \"" << s.labels[i] << '"';
            out << '\n';
        }
        out << "\n\n";  // gnuplot: the next data set (index)
    }
    if (!out) throw std::runtime_error("cannot write " + file.string());
}

void write_script(const std::filesystem::path& file, const std::string& data, const std::string& svg, const Plot& plot) {
    std::ofstream out(file);
    out << "# Draws " << svg << " from " << data << ": gnuplot " << file.filename().string() << "\n"
        << "set terminal svg size 900,520 dynamic background '#ffffff'\n"
        << "set termoption noenhanced\n"
        << "set output " << quoted(svg) << '\n'
        << "set title " << quoted(plot.title) << '\n'
        << "set xlabel " << quoted(plot.xlabel) << '\n'
        << "set ylabel " << quoted(plot.ylabel) << '\n'
        << "set grid\nset key outside right\n";
    const bool bars = !plot.series.empty() && !plot.series[0].error.empty();
    if (bars) out << "set offsets 0.5, 0.5, 0, 0\nset xtics rotate by -30\n";
    out << "plot ";
    for (std::size_t i = 0; i < plot.series.size(); ++i) {
        const Series& s = plot.series[i];
        const std::string columns = !s.error.empty() ? (s.labels.empty() ? "1:2:3" : "1:2:3:xtic(4)") : (s.labels.empty() ? "1:2" : "1:2:xtic(3)");
        out << (i ? ", \\\n     " : "") << quoted(data) << " index " << i << " using " << columns
            << (s.error.empty() ? " with lines lw 2" : " with yerrorbars pt 7 ps 1.2 lw 2") << " title " << quoted(s.title);
    }
    out << '\n';
    if (!out) throw std::runtime_error("cannot write " + file.string());
}

}  // namespace

bool draw(const std::filesystem::path& svg, const Plot& plot, std::ostream& warnings) {
    const std::filesystem::path dir = svg.parent_path().empty() ? "." : svg.parent_path();
    const std::string stem = svg.stem().string();
    write_data(dir / (stem + ".dat"), plot);
    write_script(dir / (stem + ".gp"), stem + ".dat", svg.filename().string(), plot);
    if (!gnuplot_on_path()) {
        warnings << "hyda: warning: gnuplot not found: kept " << (dir / (stem + ".gp")).string() << " and its data; run `gnuplot " << stem
                 << ".gp` in " << dir.string() << " to draw " << svg.filename().string() << '\n';
        return false;
    }
    // gnuplot's messages go to BASE.log, kept only if it fails.
    const std::filesystem::path log = dir / (stem + ".log");
    const std::string command = "cd " + shell_word(dir.string()) + " && gnuplot " + shell_word(stem + ".gp") + " > " + shell_word(stem + ".log") + " 2>&1";
    if (std::system(command.c_str()) != 0) {
        warnings << "hyda: warning: gnuplot failed on " << (dir / (stem + ".gp")).string() << " (see " << log.string() << "); the data and script are kept\n";
        return false;
    }
    std::filesystem::remove(log);
    return true;
}

std::vector<double> moving_average(const std::vector<double>& v, std::size_t window) {
    std::vector<double> out(v.size());
    double sum = 0;
    for (std::size_t i = 0; i < v.size(); ++i) {
        sum += v[i];
        if (i >= window) sum -= v[i - window];
        out[i] = sum / double(std::min(i + 1, window));
    }
    return out;
}

}  // namespace hyda::cli
