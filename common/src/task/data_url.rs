//! `DataUrl`: a secret URL on the driver's data server. Its first path
//! segment is a token (the session's, or one job's for its rows), so it
//! prints with the token masked.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A data-server URL of the form `http://host:port/<token>/...`.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct DataUrl(String);

impl DataUrl {
    pub fn new(url: impl Into<String>) -> DataUrl {
        DataUrl(url.into())
    }

    /// The full URL, token included: only for making the request.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The URL with its first path segment (the token) replaced by `***`.
    pub fn redacted(&self) -> String {
        let url = &self.0;
        let after_scheme = url.find("://").map_or(0, |i| i + 3);
        let Some(path_start) = url[after_scheme..].find('/').map(|i| i + after_scheme) else {
            return url.clone();
        };
        let rest = &url[path_start + 1..];
        let token_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
        if token_end == 0 {
            return url.clone();
        }
        format!("{}/***{}", &url[..path_start], &rest[token_end..])
    }
}

impl fmt::Debug for DataUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DataUrl({})", self.redacted())
    }
}

impl fmt::Display for DataUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_token_never_prints() {
        let url = DataUrl::new("http://driver:4041/s3cr3t-token/jobs/j1/partitions/0");
        for shown in [url.to_string(), format!("{url:?}"), url.redacted()] {
            assert!(!shown.contains("s3cr3t"), "{shown}");
            assert!(
                shown.contains("driver:4041/***/jobs/j1/partitions/0"),
                "{shown}"
            );
        }
        assert!(url.expose().contains("s3cr3t-token"));
    }

    #[test]
    fn a_token_only_url_is_masked_too() {
        let url = DataUrl::new("http://h:1/tok?x=1");
        assert_eq!(url.redacted(), "http://h:1/***?x=1");
    }
}
