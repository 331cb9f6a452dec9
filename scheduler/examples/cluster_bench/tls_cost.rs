//! What TLS on the data server costs: the same served job (1 GiB in the
//! driver's memory, 16 columns, 8 partitions) in a session with
//! `--data-tls on` (the default) and then in one with it off, on the same
//! cluster, the median of a few runs each after a warm-up that takes the
//! leases.

use std::sync::Arc;
use std::time::{Duration, Instant};

use rmesos_scheduler::engine::{Dataset, NoProgress};

use crate::clusters::Target;
use crate::measure::plan;
use crate::memory::Rows;
use crate::session;

const GIB: usize = 1 << 30;
const PARTITIONS: u32 = 8;
const RUNS: usize = 3;

/// The rows: each setting's median time and rate, then the ratio.
pub async fn tls_cost(target: &Target) -> anyhow::Result<Rows> {
    let values: Arc<[f64]> = (0..GIB / 8).map(|i| (i % 997) as f64 * 0.25).collect();
    let dataset = Dataset::in_memory(values, 16)?;
    let on = median_run(target, &dataset, "on").await?;
    let off = median_run(target, &dataset, "off").await?;
    let shown = |d: Duration| {
        let secs = d.as_secs_f64();
        format!("{secs:.2} s ({:.2} GB/s)", GIB as f64 / secs / 1e9)
    };
    Ok(vec![
        (
            "served 1 GiB in 8 partitions, --data-tls on (median of 3)",
            shown(on),
        ),
        ("the same, --data-tls off", shown(off)),
        (
            "TLS on / off",
            format!("{:.2}x", on.as_secs_f64() / off.as_secs_f64()),
        ),
    ])
}

/// A session with `data_tls` set to `tls`: one warm-up run, then the
/// median of [`RUNS`]; the session is stopped after, giving its leases back.
async fn median_run(target: &Target, dataset: &Dataset, tls: &str) -> anyhow::Result<Duration> {
    let cluster = session::connect(&target.zk_url(), &[("data_tls", tls)]).await?;
    let mut times = Vec::new();
    for run in 0..=RUNS {
        let job = format!("tls-{tls}-{run}");
        let started = Instant::now();
        cluster
            .run(plan(dataset, &job, PARTITIONS)?, Arc::new(NoProgress))
            .await?;
        if run > 0 {
            times.push(started.elapsed());
        }
    }
    cluster.shutdown().await?;
    times.sort();
    Ok(times[times.len() / 2])
}
