//! CK libraries as uploaded to `ImportCk`: a zip of the library folder (`ckModel.yaml` with
//! `types/`, `attributes/`, … beside it, at any depth in the archive), or one compiled YAML/JSON
//! document holding the `ckModel.yaml` fields and the element sections together.
//!
//! Archives are bounded (entries, bytes per entry, bytes in all) so that a zip bomb is refused
//! before it is inflated.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::PathBuf;

use super::load::LibraryFiles;

/// Most entries an uploaded archive may hold.
const MAX_ENTRIES: usize = 10_000;
/// Largest inflated file in an archive.
const MAX_FILE_BYTES: u64 = 32 * 1024 * 1024;
/// Largest inflated archive.
const MAX_TOTAL_BYTES: u64 = 256 * 1024 * 1024;

const HEADER_NAMES: [&str; 3] = ["ckModel.yaml", "ckModel.yml", "ckModel.json"];
const HEADER_KEYS: [&str; 4] = ["$schema", "modelId", "description", "dependencies"];

/// The library in an upload named `file_name`.
pub fn library_from_upload(file_name: &str, bytes: &[u8]) -> Result<LibraryFiles, String> {
    let lower = file_name.to_ascii_lowercase();
    if lower.ends_with(".zip") || bytes.starts_with(b"PK\x03\x04") {
        from_zip(file_name, bytes)
    } else if [".yaml", ".yml", ".json", ""]
        .iter()
        .any(|extension| lower.ends_with(extension))
    {
        let text = std::str::from_utf8(bytes).map_err(|_| {
            format!("`{file_name}` is not UTF-8 text: upload a .zip of the library folder or one compiled .yaml/.json")
        })?;
        compiled(file_name, text)
    } else {
        Err(format!(
            "`{file_name}` is neither a .zip of a CK library folder nor a compiled .yaml/.json library"
        ))
    }
}

fn from_zip(file_name: &str, bytes: &[u8]) -> Result<LibraryFiles, String> {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes))
        .map_err(|error| format!("`{file_name}` is not a readable zip archive: {error}"))?;
    if archive.len() > MAX_ENTRIES {
        return Err(format!(
            "`{file_name}` holds {} entries; a CK library archive may hold at most {MAX_ENTRIES}",
            archive.len()
        ));
    }
    // The library root is the folder of the shallowest ckModel file.
    let root = archive
        .file_names()
        .filter_map(Result::ok)
        .filter(|name| {
            HEADER_NAMES
                .iter()
                .any(|header| name.rsplit('/').next() == Some(*header))
        })
        .min_by_key(|name| name.matches('/').count())
        .map(|name| name.rsplit_once('/').map_or("", |(folder, _)| folder).to_owned())
        .ok_or_else(|| {
            format!("`{file_name}` holds no ckModel.yaml: zip the library folder (ckModel.yaml with types/, attributes/, … beside it)")
        })?;
    let prefix = if root.is_empty() {
        String::new()
    } else {
        format!("{root}/")
    };
    let mut files = BTreeMap::new();
    let mut total = 0u64;
    for idx in 0..archive.len() {
        let mut entry = archive
            .by_index(idx)
            .map_err(|error| format!("`{file_name}`: entry {idx} is unreadable: {error}"))?;
        if entry.is_dir() {
            continue;
        }
        let Some(path) = entry.enclosed_name() else {
            return Err(format!(
                "`{file_name}`: entry `{}` points outside the archive",
                entry.name().unwrap_or_default()
            ));
        };
        let name = path.to_string_lossy().replace('\\', "/");
        let Some(relative) = name.strip_prefix(&prefix) else {
            continue;
        };
        let wanted = relative
            .rsplit('.')
            .next()
            .is_some_and(|extension| matches!(extension, "yaml" | "yml" | "json"));
        if !wanted || relative.starts_with("migrations/") {
            continue;
        }
        if entry.size() > MAX_FILE_BYTES {
            return Err(format!(
                "`{file_name}`: `{name}` inflates to {} bytes; at most {MAX_FILE_BYTES} per file",
                entry.size()
            ));
        }
        let mut text = String::new();
        (&mut entry)
            .take(MAX_FILE_BYTES + 1)
            .read_to_string(&mut text)
            .map_err(|error| format!("`{file_name}`: `{name}` is not UTF-8 text ({error})"))?;
        total += text.len() as u64;
        if text.len() as u64 > MAX_FILE_BYTES || total > MAX_TOTAL_BYTES {
            return Err(format!(
                "`{file_name}` inflates beyond {MAX_TOTAL_BYTES} bytes; split the library"
            ));
        }
        files.insert(PathBuf::from(relative), text);
    }
    Ok(LibraryFiles {
        root: PathBuf::from(file_name),
        files,
    })
}

/// One document: the header keys go to `ckModel.yaml`, the element sections to one element file.
fn compiled(file_name: &str, text: &str) -> Result<LibraryFiles, String> {
    let document: serde_yaml::Value = serde_yaml::from_str(text)
        .map_err(|error| format!("`{file_name}` is not YAML or JSON: {error}"))?;
    let serde_yaml::Value::Mapping(mapping) = document else {
        return Err(format!(
            "`{file_name}` is not a CK library: expected a mapping with `modelId` and the element sections"
        ));
    };
    let mut header = serde_yaml::Mapping::new();
    let mut elements = serde_yaml::Mapping::new();
    for (key, value) in mapping {
        let is_header = key.as_str().is_some_and(|key| HEADER_KEYS.contains(&key));
        if is_header {
            header.insert(key, value);
        } else {
            elements.insert(key, value);
        }
    }
    let encode = |mapping: serde_yaml::Mapping| {
        serde_yaml::to_string(&mapping).map_err(|error| format!("`{file_name}`: {error}"))
    };
    let mut files = BTreeMap::new();
    files.insert(PathBuf::from("ckModel.yaml"), encode(header)?);
    files.insert(PathBuf::from("types/compiled.yaml"), encode(elements)?);
    Ok(LibraryFiles {
        root: PathBuf::from(file_name),
        files,
    })
}
