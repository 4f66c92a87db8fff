#!/usr/bin/env bash
# The shared C library exports exactly the functions hyda.h declares: each of them, and
# nothing else (c/hyda_c.map): no C++ runtime template, nothing of hyda::mtl.
# Usage: check_c_exports.sh HYDA_H LIBHYDA_C.so
set -euo pipefail
header=$1 library=$2
declared=$(sed -n 's/^HYDA_C_API [^(]*[ *]\(hyda_[a-z_]*\)(.*/\1/p' "$header" | sort)
exported=$(nm -D --defined-only "$library" | awk '{print $3}' | sort)
[ -n "$declared" ] || { echo "no function declarations found in $header"; exit 1; }
if [ "$declared" != "$exported" ]; then
    echo "exports of $library differ from the functions of $header (< declared, > exported):"
    diff <(echo "$declared") <(echo "$exported") || true
    exit 1
fi
echo "$(wc -l <<<"$exported") functions exported, as declared"
