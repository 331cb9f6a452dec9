//! Layer 2: the Mesos v1 scheduler API over HTTP.
//!
//! One `reqwest` client carries the SUBSCRIBE stream and every other call.
//! The transport knows masters, redirects, stream ids, credentials, TLS and
//! body encodings; it does not know what the calls mean (that is the
//! driver's business).

pub mod client;
pub mod codec;
pub mod config;
pub mod error;
pub mod redirect;
pub mod subscription;
pub mod tls;

pub use crate::backoff::{Backoff, BackoffPolicy};
pub use crate::secret::{Credentials, Secret, SecretError};
pub use client::{CallResponse, HttpTransport, STREAM_ID_HEADER, StreamSession};
pub use codec::Codec;
pub use config::TransportConfig;
pub use error::TransportError;
pub use redirect::{resolve_location, scheduler_endpoint};
pub use subscription::Subscription;
