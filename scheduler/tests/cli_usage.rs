//! `rmesos-submit` (the built binary, run as a subprocess) on bad usage:
//! unknown options, bad INPUT names, bad or cluster master URLs, bad option
//! values. Each must exit 2 with a message saying what is wrong, and must
//! not crash. None of these reads the input's data.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use tempfile::TempDir;

/// Runs the binary with `args`, without the caller's `RMESOS_MASTER`.
fn submit(args: &[&str]) -> Output {
    submit_with_env(args, None)
}

fn submit_with_env(args: &[&str], master_env: Option<&str>) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_rmesos-submit"));
    command
        .args(args)
        .env_remove("RMESOS_MASTER")
        .env_remove("RUST_LOG");
    if let Some(master) = master_env {
        command.env("RMESOS_MASTER", master);
    }
    command.output().expect("the rmesos-submit binary runs")
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Asserts exit status 2, nothing on stdout, and `needle` in stderr.
fn assert_usage_error(output: &Output, needle: &str) {
    let err = stderr(output);
    assert_eq!(output.status.code(), Some(2), "stderr: {err}");
    assert!(output.stdout.is_empty(), "stdout: {:?}", output.stdout);
    assert!(err.contains(needle), "expected {needle:?} in stderr: {err}");
    assert!(!err.contains("panicked"), "stderr: {err}");
}

/// A directory holding an (unread) input file of each kind.
struct Inputs {
    _dir: TempDir,
    npy: PathBuf,
    csv: PathBuf,
    txt: PathBuf,
}

fn inputs() -> Inputs {
    let dir = tempfile::tempdir().unwrap();
    let file = |name: &str| {
        let path = dir.path().join(name);
        std::fs::write(&path, "1,2\n3,4\n").unwrap();
        path
    };
    Inputs {
        npy: file("data.npy"),
        csv: file("data.csv"),
        txt: file("data.txt"),
        _dir: dir,
    }
}

fn s(path: &Path) -> &str {
    path.to_str().unwrap()
}

#[test]
fn unknown_option_is_a_usage_error() {
    let inputs = inputs();
    let output = submit(&["--frobnicate", s(&inputs.csv)]);
    assert_usage_error(&output, "--frobnicate");
}

#[test]
fn missing_input_argument_is_a_usage_error() {
    assert_usage_error(&submit(&["--format", "json"]), "INPUT");
}

#[test]
fn input_must_be_npy_csv_or_parquet() {
    let inputs = inputs();
    let output = submit(&[s(&inputs.txt)]);
    assert_usage_error(&output, ".npy, .csv or .parquet");
    assert_usage_error(&output, s(&inputs.txt));
}

#[test]
fn missing_input_file_is_named() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["absent.npy", "absent.csv"] {
        let path = dir.path().join(name);
        let output = submit(&[s(&path)]);
        assert_usage_error(&output, s(&path));
    }
}

#[test]
fn a_directory_without_input_files_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("folder.csv");
    std::fs::create_dir(&path).unwrap();
    std::fs::write(path.join("notes.txt"), "").unwrap();
    assert_usage_error(
        &submit(&[s(&path)]),
        "holds no .npy, .csv or .parquet files",
    );
}

#[test]
fn malformed_master_urls_are_usage_errors() {
    let inputs = inputs();
    for url in [
        "local[0]",
        "local[two]",
        "local[",
        "zk://zoo1:2181",
        "zk://zoo1:70000/mesos",
        "http://master:+50",
        "mesos://master:5050",
        "yarn",
    ] {
        let output = submit(&["--master", url, s(&inputs.npy)]);
        assert_usage_error(&output, "bad --master URL");
    }
}

/// The job failed (exit 1) without a panic, and stderr holds `needle`.
fn assert_job_failed(output: &Output, needle: &str) {
    let err = stderr(output);
    assert_eq!(output.status.code(), Some(1), "stderr: {err}");
    assert!(output.stdout.is_empty(), "stdout: {:?}", output.stdout);
    assert!(err.contains(needle), "expected {needle:?} in stderr: {err}");
    assert!(!err.contains("panicked"), "stderr: {err}");
}

#[test]
fn an_unreachable_cluster_fails_naming_the_master() {
    let inputs = inputs();
    for (url, shown) in [
        ("zk://127.0.0.1:9/mesos", "zk://127.0.0.1:9/mesos"),
        ("http://127.0.0.1:9", "127.0.0.1:9"),
    ] {
        let output = submit(&[
            "--master",
            url,
            "--connect-timeout",
            "1",
            "--shared",
            s(&inputs.csv),
        ]);
        assert_job_failed(&output, "no Mesos master at");
        assert_job_failed(&output, shown);
    }
}

#[test]
fn credentials_in_a_master_url_are_never_shown() {
    let inputs = inputs();
    for url in [
        "zk://alice:hunter2@127.0.0.1:9/mesos",
        "zk://alice:hunter2@127.0.0.1:9/mesos/",
        "zk://alice:hunter2@/mesos",
        "http://alice:hunter2@127.0.0.1:9",
        "http://alice:hunter2@127.0.0.1:9:9",
    ] {
        let output = submit(&["--master", url, "--connect-timeout", "1", s(&inputs.csv)]);
        assert_ne!(output.status.code(), Some(0));
        let err = stderr(&output);
        assert!(!err.contains("hunter2"), "stderr shows the password: {err}");
        assert!(
            err.contains("127.0.0.1:9") || err.contains("bad --master"),
            "stderr: {err}"
        );
    }
}

/// Every failure `rmesos-submit` can have with a master URL holding a
/// password (unreachable, a bad option beside it, a bad input, the URL in
/// the environment, debug logging on) keeps the password out of its
/// output.
#[test]
fn no_failure_shows_a_master_password() {
    const PASSWORD: &str = "S3cretPassw0rd";
    let inputs = inputs();
    for url in [
        format!("zk://alice:{PASSWORD}@127.0.0.1:9/mesos"),
        format!("http://alice:{PASSWORD}@127.0.0.1:9"),
    ] {
        let runs: Vec<(Vec<&str>, Option<&str>)> = vec![
            (
                vec!["--master", &url, "--connect-timeout", "1", s(&inputs.csv)],
                None,
            ),
            (
                vec!["--master", &url, "--task-cpus", "lots", s(&inputs.csv)],
                None,
            ),
            (
                vec!["--master", &url, "--connect-timeout", "-1", s(&inputs.csv)],
                None,
            ),
            (vec!["--master", &url, "no-such-input.csv"], None),
            (vec!["--master", &url, s(&inputs.txt)], None),
            (vec!["--connect-timeout", "1", s(&inputs.csv)], Some(&url)),
        ];
        for (args, master_env) in runs {
            for log in [None, Some("debug")] {
                let mut command = Command::new(env!("CARGO_BIN_EXE_rmesos-submit"));
                command.args(&args).env_remove("RMESOS_MASTER");
                match log {
                    Some(level) => command.env("RUST_LOG", level),
                    None => command.env_remove("RUST_LOG"),
                };
                if let Some(master) = master_env {
                    command.env("RMESOS_MASTER", master);
                }
                let output = command.output().expect("rmesos-submit runs");
                assert_ne!(output.status.code(), Some(0), "{args:?}");
                let all = format!(
                    "{}{}",
                    String::from_utf8_lossy(&output.stdout),
                    stderr(&output)
                );
                assert!(!all.contains(PASSWORD), "{args:?} {log:?} shows it: {all}");
                assert!(!all.contains("panicked"), "{all}");
            }
        }
    }
}

#[test]
fn master_defaults_to_the_environment() {
    let inputs = inputs();
    let valid = inputs._dir.path().join("valid.csv");
    std::fs::write(&valid, "1,2\n3,4\n").unwrap();
    let output = submit_with_env(
        &["--connect-timeout", "1", "--shared", s(&valid)],
        Some("zk://127.0.0.1:9/mesos"),
    );
    assert_job_failed(&output, "zk://127.0.0.1:9/mesos");
    // An explicit --master wins over the environment.
    let output = submit_with_env(
        &["--master", "local[0]", s(&inputs.npy)],
        Some("zk://zoo1:2181/mesos"),
    );
    assert_usage_error(&output, "bad --master URL");
}

#[test]
fn partitions_must_be_a_positive_number() {
    let inputs = inputs();
    for value in ["0", "-3", "many", "1.5", ""] {
        let option = format!("--partitions={value}");
        let output = submit(&[&option, s(&inputs.csv)]);
        assert_usage_error(&output, "--partitions");
    }
}

#[test]
fn option_values_are_checked() {
    let inputs = inputs();
    let cases: [(&[&str], &str); 4] = [
        (&["--format", "xml"], "--format"),
        (&["--header", "maybe"], "--header"),
        (&["--delimiter", ";;"], "--delimiter"),
        (&["--delimiter", ""], "--delimiter"),
    ];
    for (options, needle) in cases {
        let mut args = options.to_vec();
        args.push(s(&inputs.csv));
        assert_usage_error(&submit(&args), needle);
    }
}

#[test]
fn a_bad_timeout_in_the_environment_is_named() {
    let inputs = inputs();
    let output = Command::new(env!("CARGO_BIN_EXE_rmesos-submit"))
        .args(["--master", "http://127.0.0.1:9", s(&inputs.csv)])
        .env_remove("RUST_LOG")
        .env("RMESOS_DATA_TIMEOUT_SECS", "soon")
        .output()
        .expect("the rmesos-submit binary runs");
    assert_usage_error(&output, "\"soon\"");
    assert_usage_error(&output, "RMESOS_DATA_TIMEOUT_SECS");
}

#[test]
fn csv_options_with_npy_input_are_usage_errors() {
    let inputs = inputs();
    for option in [["--delimiter", ";"], ["--header", "yes"]] {
        let output = submit(&[option[0], option[1], s(&inputs.npy)]);
        assert_usage_error(&output, "apply to .csv input only");
    }
}

#[test]
fn help_never_shows_the_master_from_the_environment() {
    let output = submit_with_env(&["--help"], Some("zk://alice:hunter2@zoo1:2181/mesos"));
    assert_eq!(output.status.code(), Some(0));
    let help = String::from_utf8_lossy(&output.stdout);
    assert!(help.contains("RMESOS_MASTER"), "{help}");
    assert!(!help.contains("hunter2"), "{help}");
}

#[test]
fn help_documents_every_option() {
    let output = submit(&["--help"]);
    assert_eq!(output.status.code(), Some(0));
    let help = String::from_utf8_lossy(&output.stdout);
    for needle in [
        "--master",
        "--partitions",
        "--format",
        "--shared",
        "--delimiter",
        "--header",
        "--no-progress",
        "--data-timeout <SECS>",
        "RMESOS_DATA_TIMEOUT_SECS",
        "--help",
        "--version",
        "INPUT",
        "RMESOS_MASTER",
        "RUST_LOG",
        "local[*]",
        "zk://",
        "- table",
        "- json",
        "[possible values: auto, yes, no]",
        "Exit status",
        "\"count\": 0",
    ] {
        assert!(help.contains(needle), "--help lacks {needle:?}:\n{help}");
    }
}
