#!/bin/sh
# run.sh -- run every tests/cli/<exe>_<case>.sh; each exits 0 on success.
# Environment: DUALREC_BIN (the bin directory), SAMPLES_DIR.
# Prints one line per case and a closing "N passed, N failed".
set -u
here=$(cd "$(dirname "$0")" && pwd)
pass=0
fail=0
failed=""
for t in "$here"/*.sh; do
    name=$(basename "$t" .sh)
    case "$name" in run|lib) continue ;; esac
    log=$(mktemp)
    if sh "$t" >"$log" 2>&1; then
        pass=$((pass + 1))
        echo "cli: $name: ok"
    else
        fail=$((fail + 1))
        failed="$failed $name"
        echo "cli: $name: FAILED"
        sed 's/^/    /' "$log" | tail -n 30
    fi
    rm -f "$log"
done
echo "cli: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
