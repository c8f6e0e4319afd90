//! What each kind of job takes (checked when it is enqueued) and which route of the asset
//! repository carries it out.

use std::collections::HashMap;

use reqwest::Method;
use serde::{Deserialize, Serialize};

use crate::error::ApiError;
use crate::ids::{RtId, UploadId};
use crate::time::Utc;
use octomesh_platform_common::tenant::{SYSTEM_TENANT, invalid_tenant_id, is_valid_tenant_id};

/// The kinds of job, by their route names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum JobKind {
    DumpRepository,
    RestoreFromUpload,
    ExportRuntimeModelByQuery,
    ExportRuntimeModelByDeepGraph,
    ExportArchiveData,
    ImportArchiveDataFromUpload,
    RunFixupScripts,
}

impl JobKind {
    pub(crate) const ALL: [JobKind; 7] = [
        JobKind::DumpRepository,
        JobKind::RestoreFromUpload,
        JobKind::ExportRuntimeModelByQuery,
        JobKind::ExportRuntimeModelByDeepGraph,
        JobKind::ExportArchiveData,
        JobKind::ImportArchiveDataFromUpload,
        JobKind::RunFixupScripts,
    ];

    /// The route name (`jobs/{name}`).
    pub(crate) fn name(self) -> &'static str {
        match self {
            JobKind::DumpRepository => "dump-repository",
            JobKind::RestoreFromUpload => "restore-from-upload",
            JobKind::ExportRuntimeModelByQuery => "export-runtime-model-by-query",
            JobKind::ExportRuntimeModelByDeepGraph => "export-runtime-model-by-deep-graph",
            JobKind::ExportArchiveData => "export-archive-data",
            JobKind::ImportArchiveDataFromUpload => "import-archive-data-from-upload",
            JobKind::RunFixupScripts => "run-fixup-scripts",
        }
    }

    /// The kind named `name` (any case).
    pub(crate) fn parse(name: &str) -> Option<JobKind> {
        JobKind::ALL
            .into_iter()
            .find(|kind| kind.name().eq_ignore_ascii_case(name))
    }

    /// What the job does, in messages.
    pub(crate) fn title(self) -> &'static str {
        match self {
            JobKind::DumpRepository => "the dump",
            JobKind::RestoreFromUpload => "the restore",
            JobKind::ExportRuntimeModelByQuery | JobKind::ExportRuntimeModelByDeepGraph => {
                "the runtime-model export"
            }
            JobKind::ExportArchiveData => "the archive data export",
            JobKind::ImportArchiveDataFromUpload => "the archive data import",
            JobKind::RunFixupScripts => "the fixup run",
        }
    }
}

/// How archive rows are imported (upstream's names; `0`/`1` accepted too).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum ImportMode {
    InsertOnly,
    Upsert,
}

impl ImportMode {
    fn parse(text: &str) -> Option<ImportMode> {
        match text.to_ascii_lowercase().as_str() {
            "insertonly" | "0" => Some(ImportMode::InsertOnly),
            "upsert" | "1" => Some(ImportMode::Upsert),
            _ => None,
        }
    }

    fn name(self) -> &'static str {
        match self {
            ImportMode::InsertOnly => "InsertOnly",
            ImportMode::Upsert => "Upsert",
        }
    }
}

/// A job's parameters, checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(
    tag = "kind",
    rename_all = "kebab-case",
    rename_all_fields = "camelCase"
)]
pub(crate) enum JobRequest {
    DumpRepository {
        tenant_id: String,
        include_archive_data: bool,
    },
    RestoreFromUpload {
        tenant_id: String,
        tus_file_id: UploadId,
        database_name: String,
        old_database_name: Option<String>,
        restore_archive_data: bool,
        /// Ours: restore over a tenant that exists.
        replace: bool,
    },
    ExportRuntimeModelByQuery {
        tenant_id: String,
        query_id: RtId,
    },
    ExportRuntimeModelByDeepGraph {
        tenant_id: String,
        origin_rt_ids: Vec<RtId>,
        origin_ck_type_id: String,
    },
    ExportArchiveData {
        tenant_id: String,
        archive_rt_id: RtId,
        from_utc: Option<Utc>,
        to_utc: Option<Utc>,
    },
    ImportArchiveDataFromUpload {
        tenant_id: String,
        tus_file_id: UploadId,
        archive_rt_id: RtId,
        mode: ImportMode,
    },
    RunFixupScripts {
        tenant_id: String,
    },
}

/// Which route a job was enqueued through.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Scope<'a> {
    /// `/{tenant}/v1/jobs/{kind}`: the route's tenant.
    Tenant(&'a str),
    /// `/system/v1/jobs/{kind}?tenantId=`: upstream's deprecated routes.
    System,
}

/// What the asset repository answers with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Answer {
    /// A file, kept as the job's result: its name (unless the answer's `Content-Disposition`
    /// names one, when `named_by_answer`).
    File {
        default_name: String,
        named_by_answer: bool,
    },
    /// JSON, kept as the job's `output`.
    Json,
}

/// What is sent.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Body {
    None,
    Json(serde_json::Value),
    /// The finished TUS upload, streamed.
    Upload(UploadId),
}

/// The asset repository's route that carries a job out.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct AssetCall {
    pub(crate) method: Method,
    pub(crate) path: String,
    pub(crate) query: Vec<(&'static str, String)>,
    pub(crate) body: Body,
    pub(crate) answer: Answer,
}

/// Largest JSON body of an enqueue request.
pub(crate) const MAX_ENQUEUE_BODY: usize = 1024 * 1024;
/// Most origin rtIds of a deep-graph export.
const MAX_ORIGINS: usize = 10_000;

/// An enqueue request's query parameters, by lower-case name (ASP.NET binds any case).
pub(crate) struct Params(HashMap<String, String>);

impl Params {
    pub(crate) fn new(query: HashMap<String, String>) -> Params {
        Params(
            query
                .into_iter()
                .map(|(name, value)| (name.to_ascii_lowercase(), value))
                .collect(),
        )
    }

    fn text(&self, name: &str) -> Option<&str> {
        self.0
            .get(&name.to_ascii_lowercase())
            .map(|value| value.trim())
            .filter(|value| !value.is_empty())
    }

    fn required(&self, name: &str, hint: &str) -> Result<&str, ApiError> {
        self.text(name)
            .ok_or_else(|| ApiError::bad_request(format!("{name} is required: {hint}")))
    }

    fn flag(&self, name: &str) -> Result<bool, ApiError> {
        match self.text(name) {
            None => Ok(false),
            Some(value) if value.eq_ignore_ascii_case("true") => Ok(true),
            Some(value) if value.eq_ignore_ascii_case("false") => Ok(false),
            Some(value) => Err(ApiError::bad_request(format!(
                "{name} `{value}` is not a boolean: send true or false"
            ))),
        }
    }

    fn rt_id(&self, name: &str, hint: &str) -> Result<RtId, ApiError> {
        parse_rt_id(name, self.required(name, hint)?)
    }

    fn upload(&self) -> Result<UploadId, ApiError> {
        let value = self.required(
            "tusFileId",
            "send the id of a finished TUS upload (the last segment of its Location)",
        )?;
        UploadId::parse(value).ok_or_else(|| {
            ApiError::bad_request(format!(
                "tusFileId `{value}` is not an upload id: send the last segment of the upload's Location (32 hexadecimal digits)"
            ))
        })
    }

    fn instant(&self, name: &str) -> Result<Option<Utc>, ApiError> {
        self.text(name)
            .map(|value| {
                Utc::parse(value).ok_or_else(|| {
                    ApiError::bad_request(format!(
                        "{name} `{value}` is not an ISO-8601 instant: send e.g. 2026-07-20T18:00:00Z"
                    ))
                })
            })
            .transpose()
    }
}

fn parse_rt_id(name: &str, value: &str) -> Result<RtId, ApiError> {
    RtId::parse(value).ok_or_else(|| {
        ApiError::bad_request(format!(
            "{name} `{value}` is not an rtId: an rtId is 24 hexadecimal digits"
        ))
    })
}

fn tenant(name: &str, value: &str) -> Result<String, ApiError> {
    if is_valid_tenant_id(value) {
        Ok(value.to_owned())
    } else {
        Err(ApiError::bad_request(format!(
            "{name}: {}",
            invalid_tenant_id(value)
        )))
    }
}

/// A database name as the asset repository takes it (MongoDB's rules): 1-63 bytes without
/// spaces, control characters or any of `/ \ . " $ * < > : | ?`.
fn database_name(name: &str, value: &str) -> Result<String, ApiError> {
    let valid = value.len() <= 63
        && !value
            .chars()
            .any(|char| char.is_control() || "/\\. \"$*<>:|?".contains(char));
    if valid {
        Ok(value.to_owned())
    } else {
        Err(ApiError::bad_request(format!(
            "{name} `{value}` is not a database name: 1-63 bytes without spaces or any of / \\ . \" $ * < > : | ?"
        )))
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ByQueryBody {
    query_id: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ByDeepGraphBody {
    #[serde(default)]
    origin_rt_ids: Vec<String>,
    origin_ck_type_id: Option<String>,
}

fn json_body<T: serde::de::DeserializeOwned>(body: &[u8], example: &str) -> Result<T, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::bad_request(format!(
            "a JSON body is required: send {example}"
        )));
    }
    serde_json::from_slice(body).map_err(|error| {
        ApiError::bad_request(format!(
            "the body is not the JSON expected ({error}): send {example}"
        ))
    })
}

impl JobRequest {
    /// The job `kind` enqueued through `scope` with `params` and `body`, checked.
    pub(crate) fn parse(
        kind: JobKind,
        scope: Scope<'_>,
        params: &Params,
        body: &[u8],
    ) -> Result<JobRequest, ApiError> {
        let tenant_id = target_tenant(kind, scope, params)?;
        Ok(match kind {
            JobKind::DumpRepository => JobRequest::DumpRepository {
                tenant_id,
                include_archive_data: params.flag("includeArchiveData")?,
            },
            JobKind::RestoreFromUpload => JobRequest::RestoreFromUpload {
                tenant_id,
                tus_file_id: params.upload()?,
                database_name: database_name(
                    "databaseName",
                    params.required(
                        "databaseName",
                        "send the name of the database to restore into",
                    )?,
                )?,
                old_database_name: params
                    .text("oldDatabaseName")
                    .map(|value| database_name("oldDatabaseName", value))
                    .transpose()?,
                restore_archive_data: params.flag("restoreArchiveData")?,
                replace: params.flag("replace")?,
            },
            JobKind::ExportRuntimeModelByQuery => {
                let example = r#"{"queryId": "<the rtId of a persisted query>"}"#;
                let request: ByQueryBody = json_body(body, example)?;
                let query_id = request.query_id.ok_or_else(|| {
                    ApiError::bad_request(format!("queryId is required: send {example}"))
                })?;
                JobRequest::ExportRuntimeModelByQuery {
                    tenant_id,
                    query_id: parse_rt_id("queryId", &query_id)?,
                }
            }
            JobKind::ExportRuntimeModelByDeepGraph => {
                let example = r#"{"originRtIds": ["<rtId>", …], "originCkTypeId": "Model/Type"}"#;
                let request: ByDeepGraphBody = json_body(body, example)?;
                if request.origin_rt_ids.is_empty() || request.origin_rt_ids.len() > MAX_ORIGINS {
                    return Err(ApiError::bad_request(format!(
                        "originRtIds must hold 1-{MAX_ORIGINS} rtIds: send {example}"
                    )));
                }
                let origin_rt_ids = request
                    .origin_rt_ids
                    .iter()
                    .map(|id| parse_rt_id("originRtIds", id))
                    .collect::<Result<Vec<_>, _>>()?;
                let origin_ck_type_id = request
                    .origin_ck_type_id
                    .map(|id| id.trim().to_owned())
                    .filter(|id| {
                        !id.is_empty()
                            && id.len() <= 256
                            && id.contains('/')
                            && !id.chars().any(|char| char.is_whitespace() || char.is_control())
                    })
                    .ok_or_else(|| {
                        ApiError::bad_request(format!(
                            "originCkTypeId is required, a CK type id such as `System/Entity`: send {example}"
                        ))
                    })?;
                JobRequest::ExportRuntimeModelByDeepGraph {
                    tenant_id,
                    origin_rt_ids,
                    origin_ck_type_id,
                }
            }
            JobKind::ExportArchiveData => {
                let from_utc = params.instant("fromUtc")?;
                let to_utc = params.instant("toUtc")?;
                if let (Some(from), Some(to)) = (from_utc, to_utc)
                    && from >= to
                {
                    return Err(ApiError::bad_request(
                        "fromUtc must be before toUtc: the window is [fromUtc, toUtc)",
                    ));
                }
                JobRequest::ExportArchiveData {
                    tenant_id,
                    archive_rt_id: params.rt_id("archiveRtId", "send the rtId of the archive")?,
                    from_utc,
                    to_utc,
                }
            }
            JobKind::ImportArchiveDataFromUpload => {
                let mode = params.required("mode", "send InsertOnly or Upsert")?;
                JobRequest::ImportArchiveDataFromUpload {
                    tenant_id,
                    tus_file_id: params.upload()?,
                    archive_rt_id: params.rt_id("archiveRtId", "send the rtId of the archive")?,
                    mode: ImportMode::parse(mode).ok_or_else(|| {
                        ApiError::bad_request(format!(
                            "mode `{mode}` is not an import mode: send InsertOnly or Upsert"
                        ))
                    })?,
                }
            }
            JobKind::RunFixupScripts => JobRequest::RunFixupScripts { tenant_id },
        })
    }

    pub(crate) fn kind(&self) -> JobKind {
        match self {
            JobRequest::DumpRepository { .. } => JobKind::DumpRepository,
            JobRequest::RestoreFromUpload { .. } => JobKind::RestoreFromUpload,
            JobRequest::ExportRuntimeModelByQuery { .. } => JobKind::ExportRuntimeModelByQuery,
            JobRequest::ExportRuntimeModelByDeepGraph { .. } => {
                JobKind::ExportRuntimeModelByDeepGraph
            }
            JobRequest::ExportArchiveData { .. } => JobKind::ExportArchiveData,
            JobRequest::ImportArchiveDataFromUpload { .. } => JobKind::ImportArchiveDataFromUpload,
            JobRequest::RunFixupScripts { .. } => JobKind::RunFixupScripts,
        }
    }

    /// The tenant the job acts on.
    pub(crate) fn tenant_id(&self) -> &str {
        match self {
            JobRequest::DumpRepository { tenant_id, .. }
            | JobRequest::RestoreFromUpload { tenant_id, .. }
            | JobRequest::ExportRuntimeModelByQuery { tenant_id, .. }
            | JobRequest::ExportRuntimeModelByDeepGraph { tenant_id, .. }
            | JobRequest::ExportArchiveData { tenant_id, .. }
            | JobRequest::ImportArchiveDataFromUpload { tenant_id, .. }
            | JobRequest::RunFixupScripts { tenant_id } => tenant_id,
        }
    }

    /// The TUS upload the job consumes (and deletes when it ends).
    pub(crate) fn upload(&self) -> Option<&UploadId> {
        match self {
            JobRequest::RestoreFromUpload { tus_file_id, .. }
            | JobRequest::ImportArchiveDataFromUpload { tus_file_id, .. } => Some(tus_file_id),
            _ => None,
        }
    }

    /// The asset repository's route that carries the job out.
    pub(crate) fn call(&self, now: Utc) -> AssetCall {
        let tenant = self.tenant_id();
        let base = format!("/system/v1/tenants/{tenant}");
        let zip = |default_name: String, named_by_answer| Answer::File {
            default_name,
            named_by_answer,
        };
        let call = |method, path: String, query, body, answer| AssetCall {
            method,
            path,
            query,
            body,
            answer,
        };
        match self {
            JobRequest::DumpRepository {
                include_archive_data,
                ..
            } => call(
                Method::GET,
                format!("{base}/dump"),
                vec![("includeArchiveData", include_archive_data.to_string())],
                Body::None,
                zip(format!("{tenant}-{}.octobak", now.compact()), true),
            ),
            JobRequest::RestoreFromUpload {
                tus_file_id,
                database_name,
                old_database_name,
                restore_archive_data,
                replace,
                ..
            } => {
                let mut query = vec![("databaseName", database_name.clone())];
                if let Some(old) = old_database_name {
                    query.push(("oldDatabaseName", old.clone()));
                }
                query.push(("restoreArchiveData", restore_archive_data.to_string()));
                query.push(("replace", replace.to_string()));
                call(
                    Method::POST,
                    format!("{base}/restore"),
                    query,
                    Body::Upload(tus_file_id.clone()),
                    Answer::Json,
                )
            }
            JobRequest::ExportRuntimeModelByQuery { query_id, .. } => call(
                Method::POST,
                format!("{base}/export/runtime-model/by-query"),
                Vec::new(),
                Body::Json(serde_json::json!({"queryId": query_id})),
                zip("RtEntities.zip".into(), false),
            ),
            JobRequest::ExportRuntimeModelByDeepGraph {
                origin_rt_ids,
                origin_ck_type_id,
                ..
            } => call(
                Method::POST,
                format!("{base}/export/runtime-model/by-deep-graph"),
                Vec::new(),
                Body::Json(serde_json::json!({
                    "originRtIds": origin_rt_ids,
                    "originCkTypeId": origin_ck_type_id,
                })),
                zip("RtEntities.zip".into(), false),
            ),
            JobRequest::ExportArchiveData {
                archive_rt_id,
                from_utc,
                to_utc,
                ..
            } => {
                let mut query = Vec::new();
                if let Some(from) = from_utc {
                    query.push(("fromUtc", from.to_string()));
                }
                if let Some(to) = to_utc {
                    query.push(("toUtc", to.to_string()));
                }
                call(
                    Method::GET,
                    format!("{base}/streamdata/archives/{archive_rt_id}/export"),
                    query,
                    Body::None,
                    zip(
                        format!("export-{archive_rt_id}-{}.zip", now.compact()),
                        true,
                    ),
                )
            }
            JobRequest::ImportArchiveDataFromUpload {
                tus_file_id,
                archive_rt_id,
                mode,
                ..
            } => call(
                Method::POST,
                format!("{base}/streamdata/archives/{archive_rt_id}/import"),
                vec![("mode", mode.name().to_owned())],
                Body::Upload(tus_file_id.clone()),
                Answer::Json,
            ),
            JobRequest::RunFixupScripts { .. } => call(
                Method::POST,
                format!("{base}/fixups/run"),
                Vec::new(),
                Body::None,
                Answer::Json,
            ),
        }
    }
}

/// The tenant a job acts on: the route's, or `?tenantId=` on the system routes; a restore on a
/// tenant route names its target (default: the route's tenant), which must be the route's tenant
/// unless that is the system tenant.
fn target_tenant(kind: JobKind, scope: Scope<'_>, params: &Params) -> Result<String, ApiError> {
    let named = params.text("tenantId");
    match scope {
        Scope::System => tenant(
            "tenantId",
            named.ok_or_else(|| {
                ApiError::bad_request("tenantId is required: send ?tenantId=<the tenant>")
            })?,
        ),
        Scope::Tenant(route) => {
            let route = tenant("the route's tenant", route)?;
            let Some(named) = named else {
                return Ok(route);
            };
            let named = tenant("tenantId", named)?;
            let may_name_another = kind == JobKind::RestoreFromUpload && route == SYSTEM_TENANT;
            if named != route && !may_name_another {
                return Err(ApiError::bad_request(format!(
                    "tenantId `{named}` is not the route's tenant `{route}`: a job acts on the tenant of its route (only a restore through /{SYSTEM_TENANT}/v1/… may name another tenant)"
                )));
            }
            Ok(named)
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::{Answer, Body, ImportMode, JobKind, JobRequest, Params, Scope};
    use crate::time::Utc;

    fn params(pairs: &[(&str, &str)]) -> Params {
        Params::new(
            pairs
                .iter()
                .map(|(name, value)| (name.to_string(), value.to_string()))
                .collect::<HashMap<_, _>>(),
        )
    }

    fn refusal(kind: JobKind, scope: Scope<'_>, pairs: &[(&str, &str)], body: &str) -> String {
        JobRequest::parse(kind, scope, &params(pairs), body.as_bytes())
            .expect_err("refused")
            .message
    }

    #[test]
    fn kinds_have_their_route_names() {
        for kind in JobKind::ALL {
            assert_eq!(JobKind::parse(kind.name()), Some(kind));
            let json = serde_json::to_value(kind).expect("serialises");
            assert_eq!(json, kind.name());
        }
        assert_eq!(JobKind::parse("nothing"), None);
    }

    #[test]
    fn parameters_are_checked_and_named() {
        let upload = "0123456789abcdef0123456789abcdef";
        let message = refusal(JobKind::DumpRepository, Scope::System, &[], "");
        assert!(message.starts_with("tenantId is required"), "{message}");
        let message = refusal(
            JobKind::DumpRepository,
            Scope::Tenant("demo"),
            &[("includeArchiveData", "yes")],
            "",
        );
        assert!(message.contains("includeArchiveData `yes`"), "{message}");
        let message = refusal(
            JobKind::RestoreFromUpload,
            Scope::Tenant("demo"),
            &[("tusFileId", upload)],
            "",
        );
        assert!(message.starts_with("databaseName is required"), "{message}");
        let message = refusal(
            JobKind::RestoreFromUpload,
            Scope::Tenant("demo"),
            &[
                ("tusFileId", upload),
                ("databaseName", "d"),
                ("tenantId", "other"),
            ],
            "",
        );
        assert!(message.contains("not the route's tenant"), "{message}");
        let restore = JobRequest::parse(
            JobKind::RestoreFromUpload,
            Scope::Tenant("octosystem"),
            &params(&[
                ("TUSFILEID", upload),
                ("databaseName", "d"),
                ("tenantId", "other"),
            ]),
            b"",
        )
        .expect("the system tenant restores any tenant");
        assert_eq!(restore.tenant_id(), "other");
        let message = refusal(
            JobKind::ImportArchiveDataFromUpload,
            Scope::Tenant("demo"),
            &[
                ("tusFileId", upload),
                ("archiveRtId", "665f1c2ab3e4d5f60718293a"),
                ("mode", "Merge"),
            ],
            "",
        );
        assert!(message.contains("InsertOnly or Upsert"), "{message}");
        let message = refusal(
            JobKind::ExportArchiveData,
            Scope::Tenant("demo"),
            &[
                ("archiveRtId", "665f1c2ab3e4d5f60718293a"),
                ("fromUtc", "soon"),
            ],
            "",
        );
        assert!(message.contains("fromUtc `soon`"), "{message}");
        let message = refusal(
            JobKind::ExportArchiveData,
            Scope::Tenant("demo"),
            &[
                ("archiveRtId", "665f1c2ab3e4d5f60718293a"),
                ("fromUtc", "2026-01-02T00:00:00Z"),
                ("toUtc", "2026-01-01T00:00:00Z"),
            ],
            "",
        );
        assert!(message.contains("before toUtc"), "{message}");
        let message = refusal(
            JobKind::ExportRuntimeModelByQuery,
            Scope::Tenant("demo"),
            &[],
            "",
        );
        assert!(message.contains("queryId"), "{message}");
        let message = refusal(
            JobKind::ExportRuntimeModelByDeepGraph,
            Scope::Tenant("demo"),
            &[],
            r#"{"originRtIds": ["665f1c2ab3e4d5f60718293a"]}"#,
        );
        assert!(message.contains("originCkTypeId is required"), "{message}");
        let message = refusal(JobKind::RunFixupScripts, Scope::Tenant("Demo"), &[], "");
        assert!(message.contains("not a tenant id"), "{message}");
    }

    #[test]
    fn each_kind_calls_its_asset_route() {
        let now = Utc::parse("2026-07-20T18:00:00Z").expect("an instant");
        let dump = JobRequest::parse(
            JobKind::DumpRepository,
            Scope::Tenant("demo"),
            &params(&[("includeArchiveData", "True")]),
            b"",
        )
        .expect("valid");
        let call = dump.call(now);
        assert_eq!(call.path, "/system/v1/tenants/demo/dump");
        assert_eq!(call.query, vec![("includeArchiveData", "true".to_owned())]);
        assert_eq!(
            call.answer,
            Answer::File {
                default_name: "demo-20260720-180000.octobak".into(),
                named_by_answer: true
            }
        );
        let import = JobRequest::parse(
            JobKind::ImportArchiveDataFromUpload,
            Scope::System,
            &params(&[
                ("tenantId", "demo"),
                ("tusFileId", "0123456789abcdef0123456789abcdef"),
                ("archiveRtId", "665f1c2ab3e4d5f60718293a"),
                ("mode", "1"),
            ]),
            b"",
        )
        .expect("valid");
        assert!(matches!(
            import,
            JobRequest::ImportArchiveDataFromUpload {
                mode: ImportMode::Upsert,
                ..
            }
        ));
        let call = import.call(now);
        assert_eq!(
            call.path,
            "/system/v1/tenants/demo/streamdata/archives/665f1c2ab3e4d5f60718293a/import"
        );
        assert!(matches!(call.body, Body::Upload(_)));
        // The stored form reads back as it was.
        let stored = serde_json::to_string(&import).expect("serialises");
        assert!(
            stored.contains(r#""kind":"import-archive-data-from-upload""#),
            "{stored}"
        );
        assert_eq!(
            serde_json::from_str::<JobRequest>(&stored).expect("parses"),
            import
        );
    }
}
