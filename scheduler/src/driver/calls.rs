//! Builders of the scheduler `Call`s the driver sends, one function per
//! call type, so the wire shape of each is in one place and unit-tested.

use std::time::Duration;

use mesos::offer::Operation;
use mesos::scheduler::{Call, call};
use mesos::{AgentId, ExecutorId, Filters, FrameworkId, FrameworkInfo, OfferId, TaskId};
use rmesos_common::wire::v1 as mesos;

fn call(kind: call::Type, framework_id: Option<&FrameworkId>) -> Call {
    Call {
        framework_id: framework_id.cloned(),
        r#type: Some(kind as i32),
        ..Call::default()
    }
}

/// `Filters` that keep declined resources away for `refuse`.
pub fn refuse_for(refuse: Duration) -> Filters {
    Filters {
        refuse_seconds: Some(refuse.as_secs_f64()),
    }
}

/// SUBSCRIBE; a known framework id goes both in the call and in the info.
pub fn subscribe(info: FrameworkInfo, suppressed_roles: Vec<String>) -> Call {
    let id = info.id.clone();
    Call {
        subscribe: Some(call::Subscribe {
            framework_info: info,
            suppressed_roles,
        }),
        ..call(call::Type::Subscribe, id.as_ref())
    }
}

pub fn teardown(framework_id: &FrameworkId) -> Call {
    call(call::Type::Teardown, Some(framework_id))
}

pub fn accept(
    framework_id: &FrameworkId,
    offer_ids: Vec<OfferId>,
    operations: Vec<Operation>,
    filters: Option<Filters>,
) -> Call {
    Call {
        accept: Some(call::Accept {
            offer_ids,
            operations,
            filters,
        }),
        ..call(call::Type::Accept, Some(framework_id))
    }
}

pub fn decline(
    framework_id: &FrameworkId,
    offer_ids: Vec<OfferId>,
    filters: Option<Filters>,
) -> Call {
    Call {
        decline: Some(call::Decline { offer_ids, filters }),
        ..call(call::Type::Decline, Some(framework_id))
    }
}

/// REVIVE; no roles means every role of the framework.
pub fn revive(framework_id: &FrameworkId, roles: Vec<String>) -> Call {
    Call {
        revive: Some(call::Revive { roles }),
        ..call(call::Type::Revive, Some(framework_id))
    }
}

/// SUPPRESS; no roles means every role of the framework.
pub fn suppress(framework_id: &FrameworkId, roles: Vec<String>) -> Call {
    Call {
        suppress: Some(call::Suppress { roles }),
        ..call(call::Type::Suppress, Some(framework_id))
    }
}

pub fn kill(framework_id: &FrameworkId, task_id: TaskId, agent_id: Option<AgentId>) -> Call {
    Call {
        kill: Some(call::Kill {
            task_id,
            agent_id,
            kill_policy: None,
        }),
        ..call(call::Type::Kill, Some(framework_id))
    }
}

pub fn shutdown(framework_id: &FrameworkId, executor_id: ExecutorId, agent_id: AgentId) -> Call {
    Call {
        shutdown: Some(call::Shutdown {
            executor_id,
            agent_id,
        }),
        ..call(call::Type::Shutdown, Some(framework_id))
    }
}

pub fn acknowledge(
    framework_id: &FrameworkId,
    agent_id: AgentId,
    task_id: TaskId,
    uuid: Vec<u8>,
) -> Call {
    Call {
        acknowledge: Some(call::Acknowledge {
            agent_id,
            task_id,
            uuid,
        }),
        ..call(call::Type::Acknowledge, Some(framework_id))
    }
}

/// RECONCILE; no tasks means implicit reconciliation (every task the
/// master knows).
pub fn reconcile(framework_id: &FrameworkId, tasks: Vec<call::reconcile::Task>) -> Call {
    Call {
        reconcile: Some(call::Reconcile { tasks }),
        ..call(call::Type::Reconcile, Some(framework_id))
    }
}

pub fn message(
    framework_id: &FrameworkId,
    agent_id: AgentId,
    executor_id: ExecutorId,
    data: Vec<u8>,
) -> Call {
    Call {
        message: Some(call::Message {
            agent_id,
            executor_id,
            data,
        }),
        ..call(call::Type::Message, Some(framework_id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fw() -> FrameworkId {
        FrameworkId {
            value: "fw-9".into(),
        }
    }

    fn kind(call: &Call) -> call::Type {
        call::Type::try_from(call.r#type.unwrap()).unwrap()
    }

    #[test]
    fn resubscribe_carries_the_id_in_call_and_info() {
        let info = FrameworkInfo {
            id: Some(fw()),
            ..FrameworkInfo::default()
        };
        let call = subscribe(info, vec!["*".into()]);
        assert_eq!(kind(&call), call::Type::Subscribe);
        assert_eq!(call.framework_id, Some(fw()));
        let sub = call.subscribe.unwrap();
        assert_eq!(sub.framework_info.id, Some(fw()));
        assert_eq!(sub.suppressed_roles, vec!["*".to_owned()]);
    }

    #[test]
    fn first_subscribe_has_no_id() {
        let call = subscribe(FrameworkInfo::default(), vec![]);
        assert_eq!(call.framework_id, None);
    }

    #[test]
    fn decline_carries_refuse_seconds() {
        let offer = OfferId { value: "o1".into() };
        let filters = refuse_for(Duration::from_millis(2500));
        let call = decline(&fw(), vec![offer.clone()], Some(filters));
        assert_eq!(kind(&call), call::Type::Decline);
        let decline = call.decline.unwrap();
        assert_eq!(decline.offer_ids, vec![offer]);
        assert_eq!(decline.filters.unwrap().refuse_seconds, Some(2.5));
    }

    #[test]
    fn each_builder_sets_its_type_and_framework() {
        let task = TaskId { value: "t".into() };
        let agent = AgentId { value: "a".into() };
        let exec = ExecutorId { value: "e".into() };
        let calls = [
            (teardown(&fw()), call::Type::Teardown),
            (accept(&fw(), vec![], vec![], None), call::Type::Accept),
            (revive(&fw(), vec![]), call::Type::Revive),
            (suppress(&fw(), vec![]), call::Type::Suppress),
            (
                kill(&fw(), task.clone(), Some(agent.clone())),
                call::Type::Kill,
            ),
            (
                shutdown(&fw(), exec.clone(), agent.clone()),
                call::Type::Shutdown,
            ),
            (
                acknowledge(&fw(), agent.clone(), task, vec![1, 2]),
                call::Type::Acknowledge,
            ),
            (reconcile(&fw(), vec![]), call::Type::Reconcile),
            (
                message(&fw(), agent, exec, b"hi".to_vec()),
                call::Type::Message,
            ),
        ];
        for (call, want) in calls {
            assert_eq!(kind(&call), want);
            assert_eq!(call.framework_id, Some(fw()));
        }
    }
}
