//! Where transfers are kept: a local directory (the default, under the data directory) or an
//! S3-compatible bucket, `s3://bucket[/prefix]`, reached with the standard AWS variables
//! (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_REGION`, `AWS_ENDPOINT_URL` for a store
//! that is not AWS, `AWS_ALLOW_HTTP=true` for one on plain HTTP). The gateway and the workers that
//! consume uploads or publish downloads are given the same location.

use std::path::PathBuf;
use std::sync::Arc;

use object_store::ObjectStore;

use crate::store::TransferError;

/// A transfer store's location, as given on the command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreLocation {
    /// A directory of this machine (created if needed).
    Local(PathBuf),
    /// A bucket of an S3-compatible store, with an optional key prefix.
    S3 {
        bucket: String,
        prefix: Option<String>,
    },
}

impl std::fmt::Display for StoreLocation {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StoreLocation::Local(dir) => write!(formatter, "{}", dir.display()),
            StoreLocation::S3 {
                bucket,
                prefix: Some(prefix),
            } => write!(formatter, "s3://{bucket}/{prefix}"),
            StoreLocation::S3 {
                bucket,
                prefix: None,
            } => write!(formatter, "s3://{bucket}"),
        }
    }
}

impl std::str::FromStr for StoreLocation {
    type Err = String;

    /// `s3://bucket[/prefix]`, `file:///dir`, or a directory.
    fn from_str(text: &str) -> Result<StoreLocation, String> {
        let text = text.trim();
        if text.is_empty() {
            return Err(
                "the file-transfer store is empty: give a directory or s3://bucket[/prefix]".into(),
            );
        }
        if let Some(rest) = text.strip_prefix("s3://") {
            let (bucket, prefix) = match rest.split_once('/') {
                Some((bucket, prefix)) => (bucket, prefix.trim_end_matches('/')),
                None => (rest, ""),
            };
            if !valid_bucket(bucket) {
                return Err(format!(
                    "`{text}`: `{bucket}` is not an S3 bucket name (3–63 of a-z, 0-9, '.', '-'); write s3://bucket[/prefix]"
                ));
            }
            if prefix
                .split('/')
                .any(|part| part == "." || part == ".." || (part.is_empty() && !prefix.is_empty()))
            {
                return Err(format!(
                    "`{text}`: the prefix may not hold empty, `.` or `..` parts"
                ));
            }
            return Ok(StoreLocation::S3 {
                bucket: bucket.to_owned(),
                prefix: (!prefix.is_empty()).then(|| prefix.to_owned()),
            });
        }
        if let Some((scheme, _)) = text.split_once("://")
            && scheme != "file"
        {
            return Err(format!(
                "`{text}`: the file-transfer store is a directory or s3://bucket[/prefix], not a {scheme}:// URL"
            ));
        }
        Ok(StoreLocation::Local(PathBuf::from(
            text.strip_prefix("file://").unwrap_or(text),
        )))
    }
}

fn valid_bucket(bucket: &str) -> bool {
    (3..=63).contains(&bucket.len())
        && bucket.bytes().all(|byte| {
            byte.is_ascii_lowercase() || byte.is_ascii_digit() || byte == b'.' || byte == b'-'
        })
        && !bucket.starts_with(['.', '-'])
        && !bucket.ends_with(['.', '-'])
}

impl StoreLocation {
    /// The object store at this location.
    pub fn open(&self) -> Result<Arc<dyn ObjectStore>, TransferError> {
        match self {
            StoreLocation::Local(dir) => {
                std::fs::create_dir_all(dir).map_err(|error| {
                    TransferError::Storage(format!("cannot create {}: {error}", dir.display()))
                })?;
                let objects = object_store::local::LocalFileSystem::new_with_prefix(dir)
                    .map_err(|error| TransferError::Storage(error.to_string()))?;
                Ok(Arc::new(objects))
            }
            StoreLocation::S3 { bucket, prefix } => {
                let objects = object_store::aws::AmazonS3Builder::from_env()
                    .with_bucket_name(bucket)
                    .build()
                    .map_err(|error| {
                        TransferError::Storage(format!(
                            "the S3 store s3://{bucket} cannot be used: {error} (set AWS_REGION, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and, for a store that is not AWS, AWS_ENDPOINT_URL)"
                        ))
                    })?;
                Ok(match prefix {
                    Some(prefix) => Arc::new(object_store::prefix::PrefixStore::new(
                        objects,
                        prefix.as_str(),
                    )),
                    None => Arc::new(objects),
                })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::StoreLocation;

    #[test]
    fn locations_parse() {
        assert_eq!(
            "s3://transfers".parse::<StoreLocation>().unwrap(),
            StoreLocation::S3 {
                bucket: "transfers".into(),
                prefix: None
            }
        );
        assert_eq!(
            "s3://my-bucket/octo/mcp/".parse::<StoreLocation>().unwrap(),
            StoreLocation::S3 {
                bucket: "my-bucket".into(),
                prefix: Some("octo/mcp".into())
            }
        );
        assert_eq!(
            "/var/lib/x".parse::<StoreLocation>().unwrap(),
            StoreLocation::Local("/var/lib/x".into())
        );
        assert_eq!(
            "file:///var/lib/x".parse::<StoreLocation>().unwrap(),
            StoreLocation::Local("/var/lib/x".into())
        );
        for bad in [
            "",
            "s3://",
            "s3://Upper",
            "s3://ab",
            "s3://b/../x",
            "gs://bucket",
            "s3://bucket//x",
        ] {
            let error = bad.parse::<StoreLocation>().unwrap_err();
            assert!(!error.is_empty(), "{bad}");
        }
    }
}
