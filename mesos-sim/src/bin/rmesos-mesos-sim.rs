//! `rmesos-mesos-sim`: runs a simulated Mesos cluster for manual trials
//! against a ZooKeeper you started (masters register under `--zk-path`).
//!
//! `cargo run -p rmesos-mesos-sim -- --zk 127.0.0.1:2181 --masters 3 --agents 2`

use std::time::Duration;

use clap::Parser;
use rmesos_mesos_sim::{ClusterConfig, SimCluster};

#[derive(Parser)]
#[command(
    about = "A simulated Mesos cluster (test tool): masters registered in ZooKeeper serving the v1 scheduler API"
)]
struct Args {
    /// ZooKeeper to register the masters in (host:port).
    #[arg(long, default_value = "127.0.0.1:2181")]
    zk: String,
    /// Znode path of the masters.
    #[arg(long, default_value = "/mesos")]
    zk_path: String,
    #[arg(long, default_value_t = 3)]
    masters: usize,
    #[arg(long, default_value_t = 2)]
    agents: usize,
    /// Seconds between HEARTBEAT events.
    #[arg(long, default_value_t = 15.0)]
    heartbeat_seconds: f64,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .init();
    let args = Args::parse();
    let sim = SimCluster::start(ClusterConfig {
        zk_connect: args.zk,
        zk_path: args.zk_path,
        masters: args.masters,
        agents: args.agents,
        heartbeat_interval: Duration::from_secs_f64(args.heartbeat_seconds.max(0.01)),
        ..ClusterConfig::default()
    })
    .await?;
    println!("masters: {}", sim.master_urls().join(" "));
    println!("master URL for frameworks: {}", sim.zk_url());
    tokio::signal::ctrl_c().await?;
    sim.shutdown().await;
    Ok(())
}
