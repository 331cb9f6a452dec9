//! What Mesos' protobuf parsing refuses before any call validation runs:
//! a body missing a `required` field (proto2) fails to parse, and a JSON
//! body naming an enum value that does not exist fails to convert.
//! prost and pbjson accept both (a missing required field reads as its
//! default), so the simulator checks call bodies against a schema of the
//! required fields and enums it knows.
//!
//! The answers follow `Master::Http::scheduler` (`src/master/http.cpp`) and
//! `Http::executor` (`src/slave/http.cpp`): a protobuf body that does not
//! parse is "Failed to parse body into Call protobuf"; a JSON body is
//! converted by stout's `protobuf::parse`
//! (`3rdparty/stout/include/stout/protobuf.hpp`), whose errors are
//! "Failed to find enum for '<name>'" and "Missing required fields: <paths>"
//! (protobuf's `InitializationErrorString`: dotted paths, `[i]` for repeated
//! fields, joined by ", ").

use serde_json::Value;

/// One message type: the fields the checks look at.
pub struct Message {
    pub fields: &'static [Field],
}

pub struct Field {
    pub name: &'static str,
    pub number: u32,
    pub rule: Rule,
    pub kind: Kind,
}

#[derive(Clone, Copy, PartialEq)]
pub enum Rule {
    Required,
    Optional,
    Repeated,
}

pub enum Kind {
    /// A field whose value is not inspected.
    Scalar,
    /// An enum: does this JSON name exist?
    Enum(fn(&str) -> bool),
    Message(&'static Message),
}

/// Checks a protobuf body: `Err` when it is not a valid protobuf encoding
/// or lacks a required field (Mesos answers both the same way).
pub fn check_protobuf(body: &[u8], schema: &Message) -> Result<(), ()> {
    let fields = read_fields(body)?;
    for field in schema.fields {
        let values: Vec<&Raw> = fields.iter().filter(|r| r.number == field.number).collect();
        if field.rule == Rule::Required && values.is_empty() {
            return Err(());
        }
        if let Kind::Message(inner) = field.kind {
            for raw in values {
                let Raw {
                    payload: Some(bytes),
                    ..
                } = raw
                else {
                    return Err(());
                };
                check_protobuf(bytes, inner)?;
            }
        }
    }
    Ok(())
}

/// Checks a parsed JSON body as stout's conversion would: unknown enum
/// names first (met while converting), then missing required fields.
pub fn check_json(value: &Value, schema: &Message) -> Result<(), String> {
    if !value.is_object() {
        return Err("Expecting a JSON object".into());
    }
    let mut missing = Vec::new();
    json_walk(value, schema, "", &mut missing)?;
    if missing.is_empty() {
        Ok(())
    } else {
        Err(format!("Missing required fields: {}", missing.join(", ")))
    }
}

fn json_walk(
    value: &Value,
    schema: &Message,
    prefix: &str,
    missing: &mut Vec<String>,
) -> Result<(), String> {
    let Some(object) = value.as_object() else {
        return Ok(());
    };
    // This message's own required fields first, then its sub-messages'
    // (as protobuf's `FindInitializationErrors` lists them).
    for field in schema.fields {
        let absent = object.get(field.name).is_none_or(Value::is_null);
        if field.rule == Rule::Required && absent {
            missing.push(format!("{prefix}{}", field.name));
        }
    }
    for field in schema.fields {
        let Some(present) = object.get(field.name).filter(|v| !v.is_null()) else {
            continue;
        };
        let items: Vec<(String, &Value)> = match (field.rule, present) {
            (Rule::Repeated, Value::Array(items)) => items
                .iter()
                .enumerate()
                .map(|(i, item)| (format!("{prefix}{}[{i}].", field.name), item))
                .collect(),
            _ => vec![(format!("{prefix}{}.", field.name), present)],
        };
        for (path, item) in items {
            match field.kind {
                Kind::Scalar => {}
                Kind::Enum(known) => {
                    if let Value::String(name) = item
                        && !known(name)
                    {
                        return Err(format!("Failed to find enum for '{name}'"));
                    }
                }
                Kind::Message(inner) => json_walk(item, inner, &path, missing)?,
            }
        }
    }
    Ok(())
}

/// One field occurrence of a protobuf message; `payload` for the
/// length-delimited ones.
struct Raw<'a> {
    number: u32,
    payload: Option<&'a [u8]>,
}

fn read_fields(mut body: &[u8]) -> Result<Vec<Raw<'_>>, ()> {
    let mut fields = Vec::new();
    while !body.is_empty() {
        let key = read_varint(&mut body)?;
        let number = u32::try_from(key >> 3).map_err(|_| ())?;
        if number == 0 {
            return Err(());
        }
        let payload = match key & 7 {
            0 => {
                read_varint(&mut body)?;
                None
            }
            1 => {
                body = body.get(8..).ok_or(())?;
                None
            }
            2 => {
                let len = usize::try_from(read_varint(&mut body)?).map_err(|_| ())?;
                let payload = body.get(..len).ok_or(())?;
                body = &body[len..];
                Some(payload)
            }
            5 => {
                body = body.get(4..).ok_or(())?;
                None
            }
            _ => return Err(()),
        };
        fields.push(Raw { number, payload });
    }
    Ok(fields)
}

fn read_varint(body: &mut &[u8]) -> Result<u64, ()> {
    let mut value = 0u64;
    for shift in (0..64).step_by(7) {
        let (&byte, rest) = body.split_first().ok_or(())?;
        *body = rest;
        value |= u64::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            return Ok(value);
        }
    }
    Err(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::{EXECUTOR_CALL, SCHEDULER_CALL};
    use prost::Message as _;
    use rmesos_common::wire::scheduler::{Call, call};
    use rmesos_common::wire::v1::{AgentId, FrameworkId, TaskId};

    #[test]
    fn protobuf_without_a_required_field_fails() {
        let mut ack = Call {
            framework_id: Some(FrameworkId { value: "f".into() }),
            r#type: Some(call::Type::Acknowledge as i32),
            acknowledge: Some(call::Acknowledge {
                agent_id: AgentId { value: "a".into() },
                task_id: TaskId { value: "t".into() },
                uuid: vec![1; 16],
            }),
            ..Default::default()
        };
        assert!(check_protobuf(&ack.encode_to_vec(), &SCHEDULER_CALL).is_ok());
        // prost always writes required fields; another client may not:
        // framework_id {value: "f"}, type ACKNOWLEDGE, acknowledge {task_id
        // {value: "t"}} without agent_id and uuid.
        let partial = [
            0x0a, 0x03, 0x0a, 0x01, b'f', 0x10, 0x08, 0x42, 0x05, 0x12, 0x03, 0x0a, 0x01, b't',
        ];
        assert!(check_protobuf(&partial, &SCHEDULER_CALL).is_err());
        ack.acknowledge = None;
        assert!(check_protobuf(&ack.encode_to_vec(), &SCHEDULER_CALL).is_ok());
        assert!(check_protobuf(&[0xff, 0xff], &SCHEDULER_CALL).is_err());
    }

    #[test]
    fn json_names_missing_fields_and_unknown_enums() {
        let body = serde_json::json!({"type": "UPDATE", "update": {"status": {}}});
        assert_eq!(
            check_json(&body, &EXECUTOR_CALL).unwrap_err(),
            "Missing required fields: executor_id, framework_id, \
             update.status.task_id, update.status.state"
        );
        let body = serde_json::json!({"type": "SUBSCRIBED"});
        assert_eq!(
            check_json(&body, &SCHEDULER_CALL).unwrap_err(),
            "Failed to find enum for 'SUBSCRIBED'"
        );
        let list = serde_json::json!([1]);
        assert_eq!(
            check_json(&list, &SCHEDULER_CALL).unwrap_err(),
            "Expecting a JSON object"
        );
    }
}
