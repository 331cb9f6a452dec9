//! Rows for the phases before SUBSCRIBED: no leader, connecting, awaiting
//! SUBSCRIBED.

use std::time::Duration;

use tokio::time::Instant;

use super::*;

#[test]
fn without_a_leader() {
    let t = Instant::now();
    let now = t + LATER;
    check(
        vec![
            row(
                "a leader appears: subscribe to it",
                no_leader,
                Input::LeaderChanged(Some(master(1))),
                Phase::Connecting { leader: master(1) },
                vec![emit_leader(Some(1)), subscribe(1, None)],
            ),
            row(
                "a configured framework id is subscribed with",
                no_leader_known_id,
                Input::LeaderChanged(Some(master(1))),
                Phase::Connecting { leader: master(1) },
                vec![emit_leader(Some(1)), subscribe(1, Some(fw()))],
            ),
            row(
                "still nobody leads",
                no_leader,
                Input::LeaderChanged(None),
                Phase::NoLeader,
                vec![emit_leader(None)],
            ),
            row(
                "disconnect stops at once",
                no_leader,
                stop(false, "s"),
                Phase::Stopped,
                vec![
                    answer("s", StopAnswer::Done),
                    Action::Finish(Ending::Requested),
                ],
            ),
            row(
                "teardown without a framework id has nothing to tear down",
                no_leader,
                stop(true, "s"),
                Phase::Stopped,
                vec![
                    answer("s", StopAnswer::Done),
                    Action::Finish(Ending::Requested),
                ],
            ),
            row(
                "teardown with a framework id waits for a subscription",
                no_leader_known_id,
                stop(true, "s"),
                Phase::NoLeader,
                vec![],
            ),
            row(
                "every handle dropped",
                no_leader,
                Input::HandlesGone,
                Phase::Stopped,
                vec![Action::Finish(Ending::Requested)],
            ),
            row(
                "a stray event is ignored",
                no_leader,
                Input::Event(Box::new(event(event::Type::Heartbeat))),
                Phase::NoLeader,
                vec![],
            ),
        ],
        t,
    );
    let mut m = no_leader_known_id(t);
    step(&mut m, stop(true, "td"), now);
    assert_eq!(
        m.next_timer(),
        Some((now + TEARDOWN, Timer::TeardownExpired))
    );
}

#[test]
fn while_subscribe_is_on_its_way() {
    let t = Instant::now();
    let now = t + LATER;
    check(
        vec![
            row(
                "answered with a stream (from a redirect target)",
                connecting,
                Input::Opened {
                    endpoint: endpoint(2),
                },
                awaiting_phase(now),
                vec![],
            ),
            row(
                "a transient failure backs off",
                connecting,
                Input::SubscribeFailed("503".into()),
                Phase::BackingOff {
                    retry_at: now + FIRST_RETRY,
                },
                vec![],
            ),
            row(
                "refused for good",
                connecting,
                Input::SubscribeRefused,
                Phase::Stopped,
                vec![Action::Close, Action::Finish(Ending::Refused)],
            ),
            row(
                "refused with a teardown waiting: the teardown is not sent",
                connecting_with_teardown,
                Input::SubscribeRefused,
                Phase::Stopped,
                vec![
                    Action::Close,
                    answer("td", StopAnswer::NotSent),
                    Action::Finish(Ending::Refused),
                ],
            ),
            row(
                "a new leader: abandon the attempt, subscribe there",
                connecting,
                Input::LeaderChanged(Some(master(3))),
                Phase::Connecting { leader: master(3) },
                vec![emit_leader(Some(3)), Action::Close, subscribe(3, None)],
            ),
            row(
                "the leader is lost: abandon the attempt and wait",
                connecting,
                Input::LeaderChanged(None),
                Phase::NoLeader,
                vec![emit_leader(None), Action::Close],
            ),
            row(
                "disconnect",
                connecting,
                stop(false, "s"),
                Phase::Stopped,
                vec![
                    answer("s", StopAnswer::Done),
                    Action::Close,
                    Action::Finish(Ending::Requested),
                ],
            ),
            row(
                "the teardown timeout passes first",
                connecting_with_teardown,
                Input::Timer(Timer::TeardownExpired),
                Phase::Stopped,
                vec![
                    answer("td", StopAnswer::TimedOut(TEARDOWN)),
                    Action::Close,
                    Action::Finish(Ending::Requested),
                ],
            ),
        ],
        t,
    );
}

#[test]
fn while_awaiting_subscribed() {
    let t = Instant::now();
    let now = t + LATER;
    let mut with_teardown = handshake(true, HEARTBEAT);
    with_teardown.extend([
        Action::SendTeardown {
            framework_id: fw(),
            reply: "td",
        },
        Action::Close,
        Action::Finish(Ending::Requested),
    ]);
    check(
        vec![
            row(
                "SUBSCRIBED: publish, tell the engine, reconcile",
                awaiting,
                Input::Event(Box::new(subscribed_event(Some(2.0)))),
                subscribed_phase(now),
                handshake(false, HEARTBEAT),
            ),
            row(
                "SUBSCRIBED as a configured framework is a re-subscription",
                awaiting_known_id,
                Input::Event(Box::new(subscribed_event(Some(2.0)))),
                subscribed_phase(now),
                handshake(true, HEARTBEAT),
            ),
            row(
                "SUBSCRIBED without an interval: Mesos's 15 s, 75 s of silence",
                awaiting,
                Input::Event(Box::new(subscribed_event(None))),
                Phase::Subscribed {
                    connection: connection(HeartbeatWatchdog::new(Duration::from_secs(75), now)),
                    framework_id: fw(),
                },
                handshake(false, Duration::from_secs(15)),
            ),
            row(
                "SUBSCRIBED with a teardown waiting: send it, then stop",
                awaiting_with_teardown,
                Input::Event(Box::new(subscribed_event(Some(2.0)))),
                Phase::Stopped,
                with_teardown,
            ),
            row(
                "ERROR instead of SUBSCRIBED ends the driver",
                awaiting,
                Input::Event(Box::new(error_event("bad principal"))),
                Phase::Stopped,
                vec![
                    Action::Emit(DriverEvent::Error {
                        message: "bad principal".into(),
                    }),
                    Action::Close,
                    Action::Finish(Ending::MasterError("bad principal".into())),
                ],
            ),
            row(
                "another event first: ignored, but it shows the stream lives",
                awaiting,
                Input::Event(Box::new(event(event::Type::Heartbeat))),
                awaiting_phase(now),
                vec![],
            ),
            row(
                "the stream ends: back off, the engine was never told",
                awaiting,
                Input::StreamLost(DisconnectReason::StreamEnded),
                Phase::BackingOff {
                    retry_at: now + FIRST_RETRY,
                },
                vec![Action::Close],
            ),
            row(
                "silence: back off",
                awaiting,
                Input::Timer(Timer::HeartbeatsMissed),
                Phase::BackingOff {
                    retry_at: now + FIRST_RETRY,
                },
                vec![Action::Close],
            ),
            row(
                "another master leads: go there at once",
                awaiting,
                Input::LeaderChanged(Some(master(3))),
                Phase::Connecting { leader: master(3) },
                vec![emit_leader(Some(3)), Action::Close, subscribe(3, None)],
            ),
            row(
                "the leader named is the master that answered: stay",
                awaiting,
                Input::LeaderChanged(Some(master(2))),
                awaiting_phase(t),
                vec![emit_leader(Some(2))],
            ),
            row(
                "nobody leads: keep the stream",
                awaiting,
                Input::LeaderChanged(None),
                awaiting_phase(t),
                vec![emit_leader(None)],
            ),
            row(
                "teardown timeout before SUBSCRIBED",
                awaiting_with_teardown,
                Input::Timer(Timer::TeardownExpired),
                Phase::Stopped,
                vec![
                    answer("td", StopAnswer::TimedOut(TEARDOWN)),
                    Action::Close,
                    Action::Finish(Ending::Requested),
                ],
            ),
        ],
        t,
    );
}
