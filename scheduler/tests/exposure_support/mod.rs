//! Helpers for the tests of what Mesos' operator endpoints expose of a
//! session: every URL or path in their JSON and each of its prefixes,
//! token-shaped hex runs, and probing the data server with those paths.

#![allow(dead_code)]

use std::collections::BTreeSet;

use serde_json::Value;

/// Every string anywhere in `value`, object keys included.
pub fn strings(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::String(s) => out.push(s.clone()),
        Value::Array(list) => list.iter().for_each(|v| strings(v, out)),
        Value::Object(map) => {
            for (key, v) in map {
                out.push(key.clone());
                strings(v, out);
            }
        }
        _ => {}
    }
}

/// The paths to try from `text`: the path of each URL in it and any
/// absolute path, each cut at every `/` (every prefix, with and without
/// the slash), without a query.
pub fn candidate_paths(text: &str, out: &mut BTreeSet<String>) {
    for word in text.split(|c: char| c.is_whitespace() || "\"'<>();|,".contains(c)) {
        let path = match word.split_once("://") {
            Some((_, rest)) => match rest.find('/') {
                Some(at) => &rest[at..],
                None => continue,
            },
            None if word.starts_with('/') => word,
            None => continue,
        };
        let path = path.split(['?', '#']).next().unwrap_or(path);
        for (at, _) in path.match_indices('/') {
            out.insert(path[..at + 1].to_owned());
            out.insert(path[..at].to_owned());
        }
        out.insert(path.to_owned());
    }
}

/// Every run of 32 or more hex digits in `text` (a token is 64).
pub fn hex_runs(text: &str) -> BTreeSet<String> {
    let mut runs = BTreeSet::new();
    let mut current = String::new();
    for c in text.chars().chain(std::iter::once(' ')) {
        if c.is_ascii_hexdigit() {
            current.push(c.to_ascii_lowercase());
        } else {
            if current.len() >= 32 {
                runs.insert(current.clone());
            }
            current.clear();
        }
    }
    runs
}

/// Checks the operator endpoints' bodies (`(url, JSON text)`): no
/// hex run but the executor's `sha256` (so no token); returns the paths
/// to probe, which include the executor binary's.
pub fn paths_shown(bodies: &[(String, String)], sha256: &str) -> BTreeSet<String> {
    let mut paths = BTreeSet::new();
    for (url, body) in bodies {
        for run in hex_runs(body) {
            assert_eq!(run, sha256, "{url} shows a token-like {run}");
        }
        let mut found = Vec::new();
        strings(&serde_json::from_str(body).expect("JSON"), &mut found);
        found.iter().for_each(|s| candidate_paths(s, &mut paths));
    }
    let executor_path = executor_path(sha256);
    assert!(
        paths.contains(&executor_path),
        "the executor's URI is shown, as Mesos shows it: {paths:?}"
    );
    paths
}

/// The public path of the executor binary of digest `sha256`.
pub fn executor_path(sha256: &str) -> String {
    format!("/executor/{sha256}/rmesos-executor")
}

/// GETs and POSTs every path on the data server at `base`
/// (`http://host:port`): all 404 but the GET of the executor binary.
/// Returns the number of requests.
pub async fn probe(base: &str, paths: &BTreeSet<String>, sha256: &str) -> usize {
    let client = reqwest::Client::new();
    let executor_path = executor_path(sha256);
    let mut tried = 0;
    for path in paths {
        let url = format!("{base}{path}");
        for post in [false, true] {
            let request = match post {
                true => client.post(&url).body("{}"),
                false => client.get(&url),
            };
            let status = request
                .send()
                .await
                .expect("the data server answers")
                .status();
            tried += 1;
            let allowed = !post && path == &executor_path;
            let method = if post { "POST" } else { "GET" };
            assert!(allowed || status == 404, "{method} {path}: {status}");
        }
    }
    tried
}
