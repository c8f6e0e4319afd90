//! `manifest.json` of a tenant backup: what the archive holds and how to check it. Written last,
//! so an archive cut short before it is finished has none.

use serde::{Deserialize, Serialize};

/// `format` of our backups.
pub(crate) const FORMAT: &str = "octomesh-tenant-backup";
/// The one `formatVersion` this asset repository writes and restores.
pub(crate) const FORMAT_VERSION: u32 = 1;
pub(crate) const MANIFEST_ENTRY: &str = "manifest.json";
/// The snapshot of the tenant's database.
pub(crate) const REPOSITORY_ENTRY: &str = "repository.sqlite";
/// The snapshot of the tenant's stream-data store.
pub(crate) const STREAMDATA_ENTRY: &str = "streamdata.sqlite";

/// The manifest (camelCase on the wire, upstream's field names where it has them).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Manifest {
    pub format: String,
    pub format_version: u32,
    /// RFC 3339, UTC.
    pub created_at_utc: String,
    pub source_tenant_id: String,
    pub source_database_name: String,
    /// Whether `streamdata.sqlite` is in the archive.
    pub includes_archive_data: bool,
    /// `octomesh-mcp {version}`.
    pub producer: String,
    pub counts: ManifestCounts,
    /// The installed CK model ids (`System-2.2.2`), in installation order.
    pub ck_models: Vec<String>,
    /// Every entry but the manifest, with the size and SHA-256 of its uncompressed bytes.
    pub entries: Vec<ManifestEntry>,
    /// The archives and their points, when the stream data is included.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub archives: Option<Vec<ManifestArchive>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ManifestCounts {
    /// Every entity, archived ones too.
    pub entities: u64,
    pub associations: u64,
    pub ck_models: u64,
    /// Archive entities (not archived).
    pub archives: u64,
    /// Points in all archives, when the stream data is included.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub points: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ManifestEntry {
    pub name: String,
    pub size_bytes: u64,
    /// Lower-case hex.
    pub sha256: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ManifestArchive {
    pub rt_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rt_well_known_name: Option<String>,
    /// `Created`, `Activated`, `Disabled` or `Failed`.
    pub status: String,
    pub points: u64,
}

impl Manifest {
    /// The entry called `name`, if the manifest lists it.
    pub fn entry(&self, name: &str) -> Option<&ManifestEntry> {
        self.entries.iter().find(|entry| entry.name == name)
    }
}
