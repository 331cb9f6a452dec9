//! `MasterInfo` as masters publish it in ZooKeeper: the JSON of
//! `json.info_<seq>` nodes, the binary protobuf of `info_<seq>` nodes, and
//! the endpoint chosen to contact the master.

use prost::Message;
use rmesos_common::wire::master_info::{
    MasterEndpoint, MasterInfoError, master_info_from_json, master_info_from_protobuf,
    master_info_to_json,
};
use rmesos_common::wire::v1::{Address, MasterInfo, master_info};

/// The network-order IPv4 bytes read as a little-endian uint32, which is how
/// a master on x86 stores its address in `ip`.
fn ip_field(octets: [u8; 4]) -> u32 {
    u32::from_le_bytes(octets)
}

fn znode_json(ip: u32) -> String {
    format!(
        r#"{{"address":{{"hostname":"master1.example","ip":"10.1.2.3","port":5050}},
            "capabilities":[{{"type":"AGENT_UPDATE"}},{{"type":"AGENT_DRAINING"}},{{"type":"QUOTA_V2"}}],
            "domain":{{"fault_domain":{{"region":{{"name":"eu"}},"zone":{{"name":"eu-1"}}}}}},
            "hostname":"master1.example","id":"6bd1a0c2-7f7b-4c3e-9d4e-0123456789ab",
            "ip":{ip},"pid":"master@10.1.2.3:5050","port":5050,"version":"1.11.0"}}"#
    )
}

#[test]
fn parses_the_json_a_master_writes() {
    let info = master_info_from_json(znode_json(ip_field([10, 1, 2, 3])).as_bytes()).unwrap();
    assert_eq!(info.id, "6bd1a0c2-7f7b-4c3e-9d4e-0123456789ab");
    assert_eq!(info.ip, ip_field([10, 1, 2, 3]));
    assert_eq!(info.port, 5050);
    assert_eq!(info.pid.as_deref(), Some("master@10.1.2.3:5050"));
    assert_eq!(info.version.as_deref(), Some("1.11.0"));
    let address = info.address.as_ref().unwrap();
    assert_eq!(address.hostname.as_deref(), Some("master1.example"));
    assert_eq!(address.ip.as_deref(), Some("10.1.2.3"));
    assert_eq!(address.port, 5050);
    let region = &info
        .domain
        .as_ref()
        .unwrap()
        .fault_domain
        .as_ref()
        .unwrap()
        .region;
    assert_eq!(region.name, "eu");
    assert_eq!(info.capabilities.len(), 3);
    assert_eq!(
        info.capabilities[2].r#type(),
        master_info::capability::Type::QuotaV2
    );
    let endpoint = MasterEndpoint::of(&info).unwrap();
    assert_eq!(endpoint.to_string(), "master1.example:5050");
}

#[test]
fn tolerates_unknown_and_malformed_optional_parts() {
    let json = br#"{"id":"m","ip":0,"port":5051,"pid":"master@127.0.0.1:5051",
        "domain":"not an object","capabilities":[{"type":"FROM_THE_FUTURE"}, 17],
        "brand_new_field":[1,2]}"#;
    let info = master_info_from_json(json).unwrap();
    assert!(info.domain.is_none());
    assert_eq!(info.capabilities.len(), 1);
    assert_eq!(
        info.capabilities[0].r#type(),
        master_info::capability::Type::Unknown
    );
    assert_eq!(
        MasterEndpoint::of(&info).unwrap().to_string(),
        "127.0.0.1:5051"
    );
}

#[test]
fn endpoint_falls_back_like_the_mesos_detector() {
    let base = MasterInfo {
        id: "m".into(),
        ip: ip_field([192, 168, 7, 9]),
        port: 5055,
        pid: Some("master@172.16.0.4:5056".into()),
        hostname: Some("legacy-host".into()),
        address: Some(Address {
            hostname: None,
            ip: Some("10.0.0.8".into()),
            port: 5057,
        }),
        ..Default::default()
    };
    let endpoint = |info: &MasterInfo| MasterEndpoint::of(info).unwrap().to_string();
    assert_eq!(endpoint(&base), "10.0.0.8:5057");

    let no_address = MasterInfo {
        address: None,
        ..base.clone()
    };
    assert_eq!(endpoint(&no_address), "legacy-host:5055");

    let ip_only = MasterInfo {
        hostname: None,
        ..no_address.clone()
    };
    assert_eq!(endpoint(&ip_only), "192.168.7.9:5055");

    let pid_only = MasterInfo {
        ip: 0,
        ..ip_only.clone()
    };
    assert_eq!(endpoint(&pid_only), "172.16.0.4:5056");

    let nothing = MasterInfo {
        pid: Some("garbage".into()),
        ..pid_only
    };
    let error = MasterEndpoint::of(&nothing).unwrap_err();
    assert!(matches!(error, MasterInfoError::NoAddress { ref id } if id == "m"));
    assert!(error.to_string().contains("\"m\""));
}

#[test]
fn ipv6_hosts_are_bracketed() {
    let info = MasterInfo {
        id: "m".into(),
        address: Some(Address {
            hostname: None,
            ip: Some("::1".into()),
            port: 5050,
        }),
        ..Default::default()
    };
    let endpoint = MasterEndpoint::of(&info).unwrap();
    assert_eq!(endpoint.host, "::1");
    assert_eq!(endpoint.to_string(), "[::1]:5050");
}

#[test]
fn json_written_for_a_znode_reads_back() {
    let info = master_info_from_json(znode_json(ip_field([10, 1, 2, 3])).as_bytes()).unwrap();
    let written = master_info_to_json(&info).unwrap();
    let text = String::from_utf8(written.clone()).unwrap();
    assert!(text.contains("\"pid\":\"master@10.1.2.3:5050\""), "{text}");
    assert!(text.contains("\"type\":\"AGENT_UPDATE\""), "{text}");
    assert_eq!(master_info_from_json(&written).unwrap(), info);
}

#[test]
fn binary_info_nodes_decode() {
    let info = MasterInfo {
        id: "old-master".into(),
        // 127.0.0.1 in network order (7f 00 00 01) read as a little-endian u32.
        ip: 0x0100_007F,
        port: 5050,
        ..Default::default()
    };
    let decoded = master_info_from_protobuf(&info.encode_to_vec()).unwrap();
    assert_eq!(decoded, info);
    assert_eq!(
        MasterEndpoint::of(&decoded).unwrap().to_string(),
        "127.0.0.1:5050"
    );
    assert!(matches!(
        master_info_from_protobuf(&[0x0A, 0x10, b'x']),
        Err(MasterInfoError::Protobuf(_))
    ));
}

#[test]
fn bad_json_is_an_error_naming_the_problem() {
    let error = master_info_from_json(b"{\"id\": ").unwrap_err();
    assert!(matches!(error, MasterInfoError::Json(_)), "{error}");
    let error = master_info_from_json(br#"{"id":"m","port":-1}"#).unwrap_err();
    assert!(error.to_string().contains("`port`"), "{error}");
    let error =
        master_info_from_json(br#"{"id":"m","address":{"ip":"1.2.3.4","port":4294967295}}"#)
            .unwrap_err();
    assert!(error.to_string().contains("address.port"), "{error}");
    let error = master_info_from_json(br#"{"id":"m","ip":"abc"}"#).unwrap_err();
    assert!(error.to_string().contains("`ip`"), "{error}");
}
