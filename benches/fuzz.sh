#!/usr/bin/env bash
# Runs every fuzz property of the parsers of untrusted bytes (the `.npy`
# and `.csv` readers: common/tests/readers_fuzz.rs; RecordIO, MasterInfo,
# the summary codec, the partition spec, lease grant, driver messages and
# failure reports: common/tests/wire_fuzz.rs) for MINUTES each (default
# 10), in batches of fresh random cases, and prints a table of how many
# cases each ran and whether any failed (a failure prints the shrunk
# input and stops that property).
# Usage: bash benches/fuzz.sh [MINUTES]
set -euo pipefail
cd "$(dirname "$0")/.."
minutes="${1:-10}"
batch=20000
cargo test --release -q -p rmesos-common --test readers_fuzz --test wire_fuzz --no-run
echo "| property | minutes | cases | result |"
echo "| --- | --- | --- | --- |"
for target in readers_fuzz wire_fuzz; do
    for name in $(cargo test --release -q -p rmesos-common --test "$target" -- --list 2>/dev/null \
            | sed -n 's/: test$//p'); do
        cases=0
        result=passed
        end=$((SECONDS + minutes * 60))
        while [ "$SECONDS" -lt "$end" ]; do
            if ! RMESOS_FUZZ_CASES=$batch cargo test --release -q -p rmesos-common \
                    --test "$target" -- --exact "$name" >"/tmp/fuzz-$name.log" 2>&1; then
                result="FAILED (see /tmp/fuzz-$name.log)"
                break
            fi
            cases=$((cases + batch))
        done
        echo "| $target::$name | $minutes | $cases | $result |"
    done
done
