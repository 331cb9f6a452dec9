//! Where a `307` from a non-leading master points: masters send the leader
//! as a protocol-relative `//host:port/path` (older ones as bare
//! `host:port`), which is resolved against the scheme we already use.

use reqwest::Url;

/// The scheduler API path on a master.
pub const SCHEDULER_PATH: &str = "/api/v1/scheduler";

/// Turns a master's base URL (`http://host:5050`) into its scheduler API
/// endpoint. A URL that already names the endpoint is kept; one with another
/// path (a master behind a path-prefixing proxy) gets the API path appended.
pub fn scheduler_endpoint(base: &Url) -> Result<Url, String> {
    if !matches!(base.scheme(), "http" | "https") {
        return Err(format!("scheme {:?} is not http or https", base.scheme()));
    }
    if base.host_str().is_none_or(str::is_empty) {
        return Err("it has no host".into());
    }
    let mut url = base.clone();
    url.set_query(None);
    url.set_fragment(None);
    let path = base.path().trim_end_matches('/');
    if !path.ends_with(SCHEDULER_PATH) {
        url.set_path(&format!("{path}{SCHEDULER_PATH}"));
    }
    Ok(url)
}

/// Resolves a `Location` header from the master at `current`.
///
/// Accepted forms: `//host:port/path` (scheme of `current`), a full
/// `http(s)://` URL, `/path` (same master) and bare `host:port` (the path of
/// `current` is kept). A location without a path gets the scheduler path.
pub fn resolve_location(current: &Url, location: &str) -> Result<Url, String> {
    let location = location.trim();
    if location.is_empty() {
        return Err("the Location header is empty".into());
    }
    let resolved = if location.starts_with("//") || location.starts_with('/') {
        current.join(location).map_err(|e| e.to_string())?
    } else if location.contains("://") {
        Url::parse(location).map_err(|e| e.to_string())?
    } else {
        // Bare `host:port[/path]`: not a URL on its own, so borrow the scheme.
        Url::parse(&format!("{}://{location}", current.scheme())).map_err(|e| e.to_string())?
    };
    // A master must not move a client from TLS to plain HTTP: that would
    // hand the stream, and the framework secret, to anyone on the path.
    if current.scheme() == "https" && resolved.scheme() != "https" {
        return Err(format!(
            "it moves from https to {}: refused, a redirect may not drop TLS",
            resolved.scheme()
        ));
    }
    let mut endpoint = resolved;
    if endpoint.path().is_empty() || endpoint.path() == "/" {
        endpoint.set_path(current.path());
    }
    scheduler_endpoint(&endpoint)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn current(url: &str) -> Url {
        Url::parse(url).unwrap()
    }

    #[test]
    fn a_redirect_from_https_to_http_is_refused() {
        let https = current("https://m1:5050/api/v1/scheduler");
        let error = resolve_location(&https, "http://m2:5050/api/v1/scheduler").unwrap_err();
        assert!(error.contains("may not drop TLS"), "{error}");
        let same = resolve_location(&https, "//m2:5050/api/v1/scheduler").unwrap();
        assert_eq!(same.as_str(), "https://m2:5050/api/v1/scheduler");
        let http = current("http://m1:5050/api/v1/scheduler");
        let upgrade = resolve_location(&http, "https://m2:5050/api/v1/scheduler").unwrap();
        assert_eq!(upgrade.scheme(), "https");
    }

    #[test]
    fn protocol_relative_location_keeps_the_scheme() {
        let from = current("https://m1:5050/api/v1/scheduler");
        let to = resolve_location(&from, "//m2:5051/api/v1/scheduler").unwrap();
        assert_eq!(to.as_str(), "https://m2:5051/api/v1/scheduler");
        let from = current("http://m1:5050/api/v1/scheduler");
        let to = resolve_location(&from, "//10.0.0.2:5050/api/v1/scheduler").unwrap();
        assert_eq!(to.as_str(), "http://10.0.0.2:5050/api/v1/scheduler");
    }

    #[test]
    fn protocol_relative_location_without_path_gets_the_endpoint() {
        let from = current("http://m1:5050/api/v1/scheduler");
        let to = resolve_location(&from, "//m2:5050").unwrap();
        assert_eq!(to.as_str(), "http://m2:5050/api/v1/scheduler");
    }

    #[test]
    fn bare_host_port_location_is_accepted() {
        let from = current("http://m1:5050/api/v1/scheduler");
        let to = resolve_location(&from, "masterhost2:5050").unwrap();
        assert_eq!(to.as_str(), "http://masterhost2:5050/api/v1/scheduler");
    }

    #[test]
    fn absolute_location_is_used_as_given() {
        let from = current("http://m1:5050/api/v1/scheduler");
        let to = resolve_location(&from, "https://m3:8443/api/v1/scheduler").unwrap();
        assert_eq!(to.as_str(), "https://m3:8443/api/v1/scheduler");
    }

    #[test]
    fn path_only_location_stays_on_the_same_master() {
        let from = current("http://m1:5050/api/v1/scheduler");
        let to = resolve_location(&from, "/master/api/v1/scheduler").unwrap();
        assert_eq!(to.as_str(), "http://m1:5050/master/api/v1/scheduler");
    }

    #[test]
    fn unusable_locations_are_errors() {
        let from = current("http://m1:5050/api/v1/scheduler");
        assert!(resolve_location(&from, "").is_err());
        assert!(resolve_location(&from, "ftp://m2/x").is_err());
        assert!(resolve_location(&from, "//").is_err());
    }

    #[test]
    fn base_urls_become_endpoints() {
        let cases = [
            ("http://m:5050", "http://m:5050/api/v1/scheduler"),
            ("http://m:5050/", "http://m:5050/api/v1/scheduler"),
            (
                "http://m:5050/api/v1/scheduler",
                "http://m:5050/api/v1/scheduler",
            ),
            (
                "https://proxy/mesos/",
                "https://proxy/mesos/api/v1/scheduler",
            ),
        ];
        for (base, want) in cases {
            assert_eq!(scheduler_endpoint(&current(base)).unwrap().as_str(), want);
        }
        assert!(scheduler_endpoint(&current("file:///tmp/x")).is_err());
    }
}
