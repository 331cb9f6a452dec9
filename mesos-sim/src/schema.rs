//! The parts of the Mesos v1 `.proto` files (`include/mesos/v1/mesos.proto`,
//! `scheduler/scheduler.proto`, `executor/executor.proto`) that
//! `wire_check` needs: required fields and enums of the calls the
//! simulator serves, with upstream names and field numbers.

use rmesos_common::wire::executor::call as executor_call;
use rmesos_common::wire::scheduler::call;
use rmesos_common::wire::v1::{TaskState, executor_info, offer, task_status, value};

use crate::wire_check::{Field, Kind, Message, Rule};

const fn field(name: &'static str, number: u32, rule: Rule, kind: Kind) -> Field {
    Field {
        name,
        number,
        rule,
        kind,
    }
}

const fn required(name: &'static str, number: u32, kind: Kind) -> Field {
    field(name, number, Rule::Required, kind)
}

const fn optional(name: &'static str, number: u32, kind: Kind) -> Field {
    field(name, number, Rule::Optional, kind)
}

const fn repeated(name: &'static str, number: u32, kind: Kind) -> Field {
    field(name, number, Rule::Repeated, kind)
}

const SCALAR: Kind = Kind::Scalar;

/// FrameworkID, AgentID, TaskID, ExecutorID, OfferID: `required string value = 1`.
pub static ID: Message = Message {
    fields: &[required("value", 1, SCALAR)],
};

static FRAMEWORK_INFO: Message = Message {
    fields: &[
        required("user", 1, SCALAR),
        required("name", 2, SCALAR),
        optional("id", 3, Kind::Message(&ID)),
    ],
};

static VALUE_SCALAR: Message = Message {
    fields: &[required("value", 1, SCALAR)],
};

static RESOURCE: Message = Message {
    fields: &[
        required("name", 1, SCALAR),
        required(
            "type",
            2,
            Kind::Enum(|n| value::Type::from_str_name(n).is_some()),
        ),
        optional("scalar", 3, Kind::Message(&VALUE_SCALAR)),
    ],
};

static URI: Message = Message {
    fields: &[required("value", 1, SCALAR)],
};

static COMMAND_INFO: Message = Message {
    fields: &[repeated("uris", 1, Kind::Message(&URI))],
};

static EXECUTOR_INFO: Message = Message {
    fields: &[
        optional(
            "type",
            15,
            Kind::Enum(|n| executor_info::Type::from_str_name(n).is_some()),
        ),
        required("executor_id", 1, Kind::Message(&ID)),
        optional("framework_id", 8, Kind::Message(&ID)),
        optional("command", 7, Kind::Message(&COMMAND_INFO)),
        repeated("resources", 5, Kind::Message(&RESOURCE)),
    ],
};

static TASK_INFO: Message = Message {
    fields: &[
        required("name", 1, SCALAR),
        required("task_id", 2, Kind::Message(&ID)),
        required("agent_id", 3, Kind::Message(&ID)),
        repeated("resources", 4, Kind::Message(&RESOURCE)),
        optional("executor", 5, Kind::Message(&EXECUTOR_INFO)),
        optional("command", 7, Kind::Message(&COMMAND_INFO)),
    ],
};

static LAUNCH: Message = Message {
    fields: &[repeated("task_infos", 1, Kind::Message(&TASK_INFO))],
};

static OPERATION: Message = Message {
    fields: &[
        optional(
            "type",
            1,
            Kind::Enum(|n| offer::operation::Type::from_str_name(n).is_some()),
        ),
        optional("launch", 2, Kind::Message(&LAUNCH)),
    ],
};

static ACCEPT: Message = Message {
    fields: &[
        repeated("offer_ids", 1, Kind::Message(&ID)),
        repeated("operations", 2, Kind::Message(&OPERATION)),
    ],
};

static DECLINE: Message = Message {
    fields: &[repeated("offer_ids", 1, Kind::Message(&ID))],
};

static SUBSCRIBE: Message = Message {
    fields: &[required(
        "framework_info",
        1,
        Kind::Message(&FRAMEWORK_INFO),
    )],
};

static KILL: Message = Message {
    fields: &[
        required("task_id", 1, Kind::Message(&ID)),
        optional("agent_id", 2, Kind::Message(&ID)),
    ],
};

static SHUTDOWN: Message = Message {
    fields: &[
        required("executor_id", 1, Kind::Message(&ID)),
        required("agent_id", 2, Kind::Message(&ID)),
    ],
};

static ACKNOWLEDGE: Message = Message {
    fields: &[
        required("agent_id", 1, Kind::Message(&ID)),
        required("task_id", 2, Kind::Message(&ID)),
        required("uuid", 3, SCALAR),
    ],
};

static RECONCILE_TASK: Message = Message {
    fields: &[
        required("task_id", 1, Kind::Message(&ID)),
        optional("agent_id", 2, Kind::Message(&ID)),
    ],
};

static RECONCILE: Message = Message {
    fields: &[repeated("tasks", 1, Kind::Message(&RECONCILE_TASK))],
};

static SCHEDULER_MESSAGE: Message = Message {
    fields: &[
        required("agent_id", 1, Kind::Message(&ID)),
        required("executor_id", 2, Kind::Message(&ID)),
        required("data", 3, SCALAR),
    ],
};

/// `mesos.v1.scheduler.Call`.
pub static SCHEDULER_CALL: Message = Message {
    fields: &[
        optional("framework_id", 1, Kind::Message(&ID)),
        optional(
            "type",
            2,
            Kind::Enum(|n| call::Type::from_str_name(n).is_some()),
        ),
        optional("subscribe", 3, Kind::Message(&SUBSCRIBE)),
        optional("accept", 4, Kind::Message(&ACCEPT)),
        optional("decline", 5, Kind::Message(&DECLINE)),
        optional("kill", 6, Kind::Message(&KILL)),
        optional("shutdown", 7, Kind::Message(&SHUTDOWN)),
        optional("acknowledge", 8, Kind::Message(&ACKNOWLEDGE)),
        optional("reconcile", 9, Kind::Message(&RECONCILE)),
        optional("message", 10, Kind::Message(&SCHEDULER_MESSAGE)),
    ],
};

static TASK_STATUS: Message = Message {
    fields: &[
        required("task_id", 1, Kind::Message(&ID)),
        required(
            "state",
            2,
            Kind::Enum(|n| TaskState::from_str_name(n).is_some()),
        ),
        optional(
            "source",
            9,
            Kind::Enum(|n| task_status::Source::from_str_name(n).is_some()),
        ),
        optional("agent_id", 5, Kind::Message(&ID)),
        optional("executor_id", 7, Kind::Message(&ID)),
    ],
};

static UPDATE: Message = Message {
    fields: &[required("status", 1, Kind::Message(&TASK_STATUS))],
};

static EXECUTOR_SUBSCRIBE: Message = Message {
    fields: &[
        repeated("unacknowledged_tasks", 1, Kind::Message(&TASK_INFO)),
        repeated("unacknowledged_updates", 2, Kind::Message(&UPDATE)),
    ],
};

static EXECUTOR_MESSAGE: Message = Message {
    fields: &[required("data", 2, SCALAR)],
};

/// `mesos.v1.executor.Call`.
pub static EXECUTOR_CALL: Message = Message {
    fields: &[
        required("executor_id", 1, Kind::Message(&ID)),
        required("framework_id", 2, Kind::Message(&ID)),
        optional(
            "type",
            3,
            Kind::Enum(|n| executor_call::Type::from_str_name(n).is_some()),
        ),
        optional("subscribe", 4, Kind::Message(&EXECUTOR_SUBSCRIBE)),
        optional("update", 5, Kind::Message(&UPDATE)),
        optional("message", 6, Kind::Message(&EXECUTOR_MESSAGE)),
    ],
};
