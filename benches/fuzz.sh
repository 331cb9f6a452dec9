#!/usr/bin/env bash
# Runs the fuzz properties of every parser of untrusted bytes (the `.npy`,
# `.csv` and Parquet readers: common/tests/readers_fuzz.rs; RecordIO,
# MasterInfo, the summary codec and the task description (partition spec,
# lease grant, driver messages, failure reports): common/tests/wire_fuzz.rs)
# for MINUTES per parser (default 10), shared evenly by that parser's
# properties, in batches of fresh random cases, and prints a table of how
# many cases each property ran and whether any failed (a failure prints
# the shrunk input to the log named in the table and stops that property).
# Usage: bash benches/fuzz.sh [MINUTES [PATTERN]] (PATTERN: only the
# properties whose name matches this grep -E pattern, say 'parquet|summary')
set -euo pipefail
cd "$(dirname "$0")/.."
minutes="${1:-10}"
pattern="${2:-.}"
batch=20000
cargo test --release -q -p rmesos-common --test readers_fuzz --test wire_fuzz --no-run

# The parser a property exercises, from its name.
parser_of() {
    case "$1" in
        *npy*) echo "npy reader" ;;
        *csv*) echo "csv reader" ;;
        *parquet*) echo "parquet reader" ;;
        *recordio*) echo "RecordIO" ;;
        *master_info*) echo "MasterInfo" ;;
        *summary*) echo "summary codec" ;;
        *) echo "task description" ;;
    esac
}

properties=()
for target in readers_fuzz wire_fuzz; do
    for name in $(cargo test --release -q -p rmesos-common --test "$target" -- --list 2>/dev/null \
            | sed -n 's/: test$//p' | grep -E -- "$pattern"); do
        properties+=("$target $name")
    done
done
declare -A per_parser=()
for entry in "${properties[@]}"; do
    parser=$(parser_of "${entry#* }")
    per_parser[$parser]=$(( ${per_parser[$parser]:-0} + 1 ))
done

echo "| parser | property | seconds | cases | result |"
echo "| --- | --- | --- | --- | --- |"
for entry in "${properties[@]}"; do
    target=${entry%% *}
    name=${entry#* }
    parser=$(parser_of "$name")
    seconds=$(( minutes * 60 / per_parser[$parser] ))
    cases=0
    result=passed
    end=$((SECONDS + seconds))
    while [ "$SECONDS" -lt "$end" ]; do
        if ! RMESOS_FUZZ_CASES=$batch cargo test --release -q -p rmesos-common \
                --test "$target" -- --exact "$name" >"/tmp/fuzz-$name.log" 2>&1; then
            result="FAILED (see /tmp/fuzz-$name.log)"
            break
        fi
        cases=$((cases + batch))
    done
    echo "| $parser | $target::$name | $seconds | $cases | $result |"
done
