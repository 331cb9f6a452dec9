//! Cluster-mode figures on the simulated cluster and on real Apache Mesos
//! 1.12, side by side, one session per cluster (see `measure`): the seed
//! job cold and warm, a 1e6 x 16 job served from the driver in 32
//! partitions, a 3M x 16 job in 400 partitions, and leader failover; then
//! the simulator's memory figures (`memory`). Both clusters have the same
//! shape (`clusters`); real Mesos is skipped, saying why, when it is not
//! installed. Prints markdown tables; not a test.
//!
//! Run: `bash benches/cluster.sh [-- ARGS]` (builds the executor in
//! release first); `--help` lists the arguments.

mod clusters;
mod measure;
mod memory;
mod mid_job;
mod session;
mod table;
mod tls_cost;

use clap::{Parser, ValueEnum};

use clusters::Target;
use measure::{Figures, Plan};
use table::Column;

#[derive(Parser, Debug)]
#[command(about = "rmesos on the simulated cluster and on real Mesos, side by side")]
struct Args {
    /// Warm seed jobs; the median is reported.
    #[arg(long, default_value_t = 20)]
    warm: usize,
    /// Leader failovers; the median is reported.
    #[arg(long, default_value_t = 5)]
    failovers: usize,
    /// Rows (x 16 columns) of the many-partition job.
    #[arg(long, default_value_t = 3_000_000)]
    many_rows: usize,
    /// Partitions of the many-partition job.
    #[arg(long, default_value_t = 400)]
    many_partitions: u32,
    /// Partitions of the tiny job (2 rows each).
    #[arg(long, default_value_t = 1000)]
    tiny_partitions: u32,
    /// Leave out the simulator's memory figures (1 GiB datasets).
    #[arg(long)]
    no_memory: bool,
    /// Leave out the cost of TLS on the data server (two more sessions,
    /// 1 GiB served 8 times).
    #[arg(long)]
    no_tls_cost: bool,
    /// Measure one cluster only.
    #[arg(long, value_enum)]
    only: Option<Only>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Only {
    Simulated,
    Real,
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    // Quiet unless RUST_LOG asks for more.
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_writer(std::io::stderr)
        .init();
    let plan = Plan {
        warm: args.warm,
        many_rows: args.many_rows,
        many_partitions: args.many_partitions,
        failovers: args.failovers,
        tiny_partitions: args.tiny_partitions,
    };
    let mut columns = Vec::new();
    let mut memory_rows = None;
    let mut real_rows = None;
    if args.only != Some(Only::Real) {
        eprintln!("simulated cluster: starting");
        let target = Target::simulated().await?;
        let with_tls = !args.no_tls_cost && args.only == Some(Only::Simulated);
        let (figures, rows) = run_on(target, plan, !args.no_memory, with_tls).await;
        memory_rows = rows;
        columns.push(Column {
            name: "simulated cluster",
            figures: Ok(figures),
        });
    }
    if args.only != Some(Only::Simulated) {
        eprintln!("real Mesos 1.12: starting");
        let figures = match Target::real().await {
            Ok(Ok(target)) => {
                let (figures, rows) = run_on(target, plan, false, !args.no_tls_cost).await;
                real_rows = rows;
                Ok(figures)
            }
            Ok(Err(why)) => Err(format!("real Mesos is not installed: {why}")),
            Err(error) => Err(format!("real Mesos did not start: {error:#}")),
        };
        columns.push(Column {
            name: "real Mesos 1.12",
            figures,
        });
    }
    table::print(&columns, plan);
    println!(
        "\nBoth: {} masters, {} agents x {} cpus, offers every {:?}, {} cpu per task; \
         real masters' --zk_session_timeout {:?}.",
        clusters::MASTERS,
        clusters::AGENTS,
        clusters::AGENT_CPUS,
        clusters::ALLOCATION_INTERVAL,
        session::TASK_CPUS,
        clusters::ZK_SESSION_TIMEOUT,
    );
    if let Some(rows) = memory_rows {
        println!("\nOn the simulated cluster:\n");
        table::print_pairs(&rows);
    }
    if let Some(rows) = real_rows {
        println!("\nOn real Mesos 1.12:\n");
        table::print_pairs(&rows);
    }
    Ok(())
}

/// One session on `target`: every figure, the memory rows when asked
/// (`None` when not asked or when they failed, which is said on stderr);
/// then the session and the cluster are stopped.
async fn run_on(
    mut target: Target,
    plan: Plan,
    with_memory: bool,
    with_tls_cost: bool,
) -> (Figures, Option<memory::Rows>) {
    let mut figures = Figures::default();
    let mut rows = None;
    match session::connect(&target.zk_url(), &[]).await {
        Err(error) => figures.error = Some(format!("no session: {error:#}")),
        Ok(cluster) => {
            measure::measure(&mut target, &cluster, plan, &mut figures).await;
            if with_memory {
                rows = memory::memory(&target, &cluster)
                    .await
                    .inspect_err(|e| eprintln!("memory figures failed: {e:#}"))
                    .ok();
            }
            if figures.error.is_none() {
                measure::agent_killed_mid_job(&mut target, &cluster, plan, &mut figures).await;
            }
            if let Err(error) = cluster.shutdown().await {
                eprintln!("the session did not stop cleanly: {error}");
            }
        }
    }
    if with_tls_cost && figures.error.is_none() {
        match tls_cost::tls_cost(&target).await {
            Ok(tls) => rows.get_or_insert_with(Vec::new).extend(tls),
            Err(e) => eprintln!("TLS cost figures failed: {e:#}"),
        }
    }
    target.shutdown().await;
    (figures, rows)
}
