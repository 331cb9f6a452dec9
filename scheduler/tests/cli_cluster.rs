//! `rmesos-submit` against the simulated cluster: the seed file served
//! from this process and read in place (`--shared`), both as JSON; bad
//! input exits 2 naming file and line.

mod cluster_support;

use std::process::{Command, Output};

use cluster_support::*;

async fn submit(master: String, args: Vec<String>) -> Output {
    tokio::task::spawn_blocking(move || {
        Command::new(env!("CARGO_BIN_EXE_rmesos-submit"))
            .args([
                "--master",
                &master,
                "--format",
                "json",
                "--data-bind",
                "127.0.0.1:0",
            ])
            .args(&args)
            .env_remove("RMESOS_MASTER")
            .output()
            .expect("rmesos-submit runs")
    })
    .await
    .unwrap()
}

fn seed() -> String {
    format!("{}/../examples/seed.csv", env!("CARGO_MANIFEST_DIR"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_seed_job_on_the_cluster_served_and_shared() {
    init_tracing();
    let setup = start_sim(2, |_| {}).await;
    let _ = executor_binary();
    for extra in [vec![], vec!["--shared".to_owned()]] {
        let mut args = extra.clone();
        args.extend(["--partitions".to_owned(), "2".to_owned(), seed()]);
        let output = submit(setup.sim.zk_url(), args).await;
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(0), "{extra:?}: {stderr}");
        let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
        assert_eq!(json["count"], 3);
        assert_eq!(json["mean"], serde_json::json!([2.0, 20.0, 200.0]));
        assert_eq!(json["variance"], serde_json::json!([1.0, 100.0, 10000.0]));
    }
    // The optional statistics, computed by the executors from the shared file.
    let args = [
        "--shared",
        "--corr",
        "--quantiles",
        "0,0.5,1",
        "--relative-error",
        "0",
    ];
    let mut args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    args.push(seed());
    let output = submit(setup.sim.zk_url(), args).await;
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let rows = [[1.0, 20.0, 300.0], [3.0, 10.0, 200.0], [2.0, 30.0, 100.0]];
    let column = |j: usize| rows.iter().map(|r| r[j]).collect::<Vec<f64>>();
    let (a, b) = (column(0), column(1));
    let (ma, mb) = (a.iter().sum::<f64>() / 3.0, b.iter().sum::<f64>() / 3.0);
    let dot = |x: &[f64], mx: f64, y: &[f64], my: f64| -> f64 {
        x.iter().zip(y).map(|(p, q)| (p - mx) * (q - my)).sum()
    };
    let want = dot(&a, ma, &b, mb) / (dot(&a, ma, &a, ma) * dot(&b, mb, &b, mb)).sqrt();
    let got = json["corr"][0][1].as_f64().unwrap();
    assert!((got - want).abs() < 1e-12, "{got} vs {want}");
    for j in 0..3 {
        let mut sorted = column(j);
        sorted.sort_by(f64::total_cmp);
        // Exact (error 0): min, the ceil(0.5 * 3) = 2nd smallest, max.
        for (i, rank) in [1usize, 2, 3].iter().enumerate() {
            assert_eq!(
                json["quantiles"]["values"][i][j].as_f64(),
                Some(sorted[rank - 1])
            );
        }
    }
    // Each run tore its framework down.
    setup
        .sim
        .wait_until("frameworks torn down", WAIT, |s| {
            s.frameworks.iter().all(|f| !f.connected)
        })
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_shared_input_exits_2_naming_file_and_line() {
    init_tracing();
    let setup = start_sim(1, |_| {}).await;
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.csv");
    std::fs::write(&bad, "1,2\n3,4\n5,six\n").unwrap();
    let output = submit(
        setup.sim.zk_url(),
        vec!["--shared".into(), bad.display().to_string()],
    )
    .await;
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("bad.csv: line 3, column 2"), "{stderr}");
}

/// Writes a Parquet file (4 row groups) and a directory of three `.npy`
/// parts, and prints numpy's mean of each, as JSON.
const WRITE_PARQUET_AND_PARTS: &str = r#"
import json, os, sys
import numpy as np, pyarrow as pa, pyarrow.parquet as pq
root = sys.argv[1]
rng = np.random.default_rng(11)
x = rng.normal(5, 2, size=(4000, 3))
pq.write_table(pa.table({"p": x[:, 0], "q": x[:, 1], "r": x[:, 2], "s": [str(v) for v in x[:, 0]]}),
               os.path.join(root, "table.parquet"), row_group_size=1000)
os.mkdir(os.path.join(root, "parts"))
parts = [rng.normal(-3, 1, size=(n, 2)) for n in (300, 5, 1200)]
for i, part in enumerate(parts):
    np.save(os.path.join(root, "parts", f"part-{i}.npy"), part)
print(json.dumps({"parquet": x.mean(axis=0).tolist(), "parts": np.concatenate(parts).mean(axis=0).tolist()}))
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shared_parquet_and_a_directory_of_parts_are_read_by_the_executors() {
    init_tracing();
    let setup = start_sim(2, |_| {}).await;
    let _ = executor_binary();
    let dir = tempfile::tempdir().unwrap();
    let written = Command::new("python3")
        .args([
            "-c",
            WRITE_PARQUET_AND_PARTS,
            &dir.path().display().to_string(),
        ])
        .output()
        .expect("python3 runs");
    assert!(
        written.status.success(),
        "{}",
        String::from_utf8_lossy(&written.stderr)
    );
    let expected: serde_json::Value = serde_json::from_slice(&written.stdout).unwrap();
    let parquet = dir.path().join("table.parquet").display().to_string();
    let parts = dir.path().join("parts").display().to_string();
    for (input, key, count, columns) in [
        (parquet, "parquet", 4000, Some(["r", "p"])),
        (parts, "parts", 1505, None),
    ] {
        let mut args = vec![
            "--shared".to_owned(),
            "--partitions".to_owned(),
            "4".to_owned(),
        ];
        if let Some(columns) = columns {
            args.extend(["--columns".to_owned(), columns.join(",")]);
        }
        args.push(input.clone());
        let output = submit(setup.sim.zk_url(), args).await;
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(0), "{input}: {stderr}");
        let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
        assert_eq!(json["count"], count, "{input}");
        let mut want: Vec<f64> = serde_json::from_value(expected[key].clone()).unwrap();
        if columns.is_some() {
            want = vec![want[2], want[0]];
            assert_eq!(json["columns"], serde_json::json!(["r", "p"]));
        }
        let got: Vec<f64> = serde_json::from_value(json["mean"].clone()).unwrap();
        for (g, w) in got.iter().zip(&want) {
            assert!(
                (g - w).abs() <= 1e-9 * w.abs(),
                "{input}: mean {got:?}, numpy {want:?}"
            );
        }
    }
}
