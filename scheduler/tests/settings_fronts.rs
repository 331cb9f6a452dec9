//! Every session setting, walked from its one definition
//! (`SessionSettings`): the command line (the built `rmesos-submit`), its
//! `RMESOS_*` variable and the keyword path Python's `rmesos.Context(...)`
//! takes (`SessionSettings::from_keywords`) agree on its name, its
//! default and the message for a bad value; and the README's option table
//! is exactly the one the settings render. (python/tests/test_settings.py
//! checks the Python side of the same walk.)

use std::process::{Command, Output};

use clap::Parser;
use rmesos_scheduler::cli::args::SubmitArgs;
use rmesos_scheduler::settings::{SessionSettings, SettingField, fields, readme_table};

/// Values tried, in turn, to find one a setting refuses.
const BAD_CANDIDATES: [&str; 4] = ["not-a-value", "-1", "0", "1.5"];

/// Runs the binary on a local master with `args`, `RMESOS_*` variables
/// from `env` and none of the caller's.
fn submit(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_rmesos-submit"));
    command.env_remove("RUST_LOG");
    for field in fields() {
        command.env_remove(&field.variable);
    }
    command
        .args(args)
        .arg("missing-input.npy")
        .envs(env.iter().copied());
    command.output().expect("the rmesos-submit binary runs")
}

/// The first candidate `field` refuses, with the message of its parser.
fn refused_value(field: &SettingField) -> Option<(&'static str, String)> {
    BAD_CANDIDATES.iter().find_map(|value| {
        SessionSettings::from_keywords(&[(field.keyword.as_str(), *value)])
            .err()
            .map(|error| (*value, error.to_string()))
    })
}

fn assert_refused(output: &Output, needles: &[&str], what: &str) {
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{what}: {stderr}");
    for needle in needles {
        assert!(
            stderr.contains(needle),
            "{what}: no {needle:?} in: {stderr}"
        );
    }
}

#[test]
fn a_bad_value_gets_the_same_message_from_flag_variable_and_keyword() {
    let mut checked = 0;
    for field in fields() {
        let Some((value, keyword_error)) = refused_value(&field) else {
            continue; // free text: nothing to refuse
        };
        let prefix = format!("{}: ", field.keyword);
        let message = keyword_error
            .strip_prefix(&prefix)
            .unwrap_or_else(|| panic!("{keyword_error:?} does not start with {prefix:?}"));
        assert!(!message.is_empty(), "{field:?}");

        let flag = format!("{}={value}", field.flag);
        let output = submit(&["--master", "local", &flag], &[]);
        assert_refused(&output, &[message, &field.flag], &flag);

        // The variable: the same message, and the variable named.
        let master = if field.keyword == "master" {
            &[][..]
        } else {
            &["--master=local"][..]
        };
        let output = submit(master, &[(&field.variable, value)]);
        assert_refused(&output, &[message, &field.variable], &field.variable);
        checked += 1;
    }
    assert!(checked >= 12, "only {checked} settings refuse anything");
}

#[test]
fn the_command_line_and_the_keywords_have_the_same_defaults() {
    let cli = SubmitArgs::try_parse_from(["rmesos-submit", "in.npy"])
        .expect("no flags is valid")
        .settings;
    let keywords = SessionSettings::from_keywords::<&str, &str>(&[]).expect("no keywords");
    assert_eq!(cli, keywords);
}

#[test]
fn every_keyword_reaches_the_same_field_as_its_flag() {
    for field in fields() {
        let value = match refused_value(&field) {
            // A value the setting takes: its default, else free text.
            Some(_) => field.default.clone(),
            None => Some("some-text".to_owned()),
        };
        let Some(value) = value else { continue };
        let flag = format!("{}={value}", field.flag);
        let cli = SubmitArgs::try_parse_from(["rmesos-submit", &flag, "in.npy"])
            .unwrap_or_else(|e| panic!("{flag}: {e}"))
            .settings;
        let keywords = SessionSettings::from_keywords(&[(field.keyword.as_str(), value.as_str())])
            .unwrap_or_else(|e| panic!("{}: {e}", field.keyword));
        assert_eq!(cli, keywords, "{flag}");
    }
}

#[test]
fn help_lists_every_visible_setting_with_its_variable() {
    let output = submit(&["--help"], &[]);
    let help = String::from_utf8_lossy(&output.stdout);
    for field in fields() {
        let listed = help.contains(&format!("{} <", field.flag)) && help.contains(&field.variable);
        assert_eq!(listed, !field.hidden, "{field:?} in:\n{help}");
    }
}

#[test]
fn the_readme_table_lists_exactly_the_settings() {
    let readme = include_str!("../../README.md");
    let table = readme_table();
    let header = table.lines().next().expect("a header");
    let start = readme
        .find(header)
        .unwrap_or_else(|| panic!("README.md has no table starting {header:?}"));
    let end = readme[start..]
        .find("\n\n")
        .map_or(readme.len(), |end| start + end + 1);
    assert_eq!(
        &readme[start..end],
        table,
        "README.md's option table differs from the settings; the table they render:\n{table}"
    );
}
