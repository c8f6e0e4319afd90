//! Pure builders: one `McpDeployment` in, the objects of its environment out — a ConfigMap (the
//! settings every role reads as environment variables), the gateway Deployment, Service, optional
//! Ingress and PodDisruptionBudget, and per worker family a Deployment, a headless Service, an
//! optional HorizontalPodAutoscaler and a PodDisruptionBudget (or, in the sidecar topology, the
//! workers as containers of the gateway pod); the gateway and the `platform-admin` workers share
//! the file-transfer store and key (`transfers.rs`). Every object carries the same labels and a
//! controller owner reference to the McpDeployment, so that deleting it collects them.

mod config;
mod gateway;
mod pod;
mod transfers;
mod workers;

use std::collections::BTreeMap;

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscaler;
use k8s_openapi::api::core::v1::{ConfigMap, Service};
use k8s_openapi::api::networking::v1::Ingress;
use k8s_openapi::api::policy::v1::PodDisruptionBudget;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, OwnerReference};
use kube::Resource;
use octomesh_crds::McpDeployment;
use octomesh_crds::mcpdeployment::{FamilyName, Topology};

/// Why an environment cannot be built (the operator reports it as `Degraded`).
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum BuildError {
    #[error("the McpDeployment has no {0} yet (it is set by the API server)")]
    Missing(&'static str),
    #[error("family `{family}`: autoscaling minReplicas {min} exceeds maxReplicas {max}")]
    Autoscaling {
        family: &'static str,
        min: i32,
        max: i32,
    },
    #[error("family `{0}` is listed twice")]
    DuplicateFamily(&'static str),
    #[error("{0}")]
    FileTransfer(&'static str),
}

/// Everything one environment consists of.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Desired {
    pub config_map: ConfigMap,
    pub deployments: Vec<Deployment>,
    pub services: Vec<Service>,
    pub ingress: Option<Ingress>,
    pub autoscalers: Vec<HorizontalPodAutoscaler>,
    pub disruption_budgets: Vec<PodDisruptionBudget>,
    /// The Secrets of a random key (32 bytes, base64, under `key`) the pods read and the operator
    /// creates once: the session key, and the file-transfer key unless the spec names its own.
    pub generated_keys: Vec<String>,
}

impl Desired {
    /// Every object as a YAML stream (ConfigMap, Services, Deployments, …), for review and for
    /// schema validation.
    pub fn to_yaml(&self) -> String {
        let mut out = String::new();
        let mut push = |object: serde_json::Value| {
            out.push_str("---\n");
            out.push_str(&serde_yaml::to_string(&object).expect("objects serialise"));
        };
        let typed = |object: &dyn erased::Typed| object.value();
        push(typed(&self.config_map));
        self.services.iter().for_each(|object| push(typed(object)));
        self.deployments
            .iter()
            .for_each(|object| push(typed(object)));
        if let Some(ingress) = &self.ingress {
            push(typed(ingress));
        }
        self.autoscalers
            .iter()
            .for_each(|object| push(typed(object)));
        self.disruption_budgets
            .iter()
            .for_each(|object| push(typed(object)));
        out
    }
}

/// Objects with their `apiVersion` and `kind` filled in, as JSON.
mod erased {
    use k8s_openapi::Resource;
    use serde::Serialize;

    pub(super) trait Typed {
        fn value(&self) -> serde_json::Value;
    }

    impl<T: Resource + Serialize> Typed for T {
        fn value(&self) -> serde_json::Value {
            let mut value = serde_json::to_value(self).expect("objects serialise");
            value["apiVersion"] = T::API_VERSION.into();
            value["kind"] = T::KIND.into();
            value
        }
    }
}

/// Names of an environment's objects.
pub(crate) struct Names<'a> {
    pub(crate) environment: &'a str,
}

impl Names<'_> {
    pub(crate) fn config(&self) -> String {
        format!("{}-config", self.environment)
    }
    pub(crate) fn gateway(&self) -> String {
        format!("{}-gateway", self.environment)
    }
    pub(crate) fn workers(&self, family: FamilyName) -> String {
        format!("{}-{}-workers", self.environment, family.as_str())
    }
    /// The Secret holding the session-sealing key (created once by the operator).
    pub(crate) fn session_key(&self) -> String {
        format!("{}-session-key", self.environment)
    }
    /// The Secret holding the file-transfer key, unless the spec names one (created once by the
    /// operator; the gateway and the platform-admin workers read it).
    pub(crate) fn file_transfer_key(&self) -> String {
        format!("{}-file-transfer-key", self.environment)
    }
}

/// The gRPC port of a worker (distributed) and the first of the sidecars' ports.
pub(crate) const WORKER_PORT: i32 = 50051;
/// The gateway's HTTP port.
pub(crate) const GATEWAY_PORT: i32 = 8080;

/// What every builder needs.
pub(crate) struct Context<'a> {
    pub(crate) resource: &'a McpDeployment,
    pub(crate) names: Names<'a>,
    pub(crate) namespace: String,
    pub(crate) owner: OwnerReference,
}

impl Context<'_> {
    pub(crate) fn labels(
        &self,
        component: &str,
        family: Option<FamilyName>,
    ) -> BTreeMap<String, String> {
        let mut labels = self.selector(component, family);
        labels.insert("app.kubernetes.io/part-of".into(), "octomesh".into());
        labels.insert(
            "app.kubernetes.io/managed-by".into(),
            "octomesh-mcp-operator".into(),
        );
        labels.insert(
            "app.kubernetes.io/version".into(),
            self.resource.spec.image.tag.clone(),
        );
        labels
    }

    /// The labels that select a component's pods (stable across upgrades).
    pub(crate) fn selector(
        &self,
        component: &str,
        family: Option<FamilyName>,
    ) -> BTreeMap<String, String> {
        let mut labels = BTreeMap::from([
            (
                "app.kubernetes.io/name".to_owned(),
                "octomesh-mcp".to_owned(),
            ),
            (
                "app.kubernetes.io/instance".to_owned(),
                self.names.environment.to_owned(),
            ),
            (
                "app.kubernetes.io/component".to_owned(),
                component.to_owned(),
            ),
        ]);
        if let Some(family) = family {
            labels.insert("mcp.octomesh.io/family".into(), family.as_str().into());
        }
        labels
    }

    pub(crate) fn meta(
        &self,
        name: String,
        component: &str,
        family: Option<FamilyName>,
    ) -> ObjectMeta {
        ObjectMeta {
            name: Some(name),
            namespace: Some(self.namespace.clone()),
            labels: Some(self.labels(component, family)),
            owner_references: Some(vec![self.owner.clone()]),
            ..ObjectMeta::default()
        }
    }
}

/// The objects of `resource`'s environment.
pub fn desired(resource: &McpDeployment) -> Result<Desired, BuildError> {
    let environment = resource
        .metadata
        .name
        .as_deref()
        .ok_or(BuildError::Missing("name"))?;
    let namespace = resource
        .metadata
        .namespace
        .clone()
        .ok_or(BuildError::Missing("namespace"))?;
    let owner = resource
        .controller_owner_ref(&())
        .ok_or(BuildError::Missing("uid"))?;
    let mut seen = Vec::new();
    for family in &resource.spec.families {
        if seen.contains(&family.name) {
            return Err(BuildError::DuplicateFamily(family.name.as_str()));
        }
        seen.push(family.name);
        if let Some(scaling) = &family.autoscaling
            && scaling.min_replicas > scaling.max_replicas
        {
            return Err(BuildError::Autoscaling {
                family: family.name.as_str(),
                min: scaling.min_replicas,
                max: scaling.max_replicas,
            });
        }
    }
    transfers::check(&resource.spec)?;
    let context = Context {
        resource,
        names: Names { environment },
        namespace,
        owner,
    };
    let mut desired = Desired {
        config_map: config::config_map(&context),
        generated_keys: std::iter::once(context.names.session_key())
            .chain(transfers::generated_key(&context))
            .collect(),
        ..Desired::default()
    };
    gateway::add(&context, &mut desired);
    if resource.spec.topology == Topology::Distributed {
        workers::add(&context, &mut desired);
    }
    Ok(desired)
}

#[cfg(test)]
mod tests;
