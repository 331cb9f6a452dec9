//! Objects read where they live: `s3://bucket/key` in S3-compatible
//! storage (AWS S3, MinIO, Ceph; through the `object_store` crate) and
//! plain `http(s)://` URLs of servers that honour `Range`, each read with
//! ranged GETs as a `ByteSource`; and the objects under an `s3://` prefix,
//! listed in name order. Access (`ObjectAccess`) comes from the
//! environment, or, on an executor, from the driver (`set_access`).
//!
//! A server that does not answer fails the request after a bounded time
//! (`client.rs`). Transient failures (5xx, a connection refused or reset) are retried
//! with exponential backoff inside the request, up to `RETRY_FOR`; a
//! missing object, a 403 or missing credentials fail at once with a
//! message naming the URL and never the secret.

mod access;
mod client;

use std::future::Future;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use futures::TryStreamExt;
use object_store::aws::AmazonS3Builder;
use object_store::http::HttpBuilder;
use object_store::path::Path as ObjectPath;
use object_store::{BackoffConfig, ClientOptions, ObjectStore, RetryConfig};

pub use access::ObjectAccess;
use client::{ANSWER_TIMEOUT, CONNECT_TIMEOUT, REQUEST_TIMEOUT, TimedConnector};

use crate::readers::{ByteSource, ReadError};

/// How long a request keeps being retried after transient failures.
const RETRY_FOR: Duration = Duration::from_secs(30);

/// Retries of one request after transient failures.
const MAX_RETRIES: usize = 5;

/// Access set by the driver for this process (an executor), which then
/// wins over the environment.
static ACCESS: Mutex<Option<ObjectAccess>> = Mutex::new(None);

/// Makes `access` this process's access to object storage (an executor
/// is given its driver's).
pub fn set_access(access: ObjectAccess) {
    *ACCESS.lock().unwrap_or_else(|e| e.into_inner()) = Some(access);
}

/// The access in force: the one set by `set_access`, else the
/// environment's (`ObjectAccess::from_env`).
pub fn current_access() -> ObjectAccess {
    let set = ACCESS.lock().unwrap_or_else(|e| e.into_inner()).clone();
    set.unwrap_or_else(ObjectAccess::from_env)
}

/// True for the URLs this module reads.
pub fn is_url(text: &str) -> bool {
    ["s3://", "http://", "https://"]
        .iter()
        .any(|scheme| text.starts_with(scheme))
}

/// A URL split into the store that holds it and the object's path there.
enum Target {
    S3 { bucket: String, key: String },
    Http { base: String, path: String },
}

fn parse(url: &str) -> Result<Target, String> {
    if let Some(rest) = url.strip_prefix("s3://") {
        let (bucket, key) = rest.split_once('/').unwrap_or((rest, ""));
        if bucket.is_empty() {
            return Err("an s3:// URL needs a bucket: s3://bucket/key".to_owned());
        }
        return Ok(Target::S3 {
            bucket: bucket.to_owned(),
            key: key.to_owned(),
        });
    }
    let scheme_end = url.find("://").map_or(0, |at| at + 3);
    let (host, path) = url[scheme_end..]
        .split_once('/')
        .unwrap_or((&url[scheme_end..], ""));
    if host.is_empty() || host.contains('@') {
        return Err("an http(s) URL needs a host (and no user:password@)".to_owned());
    }
    Ok(Target::Http {
        base: format!("{}{host}", &url[..scheme_end]),
        path: path.to_owned(),
    })
}

fn client_options() -> ClientOptions {
    ClientOptions::new()
        .with_timeout(REQUEST_TIMEOUT)
        .with_connect_timeout(CONNECT_TIMEOUT)
}

fn retry() -> RetryConfig {
    RetryConfig {
        backoff: BackoffConfig::default(),
        max_retries: MAX_RETRIES,
        retry_timeout: RETRY_FOR,
    }
}

/// The store holding `target`, configured from `access`.
fn store(target: &Target, access: &ObjectAccess) -> Result<Arc<dyn ObjectStore>, io::Error> {
    let built = match target {
        Target::S3 { bucket, .. } => {
            let (Some(key_id), Some(secret)) = (&access.access_key_id, &access.secret_access_key)
            else {
                return Err(io::Error::new(
                    io::ErrorKind::PermissionDenied,
                    "no credentials for s3://: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, \
                     or AWS_PROFILE and a shared credentials file",
                ));
            };
            let mut builder = AmazonS3Builder::new()
                .with_bucket_name(bucket)
                .with_region(access.region.as_deref().unwrap_or("us-east-1"))
                .with_access_key_id(key_id)
                .with_secret_access_key(secret)
                .with_client_options(client_options())
                .with_http_connector(TimedConnector)
                .with_retry(retry());
            if let Some(token) = &access.session_token {
                builder = builder.with_token(token);
            }
            if let Some(endpoint) = &access.endpoint {
                builder = builder
                    .with_endpoint(endpoint.trim_end_matches('/'))
                    .with_allow_http(endpoint.starts_with("http://"));
            }
            builder.build().map(|s| Arc::new(s) as Arc<dyn ObjectStore>)
        }
        Target::Http { base, .. } => HttpBuilder::new()
            .with_url(base)
            .with_client_options(client_options().with_allow_http(base.starts_with("http://")))
            .with_http_connector(TimedConnector)
            .with_retry(retry())
            .build()
            .map(|s| Arc::new(s) as Arc<dyn ObjectStore>),
    };
    built.map_err(|error| io::Error::other(error.to_string()))
}

fn object_path(target: &Target) -> Result<ObjectPath, io::Error> {
    let raw = match target {
        Target::S3 { key, .. } => key,
        Target::Http { path, .. } => path,
    };
    ObjectPath::parse(raw).map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e.to_string()))
}

/// An object store error as an `io::Error` whose message says what to fix.
fn io_error(error: object_store::Error) -> io::Error {
    use object_store::Error as E;
    match error {
        E::NotFound { .. } => io::Error::new(
            io::ErrorKind::NotFound,
            "no such object (or no such bucket)",
        ),
        E::PermissionDenied { source, .. } | E::Unauthenticated { source, .. } => io::Error::new(
            io::ErrorKind::PermissionDenied,
            format!("access denied (check the credentials and the bucket's policy): {source}"),
        ),
        other if timed_out(&other) => io::Error::new(
            io::ErrorKind::TimedOut,
            format!(
                "the endpoint did not answer (timed out: nothing within {} s, or no connection \
                 within {} s): {other}",
                ANSWER_TIMEOUT.as_secs(),
                CONNECT_TIMEOUT.as_secs()
            ),
        ),
        other => io::Error::other(other.to_string()),
    }
}

/// True when `error` or one of its causes is a request that timed out.
fn timed_out(error: &(dyn std::error::Error + 'static)) -> bool {
    let mut next = Some(error);
    while let Some(cause) = next {
        let timeout = cause
            .downcast_ref::<reqwest::Error>()
            .is_some_and(reqwest::Error::is_timeout)
            || cause
                .downcast_ref::<io::Error>()
                .is_some_and(|e| e.kind() == io::ErrorKind::TimedOut);
        if timeout {
            return true;
        }
        next = cause.source();
    }
    false
}

/// The runtime that drives object requests for the blocking readers.
fn runtime() -> Result<&'static tokio::runtime::Runtime, io::Error> {
    static RUNTIME: OnceLock<Result<tokio::runtime::Runtime, String>> = OnceLock::new();
    RUNTIME
        .get_or_init(|| {
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .thread_name("rmesos-objects")
                .enable_all()
                .build()
                .map_err(|e| e.to_string())
        })
        .as_ref()
        .map_err(|e| io::Error::other(format!("cannot start the object runtime: {e}")))
}

/// Runs `future` on the object runtime and waits for it: callable from
/// any thread, inside another runtime's blocking thread included.
fn block_on<F>(future: F) -> Result<F::Output, io::Error>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    let (sender, receiver) = std::sync::mpsc::channel();
    runtime()?.spawn(async move {
        let _ = sender.send(future.await);
    });
    receiver
        .recv()
        .map_err(|_| io::Error::other("an object request was abandoned"))
}

/// One object, read by range.
pub struct ObjectSource {
    url: PathBuf,
    store: Arc<dyn ObjectStore>,
    location: ObjectPath,
    len: u64,
}

/// Opens the object at `url` (its size from a HEAD request).
pub fn open(url: &str) -> Result<Arc<dyn ByteSource>, ReadError> {
    let fail = |source: io::Error| ReadError::Io {
        path: PathBuf::from(url),
        source,
    };
    let target =
        parse(url).map_err(|detail| fail(io::Error::new(io::ErrorKind::InvalidInput, detail)))?;
    let store = store(&target, &current_access()).map_err(fail)?;
    let location = object_path(&target).map_err(fail)?;
    let head = {
        let (store, location) = (Arc::clone(&store), location.clone());
        block_on(async move { store.head(&location).await }).map_err(fail)?
    };
    let meta = head.map_err(|e| fail(io_error(e)))?;
    Ok(Arc::new(ObjectSource {
        url: PathBuf::from(url),
        store,
        location,
        len: meta.size,
    }))
}

/// The objects under an `s3://bucket/prefix`, as URLs in name order.
pub fn list(prefix_url: &str) -> Result<Vec<String>, ReadError> {
    let fail = |source: io::Error| ReadError::Io {
        path: PathBuf::from(prefix_url),
        source,
    };
    let target =
        parse(prefix_url).map_err(|d| fail(io::Error::new(io::ErrorKind::InvalidInput, d)))?;
    let Target::S3 { bucket, key } = &target else {
        return Err(fail(io::Error::new(
            io::ErrorKind::Unsupported,
            "an http(s) URL names one file: only s3:// prefixes can be listed",
        )));
    };
    let store = store(&target, &current_access()).map_err(fail)?;
    let prefix = key.trim_end_matches('/').to_owned();
    let listed = block_on(async move {
        let prefix = (!prefix.is_empty()).then(|| ObjectPath::from(prefix.as_str()));
        store.list(prefix.as_ref()).try_collect::<Vec<_>>().await
    })
    .map_err(fail)?
    .map_err(|e| fail(io_error(e)))?;
    let mut urls: Vec<String> = listed
        .into_iter()
        .map(|meta| format!("s3://{bucket}/{}", meta.location))
        .collect();
    urls.sort();
    Ok(urls)
}

impl ByteSource for ObjectSource {
    fn name(&self) -> &Path {
        &self.url
    }

    fn len(&self) -> u64 {
        self.len
    }

    fn read_exact_at(&self, dst: &mut [u8], offset: u64) -> io::Result<()> {
        let end = offset
            .checked_add(dst.len() as u64)
            .filter(|&end| end <= self.len)
            .ok_or_else(|| {
                io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    format!(
                        "{} bytes at {offset} lie past the end of the object",
                        dst.len()
                    ),
                )
            })?;
        if dst.is_empty() {
            return Ok(());
        }
        let (store, location) = (Arc::clone(&self.store), self.location.clone());
        let bytes = block_on(async move { store.get_range(&location, offset..end).await })?
            .map_err(io_error)?;
        if bytes.len() != dst.len() {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                format!(
                    "asked for {} bytes at {offset}, got {}",
                    dst.len(),
                    bytes.len()
                ),
            ));
        }
        dst.copy_from_slice(&bytes);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_split_into_store_and_path() {
        assert!(
            matches!(parse("s3://b/k/x.parquet"), Ok(Target::S3 { bucket, key }) if bucket == "b" && key == "k/x.parquet")
        );
        assert!(matches!(parse("s3://b"), Ok(Target::S3 { key, .. }) if key.is_empty()));
        assert!(parse("s3:///k").is_err());
        assert!(
            matches!(parse("http://h:9/a/b.npy"), Ok(Target::Http { base, path }) if base == "http://h:9" && path == "a/b.npy")
        );
        assert!(parse("https://u:p@h/x").is_err());
        assert!(is_url("s3://b/k") && is_url("https://h/x") && !is_url("/data/x.npy"));
    }
}
