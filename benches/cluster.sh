#!/usr/bin/env bash
# Cluster-mode figures on the simulated cluster and on real Apache Mesos
# 1.12 (../shared/mesos; skipped, saying why, when it is not there), side
# by side in one table (see scheduler/examples/cluster_bench/): seed job
# cold and warm, 1e6 x 16 served in 32 partitions, 3M x 16 in 400
# partitions, leader failover; then the simulator's memory figures and
# what TLS on the data server costs (a served 1 GiB job, --data-tls on vs
# off; on real Mesos, or on the simulator with --only simulated).
# Arguments go to the bench (--help lists them).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -q -p rmesos-executor
cargo run --release -q -p rmesos-scheduler --example cluster_bench -- "$@"
