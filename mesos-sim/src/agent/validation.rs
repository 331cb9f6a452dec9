//! What the simulated agents check in executor calls, as Mesos 1.12 does.
//! Every check, with the Mesos source it follows:
//!
//! HTTP (`Http::executor`, `src/slave/http.cpp`), in this order; see
//! `agent::executor_api` and `call_body`:
//! 1. A method other than POST: 405 "405 Method Not Allowed. Expecting one
//!    of { 'POST' }, but received '<METHOD>'." with `Allow: POST`.
//! 2. No `Content-Type`: 400 "Expecting 'Content-Type' to be present";
//!    another type than exactly `application/json` or
//!    `application/x-protobuf`: 415 "Expecting 'Content-Type' of
//!    application/json or application/x-protobuf".
//! 3. Protobuf that does not parse or lacks a required field
//!    (`executor_id`, `framework_id`, `update.status.task_id`,
//!    `update.status.state`, ...; see `schema`): 400 "Failed to parse body
//!    into Call protobuf"; bad JSON: 400 "Failed to parse body into JSON:
//!    ..."; JSON that does not convert: 400 "Failed to convert JSON into
//!    Call protobuf: ..." (e.g. "Missing required fields: executor_id").
//! 4. `validate_call` below fails: 400 "Failed to validate Executor::Call:
//!    <error>".
//! 5. SUBSCRIBE whose `Accept` allows neither JSON nor protobuf: 406
//!    "Expecting 'Accept' to allow 'application/x-protobuf' or
//!    'application/json'"; JSON when `Accept` allows it or is absent.
//! 6. HEARTBEAT: 202 before any lookup.
//! 7. No executor of that framework on this agent: 400 "Framework cannot
//!    be found"; the framework is known but not the executor: 400
//!    "Executor cannot be found".
//! 8. A call other than SUBSCRIBE from an executor that has not
//!    subscribed yet: 403 "Executor is not subscribed".
//! 9. Call type UNKNOWN: 501 "501 Not Implemented.".
//!
//! `validate_call` (`validateExecutorCall`, `src/common/validation.cpp`):
//! "Expecting 'type' to be present"; SUBSCRIBE without `subscribe`:
//! "Expecting 'subscribe' to be present"; UPDATE without `update`:
//! "Expecting 'update' to be present"; a status without `uuid`:
//! "Expecting 'uuid' to be present"; a uuid `UUID::fromBytes` refuses
//! (not 16 bytes, or no known version): "Not a valid UUID"; a status
//! `executor_id` other than the call's: "ExecutorID in Call: <e> does not
//! match ExecutorID in TaskStatus: <f>"; a source other than
//! SOURCE_EXECUTOR (an absent source reads as SOURCE_MASTER): "Received
//! Call from executor <e> of framework <f> with invalid source, expecting
//! 'SOURCE_EXECUTOR'"; state TASK_STAGING: "Received TASK_STAGING from
//! executor <e> of framework <f> which is not allowed"; MESSAGE without
//! `message`: "Expecting 'message' to be present".

use rmesos_common::wire::executor::{Call, call};
use rmesos_common::wire::v1::{TaskState, task_status};

use crate::mesos_ids::uuid_from_bytes;

/// `validateExecutorCall`.
pub fn validate_call(call: &Call) -> Result<(), String> {
    let Some(kind) = call.r#type.and_then(|t| call::Type::try_from(t).ok()) else {
        return Err("Expecting 'type' to be present".into());
    };
    match kind {
        call::Type::Subscribe if call.subscribe.is_none() => {
            Err("Expecting 'subscribe' to be present".into())
        }
        call::Type::Update => validate_update(call),
        call::Type::Message if call.message.is_none() => {
            Err("Expecting 'message' to be present".into())
        }
        _ => Ok(()),
    }
}

fn validate_update(call: &Call) -> Result<(), String> {
    let Some(update) = &call.update else {
        return Err("Expecting 'update' to be present".into());
    };
    let status = &update.status;
    let Some(uuid) = &status.uuid else {
        return Err("Expecting 'uuid' to be present".into());
    };
    uuid_from_bytes(uuid)?;
    let executor = &call.executor_id.value;
    let framework = &call.framework_id.value;
    if let Some(in_status) = &status.executor_id
        && &in_status.value != executor
    {
        return Err(format!(
            "ExecutorID in Call: {executor} does not match ExecutorID in TaskStatus: {}",
            in_status.value
        ));
    }
    let source = status.source.unwrap_or(task_status::Source::Master as i32);
    if source != task_status::Source::Executor as i32 {
        return Err(format!(
            "Received Call from executor {executor} of framework {framework} with invalid source, expecting 'SOURCE_EXECUTOR'"
        ));
    }
    if status.state == TaskState::TaskStaging as i32 {
        return Err(format!(
            "Received TASK_STAGING from executor {executor} of framework {framework} which is not allowed"
        ));
    }
    Ok(())
}
