//! Runtime models as uploaded to `ImportRt`: one YAML or JSON file, or a zip holding one (the
//! first `.json` entry, else the first `.yaml`/`.yml`, as upstream's import job reads it). The
//! entry is bounded before it is inflated.

use std::io::Read as _;

/// Largest inflated runtime-model entry.
const MAX_ENTRY_BYTES: u64 = 512 * 1024 * 1024;

/// The runtime-model text of an upload named `file_name`.
pub fn runtime_model_from_upload(file_name: &str, bytes: &[u8]) -> Result<String, String> {
    let is_zip =
        file_name.to_ascii_lowercase().ends_with(".zip") || bytes.starts_with(b"PK\x03\x04");
    if !is_zip {
        return String::from_utf8(bytes.to_vec()).map_err(|_| {
            format!("`{file_name}` is not UTF-8 text: upload a .yaml or .json runtime model, or a .zip holding one")
        });
    }
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes))
        .map_err(|error| format!("`{file_name}` is not a readable zip archive: {error}"))?;
    let names: Vec<String> = archive
        .file_names()
        .filter_map(Result::ok)
        .map(|name| name.into_owned())
        .filter(|name| !name.ends_with('/'))
        .collect();
    let pick = |extensions: &[&str]| {
        names
            .iter()
            .find(|name| {
                let lower = name.to_ascii_lowercase();
                extensions
                    .iter()
                    .any(|extension| lower.ends_with(extension))
            })
            .cloned()
    };
    let entry = pick(&[".json"])
        .or_else(|| pick(&[".yaml", ".yml"]))
        .ok_or_else(|| format!("`{file_name}` holds no .json or .yaml runtime model"))?;
    let file = archive
        .by_name(&entry)
        .map_err(|error| format!("`{file_name}`: `{entry}` is unreadable: {error}"))?;
    if file.size() > MAX_ENTRY_BYTES {
        return Err(format!(
            "`{file_name}`: `{entry}` inflates to {} bytes; at most {MAX_ENTRY_BYTES} are taken",
            file.size()
        ));
    }
    let mut text = String::new();
    file.take(MAX_ENTRY_BYTES + 1)
        .read_to_string(&mut text)
        .map_err(|error| format!("`{file_name}`: `{entry}` is not UTF-8 text: {error}"))?;
    if text.len() as u64 > MAX_ENTRY_BYTES {
        return Err(format!(
            "`{file_name}`: `{entry}` inflates to more than {MAX_ENTRY_BYTES} bytes"
        ));
    }
    Ok(text)
}

#[cfg(test)]
mod tests {
    use std::io::Write as _;

    use super::runtime_model_from_upload;

    fn zip(entries: &[(&str, &str)]) -> Vec<u8> {
        let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        for (name, text) in entries {
            writer
                .start_file(*name, zip::write::SimpleFileOptions::default())
                .unwrap();
            writer.write_all(text.as_bytes()).unwrap();
        }
        writer.finish().unwrap().into_inner()
    }

    #[test]
    fn a_zip_gives_its_first_json_else_its_first_yaml() {
        let both = zip(&[
            ("a/readme.txt", "no"),
            ("a/m.yaml", "yaml"),
            ("a/m.json", "json"),
        ]);
        assert_eq!(runtime_model_from_upload("x.zip", &both).unwrap(), "json");
        let yaml = zip(&[("m.yml", "yaml")]);
        assert_eq!(runtime_model_from_upload("x.bin", &yaml).unwrap(), "yaml");
        let none = zip(&[("readme.txt", "no")]);
        assert!(
            runtime_model_from_upload("x.zip", &none)
                .unwrap_err()
                .contains("no .json or .yaml")
        );
        assert!(runtime_model_from_upload("x.zip", b"PK\x03\x04broken").is_err());
        assert_eq!(
            runtime_model_from_upload("m.yaml", b"entities: []").unwrap(),
            "entities: []"
        );
        assert!(runtime_model_from_upload("m.yaml", &[0xff, 0xfe]).is_err());
    }
}
