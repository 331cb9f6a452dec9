//! `MasterUrl`: the forms of the `master` setting (`local`, `local[N]`, `local[*]`,
//! `zk://[user:pass@]host:port[,host:port...]/path`, `http(s)://host:port`,
//! `file:///path`): local forms here, cluster forms by `detection`'s parser.
//! Credentials never appear in errors or `Debug`.

use thiserror::Error;

use crate::detection;
use crate::local::LocalMaster;

/// The forms `--master` accepts, for error messages.
pub const MASTER_FORMS: &str = "local, local[N], local[*], \
     zk://[user:pass@]host:port[,host:port...]/path, http(s)://host:port or file:///path";

/// A parsed `--master` value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MasterUrl {
    Local(LocalMaster),
    /// Mesos masters: found through ZooKeeper, one given directly, or a
    /// `file://` holding either (parsed by `detection`, the one parser of
    /// cluster URLs).
    Cluster(detection::MasterUrl),
}

/// A `--master` value that is none of the accepted forms.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[error("bad --master URL '{shown}': {reason}; expected {MASTER_FORMS}")]
pub struct MasterUrlError {
    /// The URL with any credentials replaced by `***`.
    pub shown: String,
    pub reason: String,
}

impl MasterUrl {
    pub fn parse(url: &str) -> Result<MasterUrl, MasterUrlError> {
        let fail = |reason: String| MasterUrlError {
            shown: redact(url),
            reason,
        };
        if url == "local" || url.starts_with("local[") {
            return LocalMaster::parse(url)
                .map(MasterUrl::Local)
                .map_err(|_| fail("the thread count must be a whole number >= 1, or *".into()));
        }
        detection::MasterUrl::parse(url)
            .map(MasterUrl::Cluster)
            .map_err(|error| fail(error.to_string()))
    }

    /// A cluster master (anything but local mode).
    pub fn is_cluster(&self) -> bool {
        !matches!(self, MasterUrl::Local(_))
    }
}

/// `url` with anything before an `@` in its authority replaced by `***`.
pub fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    // Credentials may contain '/', so hide everything up to the last '@':
    // showing too little is better than showing a password.
    match rest.rsplit_once('@') {
        Some((_, after)) => format!("{scheme}://***@{after}"),
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_cluster_forms() {
        for url in [
            "zk://u:p@zoo1:2181,zoo2:2181,10.0.0.3:2181/mesos",
            "https://master.example:5050/",
            "http://[::1]:5050",
        ] {
            let parsed = MasterUrl::parse(url).unwrap();
            assert!(parsed.is_cluster(), "{url}");
            assert!(!format!("{parsed:?}").contains(":p@"), "{parsed:?}");
        }
        assert_eq!(
            MasterUrl::parse("local[3]").unwrap(),
            MasterUrl::Local(LocalMaster::parse("local[3]").unwrap())
        );
    }

    #[test]
    fn rejects_malformed_urls_without_showing_secrets() {
        for url in [
            "zk://zoo1:0/mesos",
            "zk://zoo1:99999/mesos",
            "zk://zoo1:2181,/mesos",
            "zk://:secret@zoo1:2181/mesos",
            "zk://secret@zoo1:2181/mesos",
            "http://master:5050/path",
            "http://master:+50",
            "mesos://master:5050",
            "local[0]",
            "local[two]",
            "",
        ] {
            let err = MasterUrl::parse(url).unwrap_err();
            assert!(!err.to_string().contains("secret"), "{err}");
        }
    }

    #[test]
    fn redacts_credentials() {
        assert_eq!(redact("zk://a:b/c@h:1/m"), "zk://***@h:1/m");
        assert_eq!(redact("http://h:1"), "http://h:1");
        assert_eq!(redact("local[2]"), "local[2]");
    }
}
