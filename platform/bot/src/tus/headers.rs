//! The tus 1.0.0 headers as typed values: each knows its name and how it is read and written.

use axum::http::{HeaderMap, HeaderName, HeaderValue};

use super::metadata::Metadata;

/// The protocol version served.
pub(crate) const VERSION: &str = "1.0.0";
/// The extensions served.
pub(crate) const EXTENSIONS: &str = "creation,termination";
/// The only content type of a PATCH body.
pub(crate) const OFFSET_OCTET_STREAM: &str = "application/offset+octet-stream";

/// A tus header.
pub(crate) trait TusHeader: Sized {
    const NAME: &'static str;
    /// The value, `None` when it is malformed.
    fn decode(text: &str) -> Option<Self>;
    fn encode(&self) -> HeaderValue;
}

/// Reads `H`: `Ok(None)` when absent, `Err` naming the header when malformed.
pub(crate) fn read<H: TusHeader>(headers: &HeaderMap) -> Result<Option<H>, String> {
    let Some(value) = headers.get(H::NAME) else {
        return Ok(None);
    };
    value
        .to_str()
        .ok()
        .and_then(H::decode)
        .map(Some)
        .ok_or_else(|| format!("the {} header is malformed", H::NAME))
}

/// Writes `H`.
pub(crate) fn write<H: TusHeader>(headers: &mut HeaderMap, value: &H) {
    headers.insert(HeaderName::from_static(H::NAME), value.encode());
}

/// A non-negative decimal integer, digits only.
fn decimal(text: &str) -> Option<u64> {
    (!text.is_empty() && text.len() <= 20 && text.bytes().all(|byte| byte.is_ascii_digit()))
        .then(|| text.parse().ok())
        .flatten()
}

/// `Tus-Resumable`: the protocol version of a request or answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TusResumable(pub String);

impl TusResumable {
    pub(crate) fn current() -> TusResumable {
        TusResumable(VERSION.to_owned())
    }

    pub(crate) fn is_supported(&self) -> bool {
        self.0 == VERSION
    }
}

impl TusHeader for TusResumable {
    const NAME: &'static str = "tus-resumable";

    fn decode(text: &str) -> Option<TusResumable> {
        Some(TusResumable(text.trim().to_owned()))
    }

    fn encode(&self) -> HeaderValue {
        HeaderValue::from_str(&self.0).unwrap_or(HeaderValue::from_static(VERSION))
    }
}

/// `Tus-Version`: the versions served.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TusVersion;

impl TusHeader for TusVersion {
    const NAME: &'static str = "tus-version";

    fn decode(_: &str) -> Option<TusVersion> {
        Some(TusVersion)
    }

    fn encode(&self) -> HeaderValue {
        HeaderValue::from_static(VERSION)
    }
}

/// `Tus-Extension`: the extensions served.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TusExtension;

impl TusHeader for TusExtension {
    const NAME: &'static str = "tus-extension";

    fn decode(_: &str) -> Option<TusExtension> {
        Some(TusExtension)
    }

    fn encode(&self) -> HeaderValue {
        HeaderValue::from_static(EXTENSIONS)
    }
}

macro_rules! size_header {
    ($(#[$doc:meta])* $name:ident, $header:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub(crate) struct $name(pub u64);

        impl TusHeader for $name {
            const NAME: &'static str = $header;

            fn decode(text: &str) -> Option<$name> {
                decimal(text).map($name)
            }

            fn encode(&self) -> HeaderValue {
                HeaderValue::from(self.0)
            }
        }
    };
}

size_header!(
    /// `Tus-Max-Size`: the largest upload taken, in bytes.
    TusMaxSize, "tus-max-size"
);
size_header!(
    /// `Upload-Length`: the whole upload's size, in bytes.
    UploadLength, "upload-length"
);
size_header!(
    /// `Upload-Offset`: how many bytes of the upload the server holds.
    UploadOffset, "upload-offset"
);

/// `Upload-Defer-Length` (not served: only its presence matters).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct UploadDeferLength;

impl TusHeader for UploadDeferLength {
    const NAME: &'static str = "upload-defer-length";

    fn decode(text: &str) -> Option<UploadDeferLength> {
        (text.trim() == "1").then_some(UploadDeferLength)
    }

    fn encode(&self) -> HeaderValue {
        HeaderValue::from_static("1")
    }
}

/// `Upload-Metadata`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct UploadMetadata(pub Metadata);

impl TusHeader for UploadMetadata {
    const NAME: &'static str = "upload-metadata";

    fn decode(text: &str) -> Option<UploadMetadata> {
        Metadata::parse(text).ok().map(UploadMetadata)
    }

    fn encode(&self) -> HeaderValue {
        HeaderValue::from_str(&self.0.encode()).unwrap_or(HeaderValue::from_static(""))
    }
}

#[cfg(test)]
mod tests {
    use axum::http::{HeaderMap, HeaderValue};

    use super::{TusResumable, UploadLength, UploadOffset, read, write};

    #[test]
    fn sizes_are_plain_decimals() {
        let mut headers = HeaderMap::new();
        assert_eq!(read::<UploadLength>(&headers), Ok(None));
        write(&mut headers, &UploadLength(1024));
        assert_eq!(read::<UploadLength>(&headers), Ok(Some(UploadLength(1024))));
        for bad in ["-1", "+5", "1e3", " ", "99999999999999999999999"] {
            headers.insert("upload-offset", HeaderValue::from_static(bad));
            assert!(read::<UploadOffset>(&headers).is_err(), "{bad}");
        }
        headers.insert("tus-resumable", HeaderValue::from_static("0.2.2"));
        let version = read::<TusResumable>(&headers)
            .expect("readable")
            .expect("present");
        assert!(!version.is_supported());
    }
}
