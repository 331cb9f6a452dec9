#!/usr/bin/env bash
# Cluster-mode figures on the simulated cluster (see
# scheduler/examples/cluster_bench.rs): seed latency cold and warm,
# 1,000-partition tasks/s, executor peak RSS on 1 GiB, driver overhead.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -q -p rmesos-executor
cargo run --release -q -p rmesos-scheduler --example cluster_bench
