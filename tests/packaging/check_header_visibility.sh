#!/usr/bin/env bash
# Every public header marks its declarations as exported (cmake/package.cmake): a header
# without `#pragma GCC visibility push(default)` ... `pop` would leave its functions out
# of the shared libraries, which only a program linking them would notice.
# Usage: check_header_visibility.sh SOURCE_DIR
set -euo pipefail
status=0
for header in "$1"/*/include/hyda/*/*.hpp; do
    case "$header" in */hyda/kernels/export.hpp) continue ;; esac
    if ! grep -q '^#pragma GCC visibility push(default)' "$header" || ! grep -q '^#pragma GCC visibility pop' "$header"; then
        echo "$header: no '#pragma GCC visibility push(default)' ... 'pop' around its declarations"
        status=1
    fi
done
exit $status
