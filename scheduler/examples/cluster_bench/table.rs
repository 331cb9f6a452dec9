//! The markdown tables: one row per measurement, one column per cluster;
//! a cluster that could not run says why in its column.

use std::time::Duration;

use crate::measure::{Figures, Plan, SERVED_PARTITIONS};

/// One cluster's column: its figures, or why it was skipped.
pub struct Column {
    pub name: &'static str,
    pub figures: Result<Figures, String>,
}

/// A row's label and how it shows a cluster's figures.
type Row = (String, Box<dyn Fn(&Figures) -> Option<String>>);

/// The comparison table.
pub fn print(columns: &[Column], plan: Plan) {
    let header: Vec<&str> = columns.iter().map(|c| c.name).collect();
    println!("| measurement | {} |", header.join(" | "));
    println!("| --- |{}", " --- |".repeat(columns.len()));
    for (index, (label, show)) in rows(plan).iter().enumerate() {
        let cells: Vec<String> = columns
            .iter()
            .map(|column| cell(column, index, show))
            .collect();
        println!("| {label} | {} |", cells.join(" | "));
    }
}

/// The `(measurement, value)` table of the simulator's memory figures.
pub fn print_pairs(rows: &[(&str, String)]) {
    println!("| measurement (simulated cluster) | value |\n| --- | --- |");
    for (what, value) in rows {
        println!("| {what} | {value} |");
    }
}

fn cell(column: &Column, row: usize, show: &dyn Fn(&Figures) -> Option<String>) -> String {
    match &column.figures {
        Err(why) if row == 0 => format!("skipped: {why}"),
        Err(_) => "-".into(),
        Ok(figures) => show(figures).unwrap_or_else(|| match &figures.error {
            Some(error) => format!("failed: {}", error.replace('|', "/").replace('\n', " ")),
            None => "-".into(),
        }),
    }
}

fn rows(plan: Plan) -> Vec<Row> {
    let many = plan.many_partitions;
    let failovers = plan.failovers;
    let tiny = plan.tiny_partitions;
    vec![
        (
            "seed job, cold (first job of the session: executors fetched and started)".into(),
            Box::new(|f| f.seed_cold.map(ms)),
        ),
        (
            format!("seed job, warm (median of {})", plan.warm),
            Box::new(|f| f.seed_warm.map(ms)),
        ),
        (
            format!("1e6 x 16 served from the driver in {SERVED_PARTITIONS} partitions"),
            Box::new(|f| f.served.map(secs)),
        ),
        (
            format!(
                "{} x 16 served in {many} partitions",
                millions(plan.many_rows)
            ),
            Box::new(move |f| f.many.map(|d| rate(d, many))),
        ),
        (
            format!(
                "{} x 16 in {many} partitions, leading master killed at 30% (kill → end)",
                millions(plan.many_rows)
            ),
            Box::new(|f| f.many_failover.map(faulted)),
        ),
        (
            format!("{tiny} partitions of 2 rows"),
            Box::new(move |f| f.tiny.map(|d| rate(d, tiny))),
        ),
        (
            format!(
                "{} x 16 in {many} partitions, an agent and its executors killed at 10% (kill → end)",
                millions(plan.many_rows)
            ),
            Box::new(|f| f.agent_loss.map(faulted)),
        ),
        (
            format!("failover: leader killed → session subscribed again (median of {failovers})"),
            Box::new(|f| {
                let (median, max) = (median(&f.failovers)?, f.failovers.last()?);
                Some(format!("{} (max {})", ms(median), ms(*max)))
            }),
        ),
    ]
}

/// A job's time and its rate of `partitions`.
fn rate(d: Duration, partitions: u32) -> String {
    let per_second = f64::from(partitions) / d.as_secs_f64();
    format!("{} ({per_second:.0} partitions/s)", secs(d))
}

/// A faulted job's whole time and, in brackets, from the fault to its end.
fn faulted((all, after): (Duration, Duration)) -> String {
    format!("{} ({})", secs(all), secs(after))
}

fn median(sorted: &[Duration]) -> Option<Duration> {
    sorted.get(sorted.len() / 2).copied()
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1e3)
}

fn secs(d: Duration) -> String {
    format!("{:.2} s", d.as_secs_f64())
}

fn millions(rows: usize) -> String {
    if rows.is_multiple_of(1_000_000) {
        format!("{}M", rows / 1_000_000)
    } else {
        format!("{rows}")
    }
}
