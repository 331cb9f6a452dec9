//! `rmesos-mesos-sim`: runs a simulated Mesos cluster for manual trials
//! against a ZooKeeper you started (masters register under `--zk-path`).
//!
//! `cargo run -p rmesos-mesos-sim -- --zk 127.0.0.1:2181 --masters 3 --agents 2`
//!
//! With `--zk auto` it starts its own ZooKeeper (Debian's package) on a
//! free port. With `--real` it runs real Apache Mesos instead (its own
//! ZooKeeper, real masters and agents; see `real_mesos`), or exits with
//! status 3 and the reason on stderr when real Mesos is not available. Once the masters are up it prints `MESOS_MASTERS=<url>,...`
//! (each master's HTTP address, for operator endpoints such as
//! `/master/state`; any master redirects to the leader), then
//! `RMESOS_MASTER=<zk url>`. It stops (ZooKeeper too) on Ctrl-C or
//! SIGTERM, and with `--exit-on-stdin-eof` when its standard input closes
//! (test fixtures).

use std::time::Duration;

use clap::Parser;
use rmesos_mesos_sim::real_mesos::{RealMesos, RealMesosConfig};
use rmesos_mesos_sim::zookeeper::ZooKeeperServer;
use rmesos_mesos_sim::{ClusterConfig, SimCluster};
use tokio::signal::unix::{SignalKind, signal};

#[derive(Parser)]
#[command(
    about = "A simulated Mesos cluster (test tool): masters registered in ZooKeeper serving the v1 scheduler API"
)]
struct Args {
    /// ZooKeeper to register the masters in (host:port), or `auto` to start one.
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
    /// CPUs of each agent.
    #[arg(long, default_value_t = 4.0)]
    agent_cpus: f64,
    /// Milliseconds between offer cycles (Mesos' `--allocation_interval`,
    /// 1000 by default); tests shorten it for fast offers.
    #[arg(long, default_value_t = 1000)]
    allocation_interval_ms: u64,
    /// Run real Apache Mesos (`RMESOS_TEST_MESOS_HOME`, or
    /// `../shared/mesos/install.sh`) instead of the simulation; `--zk` is
    /// ignored (it starts its own ZooKeeper).
    #[arg(long)]
    real: bool,
    /// Agents run executors as the agents' own user, whatever the
    /// framework's (Mesos' `--no-switch_user`); by default an executor of
    /// a user this machine does not know ends unstarted, as on Mesos.
    #[arg(long)]
    no_switch_user: bool,
    /// Stop when standard input closes (so a parent that dies stops it too).
    #[arg(long)]
    exit_on_stdin_eof: bool,
}

fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .init();
    let args = Args::parse();
    let runtime = tokio::runtime::Runtime::new()?;
    let result = runtime.block_on(async {
        if args.real {
            run_real(&args).await
        } else {
            run_simulated(&args).await
        }
    });
    // The thread blocked reading stdin never ends on a signal: do not wait
    // for it (a runtime's drop would).
    runtime.shutdown_background();
    result
}

/// The simulated cluster, until told to stop.
async fn run_simulated(args: &Args) -> anyhow::Result<()> {
    let zookeeper = match args.zk.as_str() {
        "auto" => Some(tokio::task::spawn_blocking(ZooKeeperServer::start).await??),
        _ => None,
    };
    let zk_connect = zookeeper
        .as_ref()
        .map_or_else(|| args.zk.clone(), ZooKeeperServer::connect_string);
    let sim = SimCluster::start(ClusterConfig {
        zk_connect,
        agent_cpus: args.agent_cpus,
        zk_path: args.zk_path.clone(),
        masters: args.masters,
        agents: args.agents,
        heartbeat_interval: Duration::from_secs_f64(args.heartbeat_seconds.max(0.01)),
        allocation_interval: Duration::from_millis(args.allocation_interval_ms.max(1)),
        switch_user: !args.no_switch_user,
        ..ClusterConfig::default()
    })
    .await?;
    println!("MESOS_MASTERS={}", sim.master_urls().join(","));
    println!("RMESOS_MASTER={}", sim.zk_url());
    wait_for_stop(args.exit_on_stdin_eof).await?;
    sim.shutdown().await;
    drop(zookeeper);
    Ok(())
}

/// Real Mesos with the masters and agents asked for, until told to stop.
async fn run_real(args: &Args) -> anyhow::Result<()> {
    if let Err(why) = rmesos_mesos_sim::real_mesos::install::mesos_home() {
        eprintln!("real Mesos is not available: {why}");
        std::process::exit(3);
    }
    let cluster = RealMesos::start(RealMesosConfig {
        masters: args.masters,
        agents: args.agents,
        agent_cpus: args.agent_cpus,
        allocation_interval: Some(Duration::from_millis(args.allocation_interval_ms.max(1))),
        ..RealMesosConfig::default()
    })
    .await?;
    println!("MESOS_MASTERS={}", cluster.master_urls().join(","));
    println!("RMESOS_MASTER={}", cluster.zk_url());
    println!("MESOS_AGENTS={}", cluster.agent_urls().join(","));
    wait_for_stop(args.exit_on_stdin_eof).await?;
    drop(cluster);
    Ok(())
}

/// Returns on Ctrl-C, SIGTERM, or (with `watch_stdin`) the end of stdin.
async fn wait_for_stop(watch_stdin: bool) -> anyhow::Result<()> {
    let mut terminate = signal(SignalKind::terminate())?;
    let stdin_closed = async move {
        if !watch_stdin {
            return std::future::pending().await;
        }
        let _ = tokio::task::spawn_blocking(|| {
            let mut sink = Vec::new();
            let _ = std::io::Read::read_to_end(&mut std::io::stdin(), &mut sink);
        })
        .await;
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = terminate.recv() => {}
        _ = stdin_closed => {}
    }
    Ok(())
}
