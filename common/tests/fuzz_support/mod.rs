//! What the fuzz tests share: how many cases a run tries (2000 by
//! default, `RMESOS_FUZZ_CASES` for more: `benches/fuzz.sh` runs each for
//! minutes), and mutation of valid inputs (bytes overwritten, inserted or
//! removed, the end cut off).

#![allow(dead_code)]

use proptest::prelude::*;
use proptest::test_runner::Config;

/// The config of a fuzz test: `default` cases unless `RMESOS_FUZZ_CASES`
/// says how many.
pub fn fuzz_config(default: u32) -> Config {
    let cases = std::env::var("RMESOS_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default);
    Config {
        cases,
        // Saved failures go in the test's own directory, not the source tree.
        failure_persistence: None,
        ..Config::default()
    }
}

/// One edit of a byte string.
#[derive(Debug, Clone)]
pub enum Edit {
    Set(prop::sample::Index, u8),
    Insert(prop::sample::Index, u8),
    Remove(prop::sample::Index),
}

/// A few edits and maybe a cut: what `mutate` applies.
pub fn mutations() -> impl Strategy<Value = (Vec<Edit>, Option<prop::sample::Index>)> {
    let edit = prop_oneof![
        4 => (any::<prop::sample::Index>(), any::<u8>()).prop_map(|(i, b)| Edit::Set(i, b)),
        1 => (any::<prop::sample::Index>(), any::<u8>()).prop_map(|(i, b)| Edit::Insert(i, b)),
        1 => any::<prop::sample::Index>().prop_map(Edit::Remove),
    ];
    (
        prop::collection::vec(edit, 0..6),
        prop::option::of(any::<prop::sample::Index>()),
    )
}

/// `bytes` with `edits` applied and cut at `cut`.
pub fn mutate(
    mut bytes: Vec<u8>,
    (edits, cut): (Vec<Edit>, Option<prop::sample::Index>),
) -> Vec<u8> {
    for edit in edits {
        match edit {
            Edit::Set(at, byte) if !bytes.is_empty() => {
                let i = at.index(bytes.len());
                bytes[i] = byte;
            }
            Edit::Insert(at, byte) => bytes.insert(at.index(bytes.len() + 1), byte),
            Edit::Remove(at) if !bytes.is_empty() => {
                bytes.remove(at.index(bytes.len()));
            }
            _ => {}
        }
    }
    if let Some(cut) = cut {
        bytes.truncate(cut.index(bytes.len() + 1));
    }
    bytes
}
