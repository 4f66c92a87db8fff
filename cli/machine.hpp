#pragma once
// What a timing was measured on, for reports.
#include <string>

namespace hyda::cli {

// "Intel(R) Xeon(R) Processor (family 6, model 207), avx512 path, 2 hardware threads":
// /proc/cpuinfo's model name (a virtual machine's can be as vague as this one), its cpu
// family and model numbers, the SIMD path the kernels dispatch to, and the hardware
// threads. Fields /proc/cpuinfo lacks are left out ("unknown CPU" without a model name).
std::string cpu_description();

}  // namespace hyda::cli
