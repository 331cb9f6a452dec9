//! Which children of the masters' znode are master contenders, and which of
//! them leads: `json.info_<seq>` (JSON `MasterInfo`) and `info_<seq>`
//! (binary `MasterInfo`) members count, the lowest sequence number leads,
//! anything else (such as `log_replicas`) is ignored.

use rmesos_common::wire::master_info::{
    JSON_LABEL, MasterInfoError, PROTOBUF_LABEL, master_info_from_json, master_info_from_protobuf,
};
use rmesos_common::wire::v1::MasterInfo;

/// How a member encodes its `MasterInfo`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MemberFormat {
    /// `json.info_<seq>`: JSON.
    Json,
    /// `info_<seq>`: binary protobuf (older masters).
    Protobuf,
}

/// One master contender's znode.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Member {
    /// The child's name, e.g. `json.info_0000000007`.
    pub name: String,
    /// ZooKeeper's sequence number from the name.
    pub sequence: u64,
    /// How its data is encoded.
    pub format: MemberFormat,
}

impl Member {
    /// The member a child name denotes, or `None` for unrelated children.
    pub fn parse(name: &str) -> Option<Self> {
        let (label, digits) = name.rsplit_once('_')?;
        let format = match label {
            JSON_LABEL => MemberFormat::Json,
            PROTOBUF_LABEL => MemberFormat::Protobuf,
            _ => return None,
        };
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        Some(Self {
            name: name.to_owned(),
            sequence: digits.parse().ok()?,
            format,
        })
    }

    /// Decodes this member's znode data.
    pub fn decode(&self, data: &[u8]) -> Result<MasterInfo, MasterInfoError> {
        match self.format {
            MemberFormat::Json => master_info_from_json(data),
            MemberFormat::Protobuf => master_info_from_protobuf(data),
        }
    }
}

/// The leading member among `children`: the contender with the lowest
/// sequence number.
pub fn leading_member<S: AsRef<str>>(children: &[S]) -> Option<Member> {
    children
        .iter()
        .filter_map(|child| Member::parse(child.as_ref()))
        .min_by_key(|member| member.sequence)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_members_and_ignores_others() {
        let json = Member::parse("json.info_0000000012").unwrap();
        assert_eq!((json.sequence, json.format), (12, MemberFormat::Json));
        let binary = Member::parse("info_0000000003").unwrap();
        assert_eq!(
            (binary.sequence, binary.format),
            (3, MemberFormat::Protobuf)
        );
        for other in [
            "log_replicas",
            "json.info_",
            "json.info_12a",
            "json.info",
            "0000000001",
            "other_0000000001",
            "json.info_-1",
        ] {
            assert_eq!(Member::parse(other), None, "{other}");
        }
    }

    #[test]
    fn lowest_sequence_leads_across_formats() {
        let children = [
            "log_replicas",
            "json.info_0000000010",
            "info_0000000004",
            "json.info_0000000007",
        ];
        assert_eq!(leading_member(&children).unwrap().name, "info_0000000004");
        assert_eq!(leading_member(&["log_replicas"]), None);
        // 64-bit sequences (19 digits) sort numerically, not by length.
        let wide = ["json.info_1000000000000000000", "json.info_0000000009"];
        assert_eq!(leading_member(&wide).unwrap().sequence, 9);
    }
}
