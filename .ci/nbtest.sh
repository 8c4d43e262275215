#!/usr/bin/env bash
# Run nbdev-test (the command is passed in: "$@"), keeping its output, with each notebook's time, in results/nbdev-test.log.
set -uo pipefail
mkdir -p results
start=$(date +%s)
env "$@" 2>&1 | tee results/nbdev-test.log
status=${PIPESTATUS[0]}
echo "nbdev-test total: $(( $(date +%s) - start )) s" | tee -a results/nbdev-test.log
exit $status
