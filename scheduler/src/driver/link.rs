//! The connection the driver loop holds for the machine: nothing, a
//! SUBSCRIBE on its way, or an open event stream. It turns their news
//! into one future the loop can wait on next to commands and timers.

use futures::future::BoxFuture;
use reqwest::Url;
use rmesos_common::wire::v1::scheduler::Event;

use crate::transport::{HttpTransport, Subscription, TransportError};

#[derive(Default)]
pub(crate) enum Link {
    #[default]
    Idle,
    Subscribing(BoxFuture<'static, Result<Subscription, TransportError>>),
    Streaming(Subscription),
}

/// What the connection has to say.
pub(crate) enum LinkNews {
    /// SUBSCRIBE was answered with a stream from this master.
    Opened(Url),
    /// SUBSCRIBE failed.
    Failed(TransportError),
    /// The stream's next event, its error, or its end (`None`).
    Event(Option<Result<Box<Event>, TransportError>>),
}

impl Link {
    /// Holds a SUBSCRIBE under way, in place of whatever was held.
    pub(crate) fn subscribe(
        &mut self,
        attempt: BoxFuture<'static, Result<Subscription, TransportError>>,
    ) {
        *self = Link::Subscribing(attempt);
    }

    /// The next news; never resolves while idle. Cancel-safe: an
    /// unfinished SUBSCRIBE stays in place, and `next_event` keeps a
    /// partial record in the stream.
    pub(crate) async fn next(&mut self) -> LinkNews {
        match self {
            Link::Idle => std::future::pending().await,
            Link::Subscribing(attempt) => match attempt.await {
                Ok(subscription) => {
                    let endpoint = subscription.endpoint().clone();
                    *self = Link::Streaming(subscription);
                    LinkNews::Opened(endpoint)
                }
                Err(err) => {
                    *self = Link::Idle;
                    LinkNews::Failed(err)
                }
            },
            Link::Streaming(subscription) => {
                let event = subscription.next_event().await;
                LinkNews::Event(event.map(|result| result.map(Box::new)))
            }
        }
    }

    /// Drops the attempt or stream; true when a stream was open (its
    /// session is ended, so later calls stop carrying its stream id).
    pub(crate) fn close(&mut self, transport: &HttpTransport) -> bool {
        match std::mem::take(self) {
            Link::Streaming(subscription) => {
                transport.end_session(subscription.stream_id());
                true
            }
            Link::Idle | Link::Subscribing(_) => false,
        }
    }
}
