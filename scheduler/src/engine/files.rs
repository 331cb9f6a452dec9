//! A dataset of many files as users name one: a directory (every
//! supported file directly in it), a glob pattern (`data/part-*.npy`) or
//! an object prefix (`s3://bucket/table/`: every object under it), listed
//! in name order. Supported files are chosen by extension:
//! `.npy`, `.csv`, `.parquet`, `.pq` (in any case); in a directory, other
//! files (and hidden ones, like `_SUCCESS` or `.crc` files that Spark
//! writes next to its parts) are left out.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};

use super::open::OpenError;

/// The extensions of the formats rmesos reads, lower case.
pub const SUPPORTED_EXTENSIONS: [&str; 4] = ["npy", "csv", "parquet", "pq"];

/// True when `path`'s extension names a supported format.
pub fn is_supported(path: &Path) -> bool {
    path.extension()
        .and_then(OsStr::to_str)
        .is_some_and(|ext| SUPPORTED_EXTENSIONS.contains(&ext.to_ascii_lowercase().as_str()))
}

/// True when `input` is a glob pattern rather than one path.
pub fn is_pattern(input: &Path) -> bool {
    input
        .to_str()
        .is_some_and(|text| text.contains(['*', '?', '[']))
}

/// True when `input` names an object (`s3://`, `http(s)://`), not a local file.
pub fn is_object(input: &Path) -> bool {
    input.to_str().is_some_and(rmesos_common::objects::is_url)
}

/// The files of a directory, a glob pattern or an `s3://` prefix (a URL
/// ending in `/`, or without a supported extension), in name order;
/// `None` when `input` is none of these (one file or object).
pub fn list(input: &Path) -> Result<Option<Vec<PathBuf>>, OpenError> {
    let shown = || input.display().to_string();
    if let Some(url) = input.to_str().filter(|_| is_object(input)) {
        if !url.starts_with("s3://") || (!url.ends_with('/') && is_supported(input)) {
            return Ok(None);
        }
        let urls = rmesos_common::objects::list(url).map_err(|error| match error {
            rmesos_common::readers::ReadError::Io { source, .. } => OpenError::Unreadable {
                path: shown(),
                source,
            },
            other => OpenError::Unreadable {
                path: shown(),
                source: std::io::Error::other(other.to_string()),
            },
        })?;
        let files = urls
            .into_iter()
            .map(PathBuf::from)
            .filter(|path| is_supported(path) && !is_hidden(path))
            .collect();
        return non_empty(files, shown());
    }
    if input.is_dir() {
        let entries = std::fs::read_dir(input).map_err(|source| OpenError::Unreadable {
            path: shown(),
            source,
        })?;
        let mut files = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|source| OpenError::Unreadable {
                path: shown(),
                source,
            })?;
            let path = entry.path();
            if !is_hidden(&path) && path.is_file() && is_supported(&path) {
                files.push(path);
            }
        }
        return non_empty(sorted(files), shown());
    }
    if !is_pattern(input) {
        return Ok(None);
    }
    let pattern = input.to_str().unwrap_or_default();
    let paths = glob::glob(pattern)
        .map_err(|error| OpenError::BadPattern(format!("'{pattern}': {error}")))?;
    let mut files = Vec::new();
    for path in paths {
        let path = path.map_err(|error| OpenError::Unreadable {
            path: error.path().display().to_string(),
            source: std::io::Error::new(error.error().kind(), error.error().to_string()),
        })?;
        if path.is_file() {
            if !is_supported(&path) {
                return Err(OpenError::UnknownFormat(path.display().to_string()));
            }
            files.push(path);
        }
    }
    non_empty(sorted(files), shown())
}

/// Names that Spark and Hadoop give their markers and checksums.
fn is_hidden(path: &Path) -> bool {
    path.file_name()
        .and_then(OsStr::to_str)
        .is_some_and(|name| name.starts_with(['.', '_']))
}

fn sorted(mut files: Vec<PathBuf>) -> Vec<PathBuf> {
    files.sort();
    files
}

fn non_empty(files: Vec<PathBuf>, shown: String) -> Result<Option<Vec<PathBuf>>, OpenError> {
    if files.is_empty() {
        return Err(OpenError::NoFiles(shown));
    }
    Ok(Some(files))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_directory_lists_supported_visible_files_in_name_order() {
        let dir = tempfile::tempdir().unwrap();
        for name in [
            "b.npy",
            "a.CSV",
            "c.parquet",
            "_SUCCESS",
            ".a.npy.crc",
            "notes.txt",
        ] {
            std::fs::write(dir.path().join(name), "").unwrap();
        }
        std::fs::create_dir(dir.path().join("sub.npy")).unwrap();
        let files = list(dir.path()).unwrap().unwrap();
        let names: Vec<_> = files
            .iter()
            .map(|p| p.file_name().unwrap().to_str().unwrap())
            .collect();
        assert_eq!(names, ["a.CSV", "b.npy", "c.parquet"]);
    }

    #[test]
    fn a_pattern_lists_its_matches_and_an_empty_match_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        for name in ["part-2.npy", "part-10.npy", "part-1.npy", "other.npy"] {
            std::fs::write(dir.path().join(name), "").unwrap();
        }
        let pattern = dir.path().join("part-*.npy");
        let files = list(&pattern).unwrap().unwrap();
        let names: Vec<_> = files
            .iter()
            .map(|p| p.file_name().unwrap().to_str().unwrap())
            .collect();
        assert_eq!(names, ["part-1.npy", "part-10.npy", "part-2.npy"]);
        let none = list(&dir.path().join("nothing-*.npy")).unwrap_err();
        assert!(matches!(none, OpenError::NoFiles(_)), "{none}");
        assert!(list(&dir.path().join("one.npy")).unwrap().is_none());
    }
}
