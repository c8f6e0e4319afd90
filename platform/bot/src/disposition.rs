//! `Content-Disposition` file names: read from the asset repository's answers (a bare name, never
//! a path), and written on downloads (an ASCII `filename` and the RFC 8187 `filename*`).

/// Longest file name kept.
const MAX_NAME: usize = 200;

/// The file name a `Content-Disposition` value gives (`filename*` first), made safe.
pub(crate) fn file_name(header: &str) -> Option<String> {
    let mut plain = None;
    let mut extended = None;
    for part in header.split(';').map(str::trim) {
        let Some((key, value)) = part.split_once('=') else {
            continue;
        };
        match key.trim().to_ascii_lowercase().as_str() {
            "filename*" => {
                let value = value.trim();
                let encoded = value
                    .strip_prefix("UTF-8''")
                    .or_else(|| value.strip_prefix("utf-8''"))?;
                extended = percent_decode(encoded);
            }
            "filename" => plain = Some(value.trim().trim_matches('"').to_owned()),
            _ => {}
        }
    }
    safe(&extended.or(plain)?)
}

/// `name` as a bare file name: after the last path separator, without control characters or
/// quotes, at most 200 characters; `None` when nothing is left.
pub(crate) fn safe(name: &str) -> Option<String> {
    let base = name.rsplit(['/', '\\']).next().unwrap_or_default();
    let cleaned: String = base
        .chars()
        .filter(|char| !char.is_control() && *char != '"')
        .take(MAX_NAME)
        .collect();
    let cleaned = cleaned.trim().to_owned();
    (!cleaned.is_empty() && cleaned != "." && cleaned != "..").then_some(cleaned)
}

/// `attachment; filename="…"; filename*=UTF-8''…` for `name` (already [`safe`]).
pub(crate) fn attachment(name: &str) -> String {
    let ascii: String = name
        .chars()
        .map(|char| {
            if char.is_ascii() && char != '\\' {
                char
            } else {
                '_'
            }
        })
        .collect();
    let mut encoded = String::new();
    for byte in name.bytes() {
        if byte.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&byte) {
            encoded.push(byte as char);
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}")
}

fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        if bytes[index] == b'%' {
            let hex = std::str::from_utf8(bytes.get(index + 1..index + 3)?).ok()?;
            decoded.push(u8::from_str_radix(hex, 16).ok()?);
            index += 3;
        } else {
            decoded.push(bytes[index]);
            index += 1;
        }
    }
    String::from_utf8(decoded).ok()
}

#[cfg(test)]
mod tests {
    use super::{attachment, file_name};

    #[test]
    fn names_come_from_either_form_and_stay_bare() {
        assert_eq!(
            file_name("attachment; filename=\"demo-20260720.octobak\"").as_deref(),
            Some("demo-20260720.octobak")
        );
        assert_eq!(
            file_name("attachment; filename=x.zip; filename*=UTF-8''M%C3%BChle.zip").as_deref(),
            Some("Mühle.zip")
        );
        assert_eq!(
            file_name("attachment; filename=\"../../etc/passwd\"").as_deref(),
            Some("passwd")
        );
        assert_eq!(file_name("attachment; filename=\"..\""), None);
        assert_eq!(file_name("inline"), None);
        assert_eq!(
            attachment("Mühle.zip"),
            "attachment; filename=\"M_hle.zip\"; filename*=UTF-8''M%C3%BChle.zip"
        );
    }
}
