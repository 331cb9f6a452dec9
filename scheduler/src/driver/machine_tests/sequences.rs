//! What spans transitions: backoff growth and reset, the framework id on
//! re-subscription, which deadline comes first, a replaced teardown.

use std::time::Duration;

use tokio::time::Instant;

use super::*;

#[test]
fn backoff_grows_with_failures_and_resets_after_subscribed() {
    let t = Instant::now();
    let mut m = connecting(t);
    let mut retries = Vec::new();
    for _ in 0..3 {
        step(&mut m, Input::SubscribeFailed("unreachable".into()), t);
        let Phase::BackingOff { retry_at } = m.phase() else {
            panic!("backing off after a failure, not {:?}", m.phase());
        };
        retries.push(*retry_at - t);
        assert_eq!(
            step(&mut m, Input::Timer(Timer::RetryDue), t),
            vec![subscribe(1, None)]
        );
    }
    assert_eq!(retries, [100, 200, 400].map(Duration::from_millis));

    step(
        &mut m,
        Input::Opened {
            endpoint: endpoint(2),
        },
        t,
    );
    step(
        &mut m,
        Input::Event(Box::new(subscribed_event(Some(2.0)))),
        t,
    );
    step(&mut m, Input::StreamLost(DisconnectReason::StreamEnded), t);
    assert_eq!(
        m.phase(),
        &Phase::BackingOff {
            retry_at: t + FIRST_RETRY
        },
        "a subscription that worked starts the backoff over"
    );
}

#[test]
fn a_lost_subscription_resubscribes_as_the_same_framework() {
    let t = Instant::now();
    let mut m = subscribed(t);
    step(&mut m, Input::StreamLost(DisconnectReason::StreamEnded), t);
    let actions = step(&mut m, Input::Timer(Timer::RetryDue), t);
    assert_eq!(actions, vec![subscribe(1, Some(fw()))]);
    step(
        &mut m,
        Input::Opened {
            endpoint: endpoint(2),
        },
        t,
    );
    let actions = step(
        &mut m,
        Input::Event(Box::new(subscribed_event(Some(2.0)))),
        t,
    );
    assert_eq!(actions, handshake(true, HEARTBEAT), "reconciles again");
}

#[test]
fn the_earliest_deadline_is_the_next_timer() {
    let t = Instant::now();
    assert_eq!(no_leader(t).next_timer(), None, "nothing to wait for");
    assert_eq!(
        connecting(t).next_timer(),
        None,
        "the transport times SUBSCRIBE out"
    );
    assert_eq!(
        awaiting(t).next_timer(),
        Some((t + FIRST_EVENT, Timer::HeartbeatsMissed))
    );
    assert_eq!(
        subscribed(t).next_timer(),
        Some((t + WINDOW, Timer::HeartbeatsMissed))
    );
    assert_eq!(
        backing_off(t).next_timer(),
        Some((t + FIRST_RETRY, Timer::RetryDue))
    );
    let mut m = connecting_with_teardown(t);
    step(&mut m, Input::SubscribeFailed("503".into()), t);
    assert_eq!(
        m.next_timer(),
        Some((t + FIRST_RETRY, Timer::RetryDue)),
        "the retry comes before the teardown deadline"
    );
    let later = t + TEARDOWN - Duration::from_millis(50);
    step(&mut m, Input::Timer(Timer::RetryDue), later);
    step(&mut m, Input::SubscribeFailed("503".into()), later);
    assert_eq!(
        m.next_timer(),
        Some((t + TEARDOWN, Timer::TeardownExpired)),
        "the teardown deadline comes before the second retry"
    );
}

#[test]
fn a_second_teardown_request_replaces_the_first() {
    let t = Instant::now();
    let mut m = connecting_with_teardown(t);
    let later = t + Duration::from_secs(4);
    assert!(step(&mut m, stop(true, "second"), later).is_empty());
    assert_eq!(
        m.next_timer(),
        Some((later + TEARDOWN, Timer::TeardownExpired))
    );
    let actions = step(
        &mut m,
        Input::Timer(Timer::TeardownExpired),
        later + TEARDOWN,
    );
    assert_eq!(actions[0], answer("second", StopAnswer::TimedOut(TEARDOWN)));
}
