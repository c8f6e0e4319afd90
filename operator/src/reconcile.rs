//! The reconcile loop — the only place the operator does I/O. For one `McpDeployment`: build the
//! desired objects; refuse a spec that cannot run with a `Degraded` status; make sure the
//! session-sealing Secret and, with file transfer, the file-transfer key's exist (created once,
//! random); server-side apply every object; delete the environment's objects that are no longer
//! desired (a topology switch, a family removed, an Ingress dropped); then report `Ready`, `Progressing` and `Degraded`, `observedGeneration`, the
//! endpoint and ready replicas per component. Failures back off exponentially (5 s to 5 min).

use std::collections::{BTreeMap, HashMap};
use std::fmt::Debug;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine as _;
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::Secret;
use k8s_openapi::api::networking::v1::Ingress;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, ObjectMeta, Time};
use kube::api::{Api, DeleteParams, ListParams, Patch, PatchParams, PostParams};
use kube::runtime::controller::Action;
use kube::{Client, Resource, ResourceExt};
use octomesh_crds::{McpDeployment, McpDeploymentStatus};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::build::{self, BuildError, Desired};

/// The field manager of everything the operator applies.
pub const MANAGER: &str = "octomesh-mcp-operator";

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("the Kubernetes API refused or failed: {0}")]
    Kube(#[from] kube::Error),
    #[error("the McpDeployment has no {0}")]
    Missing(&'static str),
}

/// What reconciles share: the client, and failures per object (for the backoff).
pub struct Context {
    pub client: Client,
    failures: Mutex<HashMap<String, u32>>,
}

impl Context {
    pub fn new(client: Client) -> Context {
        Context {
            client,
            failures: Mutex::new(HashMap::new()),
        }
    }

    fn failures(&self) -> std::sync::MutexGuard<'_, HashMap<String, u32>> {
        self.failures.lock().expect("never poisoned")
    }
}

fn key(resource: &McpDeployment) -> String {
    format!(
        "{}/{}",
        resource.namespace().unwrap_or_default(),
        resource.name_any()
    )
}

/// The delay before retrying after the `failures`-th failure in a row.
pub fn backoff(failures: u32) -> Duration {
    let seconds = 5u64.saturating_mul(1 << failures.saturating_sub(1).min(6));
    Duration::from_secs(seconds.min(300))
}

/// After an error: retry later, later each time.
pub fn error_policy(resource: Arc<McpDeployment>, error: &Error, context: Arc<Context>) -> Action {
    let failures = {
        let mut failures = context.failures();
        let count = failures.entry(key(&resource)).or_insert(0);
        *count += 1;
        *count
    };
    let delay = backoff(failures);
    tracing::warn!(mcpdeployment = %key(&resource), %error, failures, retry_in_s = delay.as_secs(), "Reconcile failed.");
    Action::requeue(delay)
}

fn now() -> Time {
    let seconds = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs() as i64);
    Time(k8s_openapi::jiff::Timestamp::from_second(seconds).unwrap_or_default())
}

/// A condition, keeping its transition time when its status did not change.
fn condition(
    previous: &[Condition],
    kind: &str,
    status: bool,
    reason: &str,
    message: String,
    generation: Option<i64>,
) -> Condition {
    let status = if status { "True" } else { "False" }.to_owned();
    let last_transition_time = previous
        .iter()
        .find(|condition| condition.type_ == kind && condition.status == status)
        .map_or_else(now, |condition| condition.last_transition_time.clone());
    Condition {
        type_: kind.into(),
        status,
        reason: reason.into(),
        message,
        observed_generation: generation,
        last_transition_time,
    }
}

async fn write_status(
    api: &Api<McpDeployment>,
    resource: &McpDeployment,
    status: McpDeploymentStatus,
) -> Result<(), Error> {
    let patch = serde_json::json!({
        "apiVersion": McpDeployment::api_version(&()),
        "kind": McpDeployment::kind(&()),
        "status": status,
    });
    api.patch_status(
        &resource.name_any(),
        &PatchParams::apply(MANAGER).force(),
        &Patch::Apply(&patch),
    )
    .await?;
    Ok(())
}

/// Creates the key Secret `name` once (the session-sealing key, the file-transfer key): 32 random
/// bytes, base64, under `key`, owned by the McpDeployment. An existing one is never changed.
async fn ensure_key(
    client: &Client,
    namespace: &str,
    resource: &McpDeployment,
    name: &str,
) -> Result<(), Error> {
    let secrets: Api<Secret> = Api::namespaced(client.clone(), namespace);
    if secrets.get_opt(name).await?.is_some() {
        return Ok(());
    }
    let mut key = [0u8; 32];
    getrandom::getrandom(&mut key).expect("the system has randomness");
    let secret = Secret {
        metadata: ObjectMeta {
            name: Some(name.to_owned()),
            namespace: Some(namespace.into()),
            owner_references: resource.controller_owner_ref(&()).map(|owner| vec![owner]),
            labels: Some(BTreeMap::from([(
                "app.kubernetes.io/managed-by".to_owned(),
                MANAGER.to_owned(),
            )])),
            ..ObjectMeta::default()
        },
        string_data: Some(BTreeMap::from([(
            "key".to_owned(),
            base64::engine::general_purpose::STANDARD.encode(key),
        )])),
        type_: Some("Opaque".into()),
        ..Secret::default()
    };
    match secrets.create(&PostParams::default(), &secret).await {
        Ok(_) => Ok(()),
        // Another replica (or a previous attempt) made it meanwhile.
        Err(kube::Error::Api(status)) if status.code == 409 => Ok(()),
        Err(error) => Err(error.into()),
    }
}

async fn apply_all<K>(client: &Client, namespace: &str, objects: &[K]) -> Result<(), Error>
where
    K: Resource<Scope = k8s_openapi::NamespaceResourceScope, DynamicType = ()>
        + Clone
        + Debug
        + Serialize
        + DeserializeOwned,
{
    let api: Api<K> = Api::namespaced(client.clone(), namespace);
    let params = PatchParams::apply(MANAGER).force();
    for object in objects {
        api.patch(&object.name_any(), &params, &Patch::Apply(object))
            .await?;
    }
    Ok(())
}

/// Deletes this environment's objects of kind `K` that are not in `keep` (and are ours: same
/// owner uid).
async fn prune<K>(
    client: &Client,
    namespace: &str,
    resource: &McpDeployment,
    keep: &[K],
) -> Result<(), Error>
where
    K: Resource<Scope = k8s_openapi::NamespaceResourceScope, DynamicType = ()>
        + Clone
        + Debug
        + DeserializeOwned,
{
    let api: Api<K> = Api::namespaced(client.clone(), namespace);
    let selector = format!(
        "app.kubernetes.io/instance={},app.kubernetes.io/managed-by={MANAGER}",
        resource.name_any()
    );
    let uid = resource.uid();
    for existing in api.list(&ListParams::default().labels(&selector)).await? {
        let ours = existing
            .owner_references()
            .iter()
            .any(|owner| Some(&owner.uid) == uid.as_ref());
        let wanted = keep
            .iter()
            .any(|object| object.name_any() == existing.name_any());
        if ours && !wanted {
            api.delete(&existing.name_any(), &DeleteParams::background())
                .await?;
        }
    }
    Ok(())
}

/// Ready replicas per component, and whether every component is ready.
async fn readiness(
    client: &Client,
    namespace: &str,
    desired: &Desired,
) -> Result<(BTreeMap<String, i32>, bool), Error> {
    let api: Api<Deployment> = Api::namespaced(client.clone(), namespace);
    let mut ready = BTreeMap::new();
    let mut all = true;
    for deployment in &desired.deployments {
        let labels = deployment.labels();
        let component = labels
            .get("mcp.octomesh.io/family")
            .or_else(|| labels.get("app.kubernetes.io/component"))
            .cloned()
            .unwrap_or_default();
        let status = api
            .get_opt(&deployment.name_any())
            .await?
            .and_then(|current| current.status);
        let replicas = status
            .as_ref()
            .and_then(|status| status.replicas)
            .unwrap_or(0);
        let available = status
            .as_ref()
            .and_then(|status| status.ready_replicas)
            .unwrap_or(0);
        let wanted = deployment
            .spec
            .as_ref()
            .and_then(|spec| spec.replicas)
            .unwrap_or(replicas.max(1));
        all &= available >= wanted.max(1) && available >= replicas;
        ready.insert(component, available);
    }
    Ok((ready, all))
}

/// Brings one environment to its desired state.
pub async fn reconcile(
    resource: Arc<McpDeployment>,
    context: Arc<Context>,
) -> Result<Action, Error> {
    let client = &context.client;
    let namespace = resource.namespace().ok_or(Error::Missing("namespace"))?;
    let statuses: Api<McpDeployment> = Api::namespaced(client.clone(), &namespace);
    let generation = resource.metadata.generation;
    let previous = resource
        .status
        .as_ref()
        .map(|status| status.conditions.clone())
        .unwrap_or_default();
    let endpoint = format!("{}/mcp", resource.spec.public_url.trim_end_matches('/'));
    let desired = match build::desired(&resource) {
        Ok(desired) => desired,
        Err(
            problem @ (BuildError::Autoscaling { .. }
            | BuildError::DuplicateFamily(_)
            | BuildError::FileTransfer(_)),
        ) => {
            let message = problem.to_string();
            let status = McpDeploymentStatus {
                conditions: vec![
                    condition(
                        &previous,
                        "Ready",
                        false,
                        "InvalidSpec",
                        message.clone(),
                        generation,
                    ),
                    condition(
                        &previous,
                        "Progressing",
                        false,
                        "InvalidSpec",
                        message.clone(),
                        generation,
                    ),
                    condition(
                        &previous,
                        "Degraded",
                        true,
                        "InvalidSpec",
                        message,
                        generation,
                    ),
                ],
                observed_generation: generation,
                endpoint: Some(endpoint),
                ready_replicas: BTreeMap::new(),
            };
            write_status(&statuses, &resource, status).await?;
            // Nothing to retry until the spec changes.
            return Ok(Action::await_change());
        }
        Err(BuildError::Missing(what)) => return Err(Error::Missing(what)),
    };
    for name in &desired.generated_keys {
        ensure_key(client, &namespace, &resource, name).await?;
    }
    apply_all(
        client,
        &namespace,
        std::slice::from_ref(&desired.config_map),
    )
    .await?;
    apply_all(client, &namespace, &desired.services).await?;
    apply_all(client, &namespace, &desired.deployments).await?;
    let ingress: Vec<Ingress> = desired.ingress.iter().cloned().collect();
    apply_all(client, &namespace, &ingress).await?;
    apply_all(client, &namespace, &desired.autoscalers).await?;
    apply_all(client, &namespace, &desired.disruption_budgets).await?;
    prune(client, &namespace, &resource, &desired.deployments).await?;
    prune(client, &namespace, &resource, &desired.services).await?;
    prune(client, &namespace, &resource, &ingress).await?;
    prune(client, &namespace, &resource, &desired.autoscalers).await?;
    prune(client, &namespace, &resource, &desired.disruption_budgets).await?;
    let (ready_replicas, ready) = readiness(client, &namespace, &desired).await?;
    let status = McpDeploymentStatus {
        conditions: vec![
            condition(
                &previous,
                "Ready",
                ready,
                if ready {
                    "AllReplicasReady"
                } else {
                    "ReplicasNotReady"
                },
                format!("ready replicas: {ready_replicas:?}"),
                generation,
            ),
            condition(
                &previous,
                "Progressing",
                !ready,
                if ready { "Stable" } else { "RollingOut" },
                String::new(),
                generation,
            ),
            condition(
                &previous,
                "Degraded",
                false,
                "Reconciled",
                String::new(),
                generation,
            ),
        ],
        observed_generation: generation,
        endpoint: Some(endpoint),
        ready_replicas,
    };
    write_status(&statuses, &resource, status).await?;
    context.failures().remove(&key(&resource));
    // Pods come and go without touching the McpDeployment: look again until all are ready.
    Ok(Action::requeue(Duration::from_secs(if ready {
        300
    } else {
        15
    })))
}

#[cfg(test)]
mod tests;
