//! What the simulated masters check in scheduler calls, as Mesos 1.12
//! does. Every check, with the Mesos source it follows:
//!
//! HTTP (`Master::Http::scheduler`, `src/master/http.cpp`, and
//! `Master::Http::redirect`), in this order; see `master::http`:
//! 1. Bad or missing HTTP Basic credentials when authentication is on: 401
//!    (libprocess authenticates before the handler runs).
//! 2. A master that does not lead: 307 with `Location:
//!    //<leader host>:<port>/master/api/v1/scheduler` (libprocess names
//!    the endpoint after the master process; seen on real Mesos by the
//!    conformance test); 503 "No leader elected" without one.
//! 3. A method other than POST: 405 "405 Method Not Allowed. Expecting one
//!    of { 'POST' }, but received '<METHOD>'." with `Allow: POST`.
//! 4. No `Content-Type`: 400 "Expecting 'Content-Type' to be present"; a
//!    type other than exactly `application/json` or
//!    `application/x-protobuf`: 415 "Expecting 'Content-Type' of
//!    application/json or application/x-protobuf".
//! 5. Protobuf that does not parse, or lacks a required field (see
//!    `wire_check`): 400 "Failed to parse body into Call protobuf". JSON
//!    that does not parse: 400 "Failed to parse body into JSON: ...";
//!    JSON that does not convert (not an object, unknown enum name,
//!    missing required fields): 400 "Failed to convert JSON into Call
//!    protobuf: ...".
//! 6. `validate_call` below fails: 400 "Failed to validate
//!    scheduler::Call: <error>".
//! 7. SUBSCRIBE whose `Accept` allows neither JSON nor protobuf: 406
//!    "Expecting 'Accept' to allow 'application/x-protobuf' or
//!    'application/json'"; no `Accept` (or one allowing JSON) streams
//!    JSON, whatever the body's type (`Request::acceptsMediaType`).
//! 8. SUBSCRIBE with a `Mesos-Stream-Id` header: 400 "Subscribe calls
//!    should not include the 'Mesos-Stream-Id' header".
//! 9. Other calls: an unknown (or removed) framework: 400 "Framework cannot
//!    be found"; authenticated principal differing from the framework's:
//!    400 "Authenticated principal '<p>' does not match principal '<q>'
//!    set in `FrameworkInfo`"; a disconnected framework: 403 "Framework is
//!    not subscribed"; no stream id: 400 "All non-subscribe calls should
//!    include the 'Mesos-Stream-Id' header"; another stream's id: 400 "The
//!    stream ID '<id>' included in this request didn't match the stream ID
//!    currently associated with framework ID <fid>".
//! 10. Call type UNKNOWN: 501 "501 Not Implemented."; call types the
//!     simulator does not model (inverse offers, operations): 202, ignored.
//!
//! `validate_call` (`validation::scheduler::call::validate`,
//! `src/master/validation.cpp`): "Expecting 'type' to be present"; for
//! SUBSCRIBE "Expecting 'subscribe' to be present", "'framework_id'
//! differs from 'subscribe.framework_info.id'" (an unset id equals an
//! empty one), "Authenticated principal '<p>' does not match principal
//! '<q>' set in `FrameworkInfo`"; for other calls "Expecting
//! 'framework_id' to be present", then "Expecting '<accept|decline|kill|
//! shutdown|acknowledge|reconcile|message|request>' to be present"; for
//! ACKNOWLEDGE a uuid `UUID::fromBytes` refuses: "Not a valid UUID".
//!
//! `validate_subscription` (`Master::validateFramework` and
//! `validation::framework::validate`, `src/master/master.cpp` and
//! `src/master/validation.cpp`; `validateSuppressedRoles`): a SUBSCRIBE
//! that passes the HTTP checks is answered 200 with a stream that carries
//! one ERROR event with the message and then closes, when:
//! `FrameworkInfo.role` is set by a MULTI_ROLE framework or `roles` by one
//! that is not, roles repeat, a role is invalid (`roles::validate`,
//! `src/common/roles.cpp`), the framework id is not a valid id
//! (`validateID`), the failover timeout is not a `Duration`, suppressed
//! roles are not the framework's, or the framework was removed
//! ("Framework has been removed"); a re-subscription may not change
//! `principal`, `user` or `checkpoint` (`validateUpdate`).
//!
//! ACCEPT, offers and tasks: see `master::task_validation`.

use rmesos_common::wire::scheduler::{Call, call};
use rmesos_common::wire::v1::{FrameworkInfo, framework_info};

use crate::mesos_ids::{uuid_from_bytes, validate_id};

/// `validation::scheduler::call::validate`.
pub fn validate_call(call: &Call, principal: Option<&str>) -> Result<(), String> {
    let Some(kind) = call.r#type.and_then(|t| call::Type::try_from(t).ok()) else {
        return Err("Expecting 'type' to be present".into());
    };
    if kind == call::Type::Subscribe {
        let Some(subscribe) = &call.subscribe else {
            return Err("Expecting 'subscribe' to be present".into());
        };
        let info = &subscribe.framework_info;
        let info_id = info.id.as_ref().map_or("", |id| id.value.as_str());
        let call_id = call
            .framework_id
            .as_ref()
            .map_or("", |id| id.value.as_str());
        if info_id != call_id {
            return Err("'framework_id' differs from 'subscribe.framework_info.id'".into());
        }
        if let (Some(authenticated), Some(declared)) = (principal, info.principal.as_deref())
            && authenticated != declared
        {
            return Err(principal_mismatch(authenticated, declared));
        }
        return Ok(());
    }
    if call.framework_id.is_none() {
        return Err("Expecting 'framework_id' to be present".into());
    }
    let needs = |present: bool, name: &str| {
        if present {
            Ok(())
        } else {
            Err(format!("Expecting '{name}' to be present"))
        }
    };
    match kind {
        call::Type::Accept => needs(call.accept.is_some(), "accept"),
        call::Type::Decline => needs(call.decline.is_some(), "decline"),
        call::Type::Kill => needs(call.kill.is_some(), "kill"),
        call::Type::Shutdown => needs(call.shutdown.is_some(), "shutdown"),
        call::Type::Acknowledge => match &call.acknowledge {
            None => needs(false, "acknowledge"),
            Some(ack) => uuid_from_bytes(&ack.uuid),
        },
        call::Type::Reconcile => needs(call.reconcile.is_some(), "reconcile"),
        call::Type::Message => needs(call.message.is_some(), "message"),
        call::Type::Request => needs(call.request.is_some(), "request"),
        _ => Ok(()),
    }
}

pub fn principal_mismatch(authenticated: &str, declared: &str) -> String {
    format!(
        "Authenticated principal '{authenticated}' does not match principal '{declared}' set in `FrameworkInfo`"
    )
}

fn multi_role(info: &FrameworkInfo) -> bool {
    info.capabilities
        .iter()
        .any(|c| c.r#type == Some(framework_info::capability::Type::MultiRole as i32))
}

/// The framework's roles as Mesos reads them (`getRoles`): `roles` for a
/// MULTI_ROLE framework, else `role` (default `*`).
pub fn roles(info: &FrameworkInfo) -> Vec<String> {
    if multi_role(info) {
        info.roles.clone()
    } else {
        vec![info.role.clone().unwrap_or_else(|| "*".into())]
    }
}

/// Mesos' `stringify` of a set: `{ a, b }`.
fn set_text<'a>(items: impl IntoIterator<Item = &'a String>) -> String {
    let mut items: Vec<&String> = items.into_iter().collect();
    items.sort();
    items.dedup();
    let joined: Vec<&str> = items.iter().map(|s| s.as_str()).collect();
    format!("{{ {} }}", joined.join(", "))
}

/// `validation::framework::validate` and the suppressed-role check of a
/// SUBSCRIBE (what `Master::subscribe` refuses with an ERROR event).
pub fn validate_subscription(info: &FrameworkInfo, suppressed: &[String]) -> Result<(), String> {
    validate_roles(info)?;
    if let Some(id) = info.id.as_ref().filter(|id| !id.value.is_empty()) {
        validate_id(&id.value)?;
    }
    super::failover::timeout_of(info.failover_timeout)?;
    let roles = roles(info);
    let foreign: Vec<&String> = suppressed.iter().filter(|r| !roles.contains(r)).collect();
    if !foreign.is_empty() {
        return Err(format!(
            "Suppressed roles {} are not contained in the set of roles",
            set_text(foreign)
        ));
    }
    Ok(())
}

fn validate_roles(info: &FrameworkInfo) -> Result<(), String> {
    if multi_role(info) {
        if info.role.is_some() {
            return Err(
                "'FrameworkInfo.role' must not be set when the framework is MULTI_ROLE capable"
                    .into(),
            );
        }
        let mut seen = std::collections::HashSet::new();
        let duplicates: Vec<&String> = info.roles.iter().filter(|r| !seen.insert(*r)).collect();
        if !duplicates.is_empty() {
            return Err(format!(
                "'FrameworkInfo.roles' contains duplicate items: {}",
                set_text(duplicates)
            ));
        }
        for role in &info.roles {
            validate_role(role)
                .map_err(|e| format!("'FrameworkInfo.roles' contains invalid role: {e}"))?;
        }
        return Ok(());
    }
    if !info.roles.is_empty() {
        return Err(
            "'FrameworkInfo.roles' must not be set when the framework is not MULTI_ROLE capable"
                .into(),
        );
    }
    let role = info.role.as_deref().unwrap_or("*");
    validate_role(role).map_err(|e| format!("'FrameworkInfo.role' is not a valid role: {e}"))
}

/// `roles::validate` (`src/common/roles.cpp`).
pub fn validate_role(role: &str) -> Result<(), String> {
    if role == "*" {
        return Ok(());
    }
    if role.starts_with('/') {
        return Err(format!("Role '{role}' cannot start with a slash"));
    }
    if role.ends_with('/') {
        return Err(format!("Role '{role}' cannot end with a slash"));
    }
    if role.contains("//") {
        return Err(format!("Role '{role}' cannot contain two adjacent slashes"));
    }
    if role.is_empty() {
        return Err("Role names cannot be the empty string".into());
    }
    for component in role.split('/') {
        if matches!(component, "." | ".." | "*") {
            return Err(format!(
                "Role '{role}' cannot include '{component}' as a component"
            ));
        }
        if component.starts_with('-') {
            return Err(format!(
                "Role component '{component}' is invalid because it starts with a dash"
            ));
        }
        if component
            .chars()
            .any(|c| matches!(c, '\x08' | ' ' | '\x0c' | '\n' | '\r' | '\t' | '\x0b'))
        {
            return Err(format!(
                "Role component '{component}' is invalid because it contains backspace or whitespace"
            ));
        }
    }
    Ok(())
}

/// `validation::framework::validateUpdate`: what a re-subscription may
/// not change.
pub fn validate_update(old: &FrameworkInfo, new: &FrameworkInfo) -> Result<(), String> {
    if old.principal != new.principal {
        return Err("Changing framework's principal is not allowed.".into());
    }
    if old.user != new.user {
        return Err(format!(
            "Updating 'FrameworkInfo.user' is unsupported; attempted to update from '{}' to '{}'",
            old.user, new.user
        ));
    }
    let (was, is) = (
        old.checkpoint.unwrap_or(false),
        new.checkpoint.unwrap_or(false),
    );
    if was != is {
        return Err(format!(
            "Updating 'FrameworkInfo.checkpoint' is unsupported; attempted to update from '{was}' to '{is}'"
        ));
    }
    Ok(())
}
