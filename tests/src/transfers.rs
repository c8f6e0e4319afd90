//! Plain HTTP on the file-transfer channel, as a client does it: `curl`, and the upload a tool
//! prepared filled with `curl -T`.

use std::process::Command;

use serde_json::json;

/// `curl ARGS` → (HTTP status, what it printed: the body, or the headers with `-I`).
pub fn curl_bytes(args: &[&str]) -> (u16, Vec<u8>) {
    let output = Command::new("curl")
        .args(["-sS", "-o", "/dev/stdout", "-w", "\n%{http_code}"])
        .args(args)
        .output()
        .expect("curl runs");
    let mut out = output.stdout;
    let split = out
        .iter()
        .rposition(|byte| *byte == b'\n')
        .expect("curl printed the status");
    let status = String::from_utf8_lossy(&out[split + 1..])
        .trim()
        .parse()
        .expect("a status");
    out.truncate(split);
    (status, out)
}

/// Like [`curl_bytes`], the output as text.
pub fn curl(args: &[&str]) -> (u16, String) {
    let (status, out) = curl_bytes(args);
    (status, String::from_utf8_lossy(&out).into_owned())
}

pub fn files_in(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut found = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                found.extend(files_in(&path));
            } else {
                found.push(path);
            }
        }
    }
    found
}

/// Prepares an upload of `name` as `client`, sends `bytes` there with `curl -T` (via a file in
/// `dir`), and returns the transfer id.
pub async fn upload(
    client: &crate::McpClient,
    dir: &std::path::Path,
    name: &str,
    bytes: &[u8],
) -> String {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    let prepared = client
        .call_tool("prepare_file_upload", json!({"fileName": name}))
        .await;
    let url = prepared["structuredContent"]["uploadUrl"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(curl(&["-T", path.to_str().unwrap(), &url]).0, 200);
    prepared["structuredContent"]["transferId"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// `dir` (a CK library folder) as a zip archive, its files under `name/`.
pub fn zip_folder(dir: &std::path::Path, name: &str) -> Vec<u8> {
    use std::io::Write as _;
    let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let mut files = files_in(dir);
    files.sort();
    for file in files {
        let relative = file
            .strip_prefix(dir)
            .unwrap()
            .to_string_lossy()
            .into_owned();
        writer
            .start_file(
                format!("{name}/{relative}"),
                zip::write::SimpleFileOptions::default(),
            )
            .unwrap();
        writer.write_all(&std::fs::read(&file).unwrap()).unwrap();
    }
    writer.finish().unwrap().into_inner()
}
