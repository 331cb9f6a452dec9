//! Rows for a live subscription (its events, losses and stops), for the
//! backoff between attempts, and for the end.

use tokio::time::Instant;

use super::*;

#[test]
fn while_subscribed_events_reach_the_engine() {
    let t = Instant::now();
    let now = t + LATER;
    let offer = Offer {
        id: OfferId { value: "o1".into() },
        ..Offer::default()
    };
    let uuid = vec![7u8; 16];
    let ack = calls::acknowledge(
        &fw(),
        AgentId { value: "a1".into() },
        TaskId { value: "t1".into() },
        uuid.clone(),
    );
    check(
        vec![
            row(
                "offers",
                subscribed,
                Input::Event(Box::new(Event {
                    offers: Some(event::Offers {
                        offers: vec![offer.clone()],
                    }),
                    ..event(event::Type::Offers)
                })),
                subscribed_phase(now),
                vec![Action::Emit(DriverEvent::Offers(vec![offer]))],
            ),
            row(
                "rescind",
                subscribed,
                Input::Event(Box::new(Event {
                    rescind: Some(event::Rescind {
                        offer_id: OfferId { value: "o1".into() },
                    }),
                    ..event(event::Type::Rescind)
                })),
                subscribed_phase(now),
                vec![Action::Emit(DriverEvent::Rescind(OfferId {
                    value: "o1".into(),
                }))],
            ),
            row(
                "an update with a uuid: track, hand over, acknowledge",
                subscribed,
                Input::Event(Box::new(update_event(status(Some(uuid.clone()))))),
                subscribed_phase(now),
                vec![
                    Action::Track(status(Some(uuid.clone()))),
                    Action::Emit(DriverEvent::Update(status(Some(uuid)))),
                    Action::Acknowledge(Box::new(ack)),
                ],
            ),
            row(
                "an update without a uuid is not acknowledged",
                subscribed,
                Input::Event(Box::new(update_event(status(None)))),
                subscribed_phase(now),
                vec![
                    Action::Track(status(None)),
                    Action::Emit(DriverEvent::Update(status(None))),
                ],
            ),
            row(
                "message",
                subscribed,
                Input::Event(Box::new(Event {
                    message: Some(event::Message {
                        agent_id: AgentId { value: "a1".into() },
                        executor_id: ExecutorId { value: "e1".into() },
                        data: b"hi".to_vec(),
                    }),
                    ..event(event::Type::Message)
                })),
                subscribed_phase(now),
                vec![Action::Emit(DriverEvent::Message {
                    agent_id: AgentId { value: "a1".into() },
                    executor_id: ExecutorId { value: "e1".into() },
                    data: b"hi".to_vec(),
                })],
            ),
            row(
                "failure",
                subscribed,
                Input::Event(Box::new(Event {
                    failure: Some(event::Failure {
                        agent_id: Some(AgentId { value: "a1".into() }),
                        executor_id: None,
                        status: None,
                    }),
                    ..event(event::Type::Failure)
                })),
                subscribed_phase(now),
                vec![Action::Emit(DriverEvent::Failure {
                    agent_id: Some(AgentId { value: "a1".into() }),
                    executor_id: None,
                    status: None,
                })],
            ),
            row(
                "a heartbeat only feeds the watchdog",
                subscribed,
                Input::Event(Box::new(event(event::Type::Heartbeat))),
                subscribed_phase(now),
                vec![],
            ),
            row(
                "ERROR ends the driver",
                subscribed,
                Input::Event(Box::new(error_event("framework removed"))),
                Phase::Stopped,
                vec![
                    Action::Emit(DriverEvent::Error {
                        message: "framework removed".into(),
                    }),
                    Action::Close,
                    Action::Finish(Ending::MasterError("framework removed".into())),
                ],
            ),
        ],
        t,
    );
}

#[test]
fn while_subscribed_losses_and_stops() {
    let t = Instant::now();
    let now = t + LATER;
    let backing_off = Phase::BackingOff {
        retry_at: now + FIRST_RETRY,
    };
    let corrupt = DisconnectReason::Corrupt("bad record".into());
    check(
        vec![
            row(
                "the stream breaks: tell the engine, back off",
                subscribed,
                Input::StreamLost(corrupt.clone()),
                backing_off,
                vec![Action::Close, disconnected(corrupt)],
            ),
            row(
                "five heartbeats missed: tell the engine, back off",
                subscribed,
                Input::Timer(Timer::HeartbeatsMissed),
                Phase::BackingOff {
                    retry_at: now + FIRST_RETRY,
                },
                vec![
                    Action::Close,
                    disconnected(DisconnectReason::HeartbeatTimeout(WINDOW)),
                ],
            ),
            row(
                "another master leads: re-subscribe there as the same framework",
                subscribed,
                Input::LeaderChanged(Some(master(3))),
                Phase::Connecting { leader: master(3) },
                vec![
                    emit_leader(Some(3)),
                    Action::Close,
                    disconnected(DisconnectReason::LeaderChanged),
                    subscribe(3, Some(fw())),
                ],
            ),
            row(
                "the dialled master named again: stay",
                subscribed,
                Input::LeaderChanged(Some(master(1))),
                subscribed_phase(t),
                vec![emit_leader(Some(1))],
            ),
            row(
                "nobody leads: keep the working stream",
                subscribed,
                Input::LeaderChanged(None),
                subscribed_phase(t),
                vec![emit_leader(None)],
            ),
            row(
                "teardown: sent on this subscription before it closes",
                subscribed,
                stop(true, "s"),
                Phase::Stopped,
                vec![
                    Action::SendTeardown {
                        framework_id: fw(),
                        reply: "s",
                    },
                    Action::Close,
                    Action::Finish(Ending::Requested),
                ],
            ),
            row(
                "disconnect: the masters keep the framework",
                subscribed,
                stop(false, "s"),
                Phase::Stopped,
                vec![
                    answer("s", StopAnswer::Done),
                    Action::Close,
                    Action::Finish(Ending::Requested),
                ],
            ),
            row(
                "every handle dropped",
                subscribed,
                Input::HandlesGone,
                Phase::Stopped,
                vec![Action::Close, Action::Finish(Ending::Requested)],
            ),
        ],
        t,
    );
}

#[test]
fn while_backing_off_and_once_stopped() {
    let t = Instant::now();
    check(
        vec![
            row(
                "the wait is over: subscribe to the current leader",
                backing_off,
                Input::Timer(Timer::RetryDue),
                Phase::Connecting { leader: master(1) },
                vec![subscribe(1, None)],
            ),
            row(
                "a new leader cuts the wait short",
                backing_off,
                Input::LeaderChanged(Some(master(3))),
                Phase::Connecting { leader: master(3) },
                vec![emit_leader(Some(3)), subscribe(3, None)],
            ),
            row(
                "the leader is lost: wait for one",
                backing_off,
                Input::LeaderChanged(None),
                Phase::NoLeader,
                vec![emit_leader(None)],
            ),
            row(
                "disconnect: nothing open to close",
                backing_off,
                stop(false, "s"),
                Phase::Stopped,
                vec![
                    answer("s", StopAnswer::Done),
                    Action::Finish(Ending::Requested),
                ],
            ),
            row(
                "stopped stays stopped",
                stopped,
                Input::LeaderChanged(Some(master(3))),
                Phase::Stopped,
                vec![],
            ),
            row(
                "stopped ignores stops",
                stopped,
                stop(false, "s"),
                Phase::Stopped,
                vec![],
            ),
        ],
        t,
    );
}
