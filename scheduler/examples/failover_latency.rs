//! Measures how long the driver takes to be subscribed again after the
//! leading master dies: from killing the leader (its ZooKeeper session and
//! znode go, the next contender leads) to SUBSCRIBED on the new leader,
//! over a number of failovers, against the simulated cluster and a real
//! ZooKeeper. Prints a table; not a test.
//!
//! Run: `cargo run --release -p rmesos-scheduler --example failover_latency [-- ROUNDS]`

use std::time::{Duration, Instant};

use rmesos_mesos_sim::zookeeper::ZooKeeperServer;
use rmesos_mesos_sim::{ClusterConfig, SimCluster};
use rmesos_scheduler::detection::{DetectorOptions, MasterUrl};
use rmesos_scheduler::driver::{
    Driver, DriverConfig, DriverEvent, FrameworkConfig, detected_leader,
};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let rounds: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(12);
    let zk = tokio::task::block_in_place(ZooKeeperServer::start)?;
    let sim = SimCluster::start(ClusterConfig {
        zk_connect: zk.connect_string(),
        heartbeat_interval: Duration::from_secs(1),
        ..ClusterConfig::default()
    })
    .await?;
    let config = DriverConfig {
        framework: FrameworkConfig {
            name: "failover-latency".into(),
            ..FrameworkConfig::default()
        },
        ..DriverConfig::default()
    };
    let leaders = detected_leader(
        MasterUrl::parse(&sim.zk_url())?,
        DetectorOptions::default(),
        false,
    );
    let mut driver = Driver::spawn(config, leaders)?;
    wait_subscribed(&mut driver).await?;
    let mut samples = Vec::with_capacity(rounds);
    for round in 0..rounds {
        let started = Instant::now();
        let dead = sim.kill_leader().await?;
        wait_subscribed(&mut driver).await?;
        let took = started.elapsed();
        samples.push(took);
        println!(
            "failover {:>2}: master {dead} killed, re-subscribed in {:>8.1} ms",
            round + 1,
            took.as_secs_f64() * 1e3
        );
        // Keep three contenders: the dead one rejoins behind the new leader.
        sim.restart_master(dead).await?;
    }
    samples.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    println!();
    println!("| failovers | median (ms) | max (ms) | min (ms) |");
    println!("| --- | --- | --- | --- |");
    println!(
        "| {} | {:.1} | {:.1} | {:.1} |",
        samples.len(),
        ms(samples[samples.len() / 2]),
        ms(samples[samples.len() - 1]),
        ms(samples[0])
    );
    Ok(())
}

async fn wait_subscribed(driver: &mut Driver) -> anyhow::Result<()> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        match tokio::time::timeout_at(deadline, driver.events.recv()).await {
            Ok(Some(DriverEvent::Subscribed { .. })) => return Ok(()),
            Ok(Some(_)) => continue,
            Ok(None) => anyhow::bail!("the driver stopped"),
            Err(_) => anyhow::bail!("not re-subscribed within 30 s"),
        }
    }
}
