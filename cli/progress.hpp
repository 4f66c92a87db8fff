#pragma once
// Progress of a long run on stderr: one line per epoch (train), or per finished run
// (compare), with the time left estimated from the mean so far.
#include <chrono>
#include <ostream>
#include <string>
#include <vector>

#include "hyda/mtl/trainer.hpp"

namespace hyda::cli {

// "12 s", "3 min 05 s", "1 h 02 min".
std::string duration_text(double seconds);

class EpochProgress {
public:
    EpochProgress(std::ostream& err, std::vector<std::string> tasks, std::string metric, int epochs);
    // epoch 3/40  loss Class 0.4123 int_rate 0.8120  validation roc_auc 0.7123 (best)  0.52 s/epoch  at most 19 s left
    void operator()(const mtl::EpochReport& r);

private:
    std::ostream& err_;
    std::vector<std::string> tasks_;
    std::string metric_;
    int epochs_;
    double seconds_ = 0;  // over the epochs reported here (a resumed run's first is not epoch 1)
    int seen_ = 0;
};

}  // namespace hyda::cli
