#pragma once
// Plots drawn by gnuplot: for BASE.svg, the data go to BASE.dat and the script to
// BASE.gp in the same directory, then `gnuplot BASE.gp` runs there. Without gnuplot
// (or if it fails), a warning says so and the data and script stay, to be drawn later.
#include <filesystem>
#include <ostream>
#include <string>
#include <vector>

namespace hyda::cli {

struct Series {
    std::string title;
    std::vector<double> x, y;
    std::vector<double> error;        // if not empty: error bars of +- error[i]
    std::vector<std::string> labels;  // if not empty: x tick labels at x[i]
};

struct Plot {
    std::string title, xlabel, ylabel;
    std::vector<Series> series;
};

// Returns true if the SVG was drawn.
bool draw(const std::filesystem::path& svg, const Plot& plot, std::ostream& warnings);

// The trailing moving average over `window` values (fewer at the start).
std::vector<double> moving_average(const std::vector<double>& v, std::size_t window);

}  // namespace hyda::cli
