//! The file-transfer channel, for the gateway and the `platform-admin` workers (which take uploads
//! and publish downloads) alike: the store (`s3://bucket/prefix`, or the transfers volume's mount
//! path), the key that seals transfer URLs from its Secret, the cap and time to live, and for the
//! S3 form the `AWS_*` variables (the access key pair from its Secret, never a literal). The
//! directory forms add the transfers volume (a claim, or the gateway pod's emptyDir); the S3 form
//! needs none. An environment without `fileTransfer` gets none of this.

use k8s_openapi::api::core::v1::{
    EmptyDirVolumeSource, EnvVar, PersistentVolumeClaimVolumeSource, Volume, VolumeMount,
};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use octomesh_crds::McpDeploymentSpec;
use octomesh_crds::mcpdeployment::{FamilyName, FileTransfer, Topology};

use super::pod::{env, secret_env};
use super::{BuildError, Context};

/// Where the transfers volume is mounted.
pub(super) const TRANSFERS: &str = "/var/lib/octomesh-mcp/transfers";
const VOLUME: &str = "transfers";

/// Whether `family`'s workers reach the transfer store.
pub(super) fn uses(family: FamilyName) -> bool {
    family == FamilyName::PlatformAdmin
}

/// Refuses what the schema's CEL rules refuse (a cluster without them, or an object written
/// before them, still gets a clear reason).
pub(super) fn check(spec: &McpDeploymentSpec) -> Result<(), BuildError> {
    let Some(files) = &spec.file_transfer else {
        return Ok(());
    };
    if files.s3.is_some() && (files.claim_name.is_some() || files.size_limit.is_some()) {
        return Err(BuildError::FileTransfer(
            "fileTransfer takes one store: s3, or a directory (claimName, or an emptyDir with sizeLimit), not both",
        ));
    }
    if files.is_empty_dir() && !(spec.topology == Topology::Sidecar && spec.gateway.replicas == 1) {
        return Err(BuildError::FileTransfer(
            "fileTransfer without s3 or claimName is an emptyDir of each gateway pod, which the gateway replicas and the platform-admin workers cannot share: use it only with topology sidecar and gateway.replicas 1, else give s3 or a ReadWriteMany claimName",
        ));
    }
    if let Some(s3) = &files.s3
        && s3
            .endpoint
            .as_deref()
            .is_some_and(|url| url.starts_with("http://"))
        && s3.allow_http != Some(true)
    {
        return Err(BuildError::FileTransfer(
            "fileTransfer.s3: an http:// endpoint needs allowHttp: true",
        ));
    }
    Ok(())
}

/// The Secret and key holding the transfer key, when the environment has file transfer.
pub(super) fn key_ref(context: &Context<'_>) -> Option<(String, String)> {
    let files = context.resource.spec.file_transfer.as_ref()?;
    Some(match &files.key_secret_ref {
        Some(secret) => (secret.name.clone(), secret.key.clone()),
        None => (context.names.file_transfer_key(), "key".into()),
    })
}

/// The Secret of a random transfer key the operator creates, unless the spec names one.
pub(super) fn generated_key(context: &Context<'_>) -> Option<String> {
    let files = context.resource.spec.file_transfer.as_ref()?;
    files
        .key_secret_ref
        .is_none()
        .then(|| context.names.file_transfer_key())
}

fn store(files: &FileTransfer) -> String {
    match &files.s3 {
        Some(s3) => match &s3.prefix {
            Some(prefix) => format!("s3://{}/{prefix}", s3.bucket),
            None => format!("s3://{}", s3.bucket),
        },
        None => TRANSFERS.to_owned(),
    }
}

/// The variables of a container that serves or consumes transfers.
pub(super) fn env_of(context: &Context<'_>) -> Vec<EnvVar> {
    let Some(files) = &context.resource.spec.file_transfer else {
        return Vec::new();
    };
    let mut vars = vec![env("OCTOMESH_FILE_TRANSFER_STORE", store(files))];
    if let Some((secret, key)) = key_ref(context) {
        vars.push(secret_env(
            "OCTOMESH_FILE_TRANSFER_KEY",
            &secret,
            &key,
            false,
        ));
    }
    if let Some(max_bytes) = files.max_bytes {
        vars.push(env(
            "OCTOMESH_FILE_TRANSFER_MAX_BYTES",
            max_bytes.to_string(),
        ));
    }
    if let Some(minutes) = files.ttl_minutes {
        vars.push(env(
            "OCTOMESH_FILE_TRANSFER_TTL_MINUTES",
            minutes.to_string(),
        ));
    }
    if let Some(s3) = &files.s3 {
        let credentials = &s3.credentials_secret_ref;
        vars.push(secret_env(
            "AWS_ACCESS_KEY_ID",
            &credentials.name,
            &credentials.access_key_id_key,
            false,
        ));
        vars.push(secret_env(
            "AWS_SECRET_ACCESS_KEY",
            &credentials.name,
            &credentials.secret_access_key_key,
            false,
        ));
        if let Some(region) = &s3.region {
            vars.push(env("AWS_REGION", region.clone()));
        }
        if let Some(endpoint) = &s3.endpoint {
            vars.push(env("AWS_ENDPOINT_URL", endpoint.clone()));
        }
        if s3.allow_http == Some(true) {
            vars.push(env("AWS_ALLOW_HTTP", "true"));
        }
    }
    vars
}

/// The transfers volume's mount, for the directory forms.
pub(super) fn mounts(context: &Context<'_>) -> Option<Vec<VolumeMount>> {
    volume(context).map(|_| {
        vec![VolumeMount {
            name: VOLUME.into(),
            mount_path: TRANSFERS.into(),
            ..VolumeMount::default()
        }]
    })
}

/// The transfers volume, for the directory forms: the claim, or an emptyDir (the gateway pod's,
/// which its sidecars share).
pub(super) fn volume(context: &Context<'_>) -> Option<Volume> {
    let files = context.resource.spec.file_transfer.as_ref()?;
    if files.s3.is_some() {
        return None;
    }
    Some(match &files.claim_name {
        Some(claim_name) => Volume {
            name: VOLUME.into(),
            persistent_volume_claim: Some(PersistentVolumeClaimVolumeSource {
                claim_name: claim_name.clone(),
                read_only: Some(false),
            }),
            ..Volume::default()
        },
        None => Volume {
            name: VOLUME.into(),
            empty_dir: Some(EmptyDirVolumeSource {
                medium: None,
                size_limit: files.size_limit.clone().map(Quantity),
            }),
            ..Volume::default()
        },
    })
}
