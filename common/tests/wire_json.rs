//! Mesos JSON and binary encodings of scheduler and executor messages:
//! round trips, the snake_case/enum-name/base64 conventions, and decoding
//! JSON shaped the way a Mesos master writes it.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use prost::Message;
use rmesos_common::wire::codec::{self, CodecError, Encoding};
use rmesos_common::wire::v1::{
    self, AgentId, ExecutorId, FrameworkId, FrameworkInfo, OfferId, Resource, TaskId, TaskState,
    TaskStatus, Value, framework_info, offer, value,
};
use rmesos_common::wire::{executor, scheduler};
use serde_json::Value as Json;

fn subscribe_call() -> scheduler::Call {
    let framework_info = FrameworkInfo {
        user: "alice".into(),
        name: "rmesos colstats".into(),
        id: Some(FrameworkId {
            value: "fw-1".into(),
        }),
        failover_timeout: Some(604_800.0),
        checkpoint: Some(true),
        role: None,
        roles: vec!["analytics".into()],
        hostname: Some("driver.example".into()),
        principal: Some("rmesos".into()),
        webui_url: None,
        capabilities: vec![framework_info::Capability {
            r#type: Some(framework_info::capability::Type::MultiRole as i32),
        }],
        labels: None,
    };
    scheduler::Call {
        framework_id: framework_info.id.clone(),
        r#type: Some(scheduler::call::Type::Subscribe as i32),
        subscribe: Some(scheduler::call::Subscribe {
            framework_info,
            suppressed_roles: vec![],
        }),
        ..Default::default()
    }
}

fn ports_resource(begin: u64, end: u64) -> Resource {
    Resource {
        name: "ports".into(),
        r#type: value::Type::Ranges as i32,
        ranges: Some(value::Ranges {
            range: vec![value::Range { begin, end }],
        }),
        allocation_info: Some(v1::resource::AllocationInfo {
            role: Some("analytics".into()),
        }),
        ..Default::default()
    }
}

#[test]
fn subscribe_call_json_uses_proto_field_names_and_enum_names() {
    let call = subscribe_call();
    let json: Json = serde_json::from_slice(&codec::to_json(&call).unwrap()).unwrap();
    assert_eq!(json["type"], "SUBSCRIBE");
    assert_eq!(json["framework_id"]["value"], "fw-1");
    let info = &json["subscribe"]["framework_info"];
    assert_eq!(info["user"], "alice");
    assert_eq!(info["failover_timeout"], 604_800.0);
    assert_eq!(info["checkpoint"], true);
    assert_eq!(info["roles"][0], "analytics");
    assert_eq!(info["capabilities"][0]["type"], "MULTI_ROLE");
    // Unset optional fields are left out rather than written as defaults.
    assert!(info.get("role").is_none());
    assert!(info.get("webui_url").is_none());
    assert!(info.get("failoverTimeout").is_none());
}

#[test]
fn calls_round_trip_through_json_and_protobuf() {
    let accept = scheduler::Call {
        framework_id: Some(FrameworkId {
            value: "fw-1".into(),
        }),
        r#type: Some(scheduler::call::Type::Accept as i32),
        accept: Some(scheduler::call::Accept {
            offer_ids: vec![OfferId {
                value: "o-7".into(),
            }],
            operations: vec![offer::Operation {
                r#type: Some(offer::operation::Type::Launch as i32),
                launch: Some(offer::operation::Launch {
                    task_infos: vec![v1::TaskInfo {
                        name: "partition 3".into(),
                        task_id: TaskId {
                            value: "t-3".into(),
                        },
                        agent_id: AgentId {
                            value: "a-1".into(),
                        },
                        resources: vec![ports_resource(31_000, u64::MAX)],
                        data: Some(vec![0, 1, 2, 255]),
                        ..Default::default()
                    }],
                }),
                ..Default::default()
            }],
            filters: Some(v1::Filters {
                refuse_seconds: Some(1.5),
            }),
        }),
        ..Default::default()
    };
    for call in [subscribe_call(), accept] {
        for encoding in [Encoding::Json, Encoding::Protobuf] {
            let body = encoding.encode(&call).unwrap();
            let back: scheduler::Call = encoding.decode(&body).unwrap();
            assert_eq!(back, call, "{encoding:?} round trip");
        }
    }
}

#[test]
fn update_event_round_trips_with_bytes_in_base64() {
    let uuid: Vec<u8> = (0u8..16).map(|i| i.wrapping_mul(37)).collect();
    let event = scheduler::Event {
        r#type: Some(scheduler::event::Type::Update as i32),
        update: Some(scheduler::event::Update {
            status: TaskStatus {
                task_id: TaskId {
                    value: "t-1".into(),
                },
                state: TaskState::TaskFinished as i32,
                data: Some(b"partial summary".to_vec()),
                agent_id: Some(AgentId {
                    value: "a-1".into(),
                }),
                executor_id: Some(ExecutorId {
                    value: "e-1".into(),
                }),
                timestamp: Some(1_700_000_000.25),
                uuid: Some(uuid.clone()),
                source: Some(v1::task_status::Source::Executor as i32),
                ..Default::default()
            },
        }),
        ..Default::default()
    };
    let body = codec::to_json(&event).unwrap();
    let json: Json = serde_json::from_slice(&body).unwrap();
    let status = &json["update"]["status"];
    assert_eq!(json["type"], "UPDATE");
    assert_eq!(status["state"], "TASK_FINISHED");
    assert_eq!(status["source"], "SOURCE_EXECUTOR");
    assert_eq!(status["uuid"], BASE64.encode(&uuid));
    assert_eq!(status["data"], BASE64.encode(b"partial summary"));
    let back: scheduler::Event = codec::from_json(&body).unwrap();
    assert_eq!(back, event);
}

/// A SUBSCRIBED event written by hand in the shape Mesos masters send.
const MESOS_SUBSCRIBED_JSON: &str = r#"{
  "type": "SUBSCRIBED",
  "subscribed": {
    "framework_id": {"value": "9b1e2f3a-0000-4000-8000-000000000001-0000"},
    "heartbeat_interval_seconds": 15.0,
    "master_info": {
      "id": "b2c4e6f8-master",
      "ip": 16777343,
      "port": 5050,
      "pid": "master@127.0.0.1:5050",
      "hostname": "localhost",
      "version": "1.11.0",
      "address": {"hostname": "localhost", "ip": "127.0.0.1", "port": 5050},
      "capabilities": [{"type": "AGENT_UPDATE"}, {"type": "SOME_FUTURE_CAPABILITY"}],
      "some_future_field": {"nested": [1, 2, 3]}
    }
  }
}"#;

#[test]
fn decodes_mesos_style_subscribed_event() {
    let event: scheduler::Event = codec::from_json(MESOS_SUBSCRIBED_JSON.as_bytes()).unwrap();
    assert_eq!(event.r#type(), scheduler::event::Type::Subscribed);
    let subscribed = event.subscribed.unwrap();
    assert_eq!(
        subscribed.framework_id.value,
        "9b1e2f3a-0000-4000-8000-000000000001-0000"
    );
    assert_eq!(subscribed.heartbeat_interval_seconds, Some(15.0));
    let master = subscribed.master_info.unwrap();
    assert_eq!(master.id, "b2c4e6f8-master");
    assert_eq!(master.ip, 16_777_343);
    assert_eq!(master.port, 5050);
    assert_eq!(master.pid.as_deref(), Some("master@127.0.0.1:5050"));
    let address = master.address.unwrap();
    assert_eq!(address.ip.as_deref(), Some("127.0.0.1"));
    assert_eq!(address.port, 5050);
    let capabilities: Vec<_> = master.capabilities.iter().map(|c| c.r#type()).collect();
    assert_eq!(
        capabilities,
        [
            v1::master_info::capability::Type::AgentUpdate,
            v1::master_info::capability::Type::Unknown,
        ]
    );
}

#[test]
fn unknown_event_type_reads_as_unknown() {
    let body = br#"{"type": "SOMETHING_NEW", "something_new": {"x": 1}}"#;
    let event: scheduler::Event = codec::from_json(body).unwrap();
    assert_eq!(event.r#type(), scheduler::event::Type::Unknown);
}

#[test]
fn heartbeat_and_offers_events_decode() {
    let heartbeat: scheduler::Event = codec::from_json(br#"{"type":"HEARTBEAT"}"#).unwrap();
    assert_eq!(heartbeat.r#type(), scheduler::event::Type::Heartbeat);

    let offers = br#"{"type":"OFFERS","offers":{"offers":[{
        "id":{"value":"o-1"},"framework_id":{"value":"fw"},"agent_id":{"value":"a"},
        "hostname":"agent1",
        "resources":[
          {"name":"cpus","type":"SCALAR","scalar":{"value":4.0},"role":"*"},
          {"name":"ports","type":"RANGES","ranges":{"range":[{"begin":31000,"end":32000}]}}
        ]}]}}"#;
    let event: scheduler::Event = codec::from_json(offers).unwrap();
    let offer = &event.offers.unwrap().offers[0];
    assert_eq!(offer.hostname, "agent1");
    assert_eq!(offer.resources[0].r#type(), value::Type::Scalar);
    assert_eq!(
        offer.resources[0].scalar,
        Some(value::Scalar { value: 4.0 })
    );
    assert_eq!(offer.resources[0].role(), "*");
    // An unset role reads as the proto default.
    assert_eq!(offer.resources[1].role, None);
    assert_eq!(offer.resources[1].role(), "*");
    let range = &offer.resources[1].ranges.as_ref().unwrap().range[0];
    assert_eq!((range.begin, range.end), (31_000, 32_000));
}

#[test]
fn executor_messages_round_trip() {
    let launch = executor::Event {
        r#type: Some(executor::event::Type::Launch as i32),
        launch: Some(executor::event::Launch {
            task: v1::TaskInfo {
                name: "p0".into(),
                task_id: TaskId { value: "t0".into() },
                agent_id: AgentId { value: "a0".into() },
                data: Some(vec![9; 40]),
                ..Default::default()
            },
        }),
        ..Default::default()
    };
    let subscribe = executor::Call {
        executor_id: ExecutorId { value: "e0".into() },
        framework_id: FrameworkId { value: "fw".into() },
        r#type: Some(executor::call::Type::Subscribe as i32),
        subscribe: Some(executor::call::Subscribe {
            unacknowledged_tasks: vec![launch.launch.clone().unwrap().task],
            unacknowledged_updates: vec![executor::call::Update {
                status: TaskStatus {
                    task_id: TaskId { value: "t0".into() },
                    state: TaskState::TaskRunning as i32,
                    uuid: Some(vec![1; 16]),
                    ..Default::default()
                },
            }],
        }),
        ..Default::default()
    };
    for encoding in [Encoding::Json, Encoding::Protobuf] {
        let event: executor::Event = encoding.decode(&encoding.encode(&launch).unwrap()).unwrap();
        assert_eq!(event, launch);
        let call: executor::Call = encoding
            .decode(&encoding.encode(&subscribe).unwrap())
            .unwrap();
        assert_eq!(call, subscribe);
    }
    let json: Json = serde_json::from_slice(&codec::to_json(&subscribe).unwrap()).unwrap();
    assert_eq!(
        json["subscribe"]["unacknowledged_updates"][0]["status"]["state"],
        "TASK_RUNNING"
    );
}

#[test]
fn protobuf_uses_the_mesos_field_numbers() {
    // Call.type is field 2 (varint): key (2 << 3) | 0, then SUBSCRIBE = 1.
    let call = scheduler::Call {
        r#type: Some(scheduler::call::Type::Subscribe as i32),
        ..Default::default()
    };
    assert_eq!(call.encode_to_vec(), [2 << 3, 1]);
    // TaskStatus.uuid is field 11 (length-delimited): key (11 << 3) | 2.
    let status = TaskStatus {
        task_id: TaskId { value: "t".into() },
        state: TaskState::TaskRunning as i32,
        uuid: Some(vec![0xAB]),
        ..Default::default()
    };
    let bytes = status.encode_to_vec();
    let uuid_key = (11 << 3) | 2;
    assert!(
        bytes.windows(3).any(|w| w == [uuid_key, 1, 0xAB]),
        "{bytes:?}"
    );
}

#[test]
fn value_text_and_set_resources_round_trip() {
    let resource = Resource {
        name: "disks".into(),
        r#type: value::Type::Set as i32,
        set: Some(value::Set {
            item: vec!["sda".into(), "sdb".into()],
        }),
        ..Default::default()
    };
    let attribute = v1::Attribute {
        name: "rack".into(),
        r#type: value::Type::Text as i32,
        text: Some(value::Text { value: "r1".into() }),
        ..Default::default()
    };
    let body = codec::to_json(&resource).unwrap();
    assert_eq!(codec::from_json::<Resource>(&body).unwrap(), resource);
    let body = codec::to_json(&attribute).unwrap();
    assert_eq!(codec::from_json::<v1::Attribute>(&body).unwrap(), attribute);
    let scalar = Value {
        r#type: value::Type::Scalar as i32,
        scalar: Some(value::Scalar { value: 0.5 }),
        ..Default::default()
    };
    assert_eq!(
        Value::decode(scalar.encode_to_vec().as_slice()).unwrap(),
        scalar
    );
}

#[test]
fn bad_bodies_give_errors_naming_the_message() {
    let error = codec::from_json::<scheduler::Event>(b"{\"type\": 12").unwrap_err();
    assert!(
        matches!(
            error,
            CodecError::Json {
                message: "Event",
                ..
            }
        ),
        "{error}"
    );
    assert!(error.to_string().contains("line 1"), "{error}");

    let error = Encoding::Protobuf
        .decode::<scheduler::Event>(&[0x0A, 0xFF])
        .unwrap_err();
    assert!(
        matches!(
            error,
            CodecError::Protobuf {
                message: "Event",
                ..
            }
        ),
        "{error}"
    );

    let error = Encoding::from_media_type("text/plain").unwrap_err();
    assert!(error.to_string().contains("text/plain"));
    assert_eq!(
        Encoding::from_media_type("Application/JSON; charset=utf-8").unwrap(),
        Encoding::Json
    );
}

#[test]
fn unnamed_enum_numbers_cannot_be_written_as_json() {
    // The protobuf decoder keeps enum numbers it does not know.
    let call = scheduler::Call {
        r#type: Some(999),
        ..Default::default()
    };
    let decoded = scheduler::Call::decode(call.encode_to_vec().as_slice()).unwrap();
    assert_eq!(decoded.r#type, Some(999));
    let error = codec::to_json(&decoded).unwrap_err();
    assert!(matches!(error, CodecError::JsonEncode { .. }), "{error}");
}
