//! Checking the fetched executor: the SHA-256 of the binary the data
//! server serves, computed once when it starts, and the shell command
//! that compares the sandbox's copy with it before running it.
//!
//! The binary travels over plain HTTP at a URL without a secret, so the
//! fetched file proves nothing by itself; the command (in
//! `ExecutorInfo.command`, run by `sh -c` on the agent) refuses any file
//! whose digest is not the one the driver computed. Only `sha256sum`,
//! `cut` and POSIX `sh` are needed: coreutils, on every Linux agent.

use std::io::{self, Read};
use std::path::Path;

/// The first words of the message a mismatching binary ends with.
pub const MISMATCH_MESSAGE: &str =
    "rmesos-executor in the sandbox is not the binary the driver serves";

/// Read size while hashing.
const CHUNK_BYTES: usize = 1024 * 1024;

/// The lowercase hex SHA-256 of the file at `path` (blocking).
pub fn sha256_of_file(path: &Path) -> io::Result<String> {
    let mut file = std::fs::File::open(path)?;
    let mut context = ring::digest::Context::new(&ring::digest::SHA256);
    let mut buffer = vec![0u8; CHUNK_BYTES];
    loop {
        let read = file.read(&mut buffer)?;
        if read == 0 {
            break;
        }
        context.update(&buffer[..read]);
    }
    let digest = context.finish();
    Ok(digest.as_ref().iter().map(|b| format!("{b:02x}")).collect())
}

/// The shell command that runs `./<file>` only if its SHA-256 is
/// `sha256`; otherwise it writes `MISMATCH_MESSAGE` with both digests to
/// stderr and exits 1. `sha256` is hex and `file` a plain name, so
/// neither needs quoting (checked: anything else panics).
pub fn checked_command(file: &str, sha256: &str) -> String {
    assert!(
        sha256.len() == 64 && sha256.bytes().all(|b| b.is_ascii_hexdigit()),
        "not a SHA-256 in hex"
    );
    assert!(
        !file.is_empty()
            && file
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.'),
        "not a plain file name: {file}"
    );
    format!(
        "actual=$(sha256sum ./{file} | cut -d ' ' -f 1); \
         if [ \"$actual\" != \"{sha256}\" ]; then \
         echo \"{MISMATCH_MESSAGE} (SHA-256 ${{actual:-unknown}}, expected {sha256})\" >&2; \
         exit 1; fi; \
         exec ./{file}"
    )
}

#[cfg(test)]
#[cfg(unix)]
mod tests {
    use std::process::Command;

    use super::*;

    const NAME: &str = "rmesos-executor";

    /// Runs `command` with `sh -c` in `dir`: (exit code, stdout, stderr).
    fn run(dir: &Path, command: &str) -> (Option<i32>, String, String) {
        let output = Command::new("sh")
            .arg("-c")
            .arg(command)
            .current_dir(dir)
            .output()
            .expect("sh runs");
        let text = |bytes: Vec<u8>| String::from_utf8_lossy(&bytes).into_owned();
        (
            output.status.code(),
            text(output.stdout),
            text(output.stderr),
        )
    }

    fn script(dir: &Path, body: &str) -> std::path::PathBuf {
        use std::os::unix::fs::PermissionsExt;
        let path = dir.join(NAME);
        std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        path
    }

    #[test]
    fn hashes_like_sha256sum() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        std::fs::write(&path, b"abc").unwrap();
        assert_eq!(
            sha256_of_file(&path).unwrap(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn the_expected_binary_runs() {
        let dir = tempfile::tempdir().unwrap();
        let path = script(dir.path(), "echo ran \"$@\"");
        let command = checked_command(NAME, &sha256_of_file(&path).unwrap());
        let (code, stdout, stderr) = run(dir.path(), &command);
        assert_eq!(code, Some(0), "{stderr}");
        assert_eq!(stdout.trim(), "ran");
    }

    #[test]
    fn a_swapped_binary_is_refused_with_both_digests() {
        let dir = tempfile::tempdir().unwrap();
        let expected = sha256_of_file(&script(dir.path(), "echo ran")).unwrap();
        let swapped = sha256_of_file(&script(dir.path(), "echo evil")).unwrap();
        let (code, stdout, stderr) = run(dir.path(), &checked_command(NAME, &expected));
        assert_eq!(code, Some(1));
        assert!(stdout.is_empty(), "the swapped binary ran: {stdout}");
        assert!(stderr.contains(MISMATCH_MESSAGE), "{stderr}");
        assert!(
            stderr.contains(&format!("SHA-256 {swapped}, expected {expected}")),
            "{stderr}"
        );
    }

    #[test]
    fn a_missing_binary_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let (code, _, stderr) = run(dir.path(), &checked_command(NAME, &"0".repeat(64)));
        assert_eq!(code, Some(1));
        assert!(stderr.contains(MISMATCH_MESSAGE), "{stderr}");
    }
}
