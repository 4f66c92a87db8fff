#pragma once
// An owning, row-major matrix of float or double (a vector is 1 x n or n x 1; a batch
// of feature vectors is rows = samples, cols = features).
#include <cstddef>
#include <stdexcept>
#include <string>
#include <vector>

namespace hyda::ad {

template <class T>
class Tensor {
public:
    Tensor() = default;
    Tensor(int rows, int cols, T fill = T(0)) : rows_(rows), cols_(cols) {
        if (rows < 0 || cols < 0) {
            throw std::invalid_argument("Tensor: negative shape [" + std::to_string(rows) + " x " + std::to_string(cols) + "]");
        }
        data_.assign(std::size_t(rows) * std::size_t(cols), fill);
    }

    int rows() const { return rows_; }
    int cols() const { return cols_; }
    std::size_t size() const { return data_.size(); }
    T* data() { return data_.data(); }
    const T* data() const { return data_.data(); }
    T& operator()(int r, int c) { return data_[std::size_t(r) * cols_ + c]; }
    const T& operator()(int r, int c) const { return data_[std::size_t(r) * cols_ + c]; }

    // Changes the shape; keeps the storage when it is large enough (no allocation).
    void resize(int rows, int cols) {
        rows_ = rows;
        cols_ = cols;
        data_.resize(std::size_t(rows) * std::size_t(cols));
    }

private:
    int rows_ = 0, cols_ = 0;
    std::vector<T> data_;
};

// "[rows x cols]", for error messages.
inline std::string shape_string(int rows, int cols) { return "[" + std::to_string(rows) + " x " + std::to_string(cols) + "]"; }

}  // namespace hyda::ad
