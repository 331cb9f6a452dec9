//! `ObjectAccess`: how to reach S3-compatible storage, resolved the way
//! AWS tools do from the environment (`AWS_ENDPOINT_URL`, `AWS_REGION`,
//! `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`) and,
//! for keys not in the environment, the shared credentials file
//! (`AWS_SHARED_CREDENTIALS_FILE`, default `~/.aws/credentials`, profile
//! `AWS_PROFILE`, default `default`). The driver resolves it once per
//! job and hands it to executors over its authenticated channel, so the
//! secret never travels through Mesos; its `Debug` form hides the secrets.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Settings and credentials of S3-compatible storage.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObjectAccess {
    /// `AWS_ENDPOINT_URL` (a MinIO or Ceph gateway, `http://` allowed).
    pub endpoint: Option<String>,
    pub region: Option<String>,
    pub access_key_id: Option<String>,
    pub secret_access_key: Option<String>,
    pub session_token: Option<String>,
}

impl fmt::Debug for ObjectAccess {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let hidden = |value: &Option<String>| value.as_ref().map(|_| "***");
        f.debug_struct("ObjectAccess")
            .field("endpoint", &self.endpoint)
            .field("region", &self.region)
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &hidden(&self.secret_access_key))
            .field("session_token", &hidden(&self.session_token))
            .finish()
    }
}

impl ObjectAccess {
    /// Resolved from this process's environment and shared credentials file.
    pub fn from_env() -> ObjectAccess {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        let mut access = ObjectAccess {
            endpoint: var("AWS_ENDPOINT_URL").or_else(|| var("AWS_ENDPOINT_URL_S3")),
            region: var("AWS_REGION").or_else(|| var("AWS_DEFAULT_REGION")),
            access_key_id: var("AWS_ACCESS_KEY_ID"),
            secret_access_key: var("AWS_SECRET_ACCESS_KEY"),
            session_token: var("AWS_SESSION_TOKEN"),
        };
        if access.access_key_id.is_none() || access.secret_access_key.is_none() {
            let profile = var("AWS_PROFILE").unwrap_or_else(|| "default".to_owned());
            let file = var("AWS_SHARED_CREDENTIALS_FILE")
                .or_else(|| var("HOME").map(|home| format!("{home}/.aws/credentials")));
            if let Some(text) = file.and_then(|file| std::fs::read_to_string(file).ok()) {
                let keys = profile_keys(&text, &profile);
                let get = |key: &str| {
                    keys.iter()
                        .find(|(name, _)| name == key)
                        .map(|(_, value)| value.clone())
                };
                access.access_key_id = get("aws_access_key_id");
                access.secret_access_key = get("aws_secret_access_key");
                access.session_token = get("aws_session_token").or(access.session_token);
                access.region = access.region.or_else(|| get("region"));
            }
        }
        access
    }

    /// True when both keys are known.
    pub fn has_credentials(&self) -> bool {
        self.access_key_id.is_some() && self.secret_access_key.is_some()
    }
}

/// The `key = value` lines of `[profile]` in an INI-style credentials file.
fn profile_keys(text: &str, profile: &str) -> Vec<(String, String)> {
    let mut inside = false;
    let mut keys = Vec::new();
    for line in text.lines().map(str::trim) {
        if line.starts_with('#') || line.starts_with(';') || line.is_empty() {
            continue;
        }
        if let Some(section) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            let section = section.trim();
            inside = section == profile || section == format!("profile {profile}");
            continue;
        }
        if let (true, Some((key, value))) = (inside, line.split_once('=')) {
            keys.push((key.trim().to_ascii_lowercase(), value.trim().to_owned()));
        }
    }
    keys
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_profile_is_read_from_an_ini_file() {
        let text = "[default]\naws_access_key_id = A\naws_secret_access_key=B\n\n\
                    [team]\n# comment\naws_access_key_id = C\naws_secret_access_key = D\nregion = eu-west-3\n";
        let team = profile_keys(text, "team");
        assert_eq!(
            team,
            [
                ("aws_access_key_id".to_owned(), "C".to_owned()),
                ("aws_secret_access_key".to_owned(), "D".to_owned()),
                ("region".to_owned(), "eu-west-3".to_owned()),
            ]
        );
        assert_eq!(profile_keys(text, "default").len(), 2);
        assert!(profile_keys(text, "absent").is_empty());
    }

    #[test]
    fn debug_hides_the_secrets() {
        let access = ObjectAccess {
            secret_access_key: Some("hunter2".into()),
            session_token: Some("tok-secret".into()),
            access_key_id: Some("AKIA".into()),
            ..ObjectAccess::default()
        };
        let shown = format!("{access:?}");
        assert!(
            !shown.contains("hunter2") && !shown.contains("tok-secret"),
            "{shown}"
        );
        assert!(shown.contains("AKIA"), "{shown}");
    }
}
