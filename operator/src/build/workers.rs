//! Per worker family (distributed topology): a Deployment, a headless Service (the gateway
//! reaches every replica), a HorizontalPodAutoscaler on CPU when asked, and a
//! PodDisruptionBudget.

use k8s_openapi::api::apps::v1::{Deployment, DeploymentSpec};
use k8s_openapi::api::autoscaling::v2::{
    CrossVersionObjectReference, HorizontalPodAutoscaler, HorizontalPodAutoscalerSpec, MetricSpec,
    MetricTarget, ResourceMetricSource,
};
use k8s_openapi::api::core::v1::{PodSpec, PodTemplateSpec, Service, ServicePort, ServiceSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::pod::{
    container, disruption_budget, env, grpc_probe, pod_security, port, scrape_annotations,
};
use super::{Context, Desired, WORKER_PORT, transfers};

const COMPONENT: &str = "worker";

pub(super) fn add(context: &Context<'_>, desired: &mut Desired) {
    for family in &context.resource.spec.families {
        let name = context.names.workers(family.name);
        let selector = context.selector(COMPONENT, Some(family.name));
        let mut worker_env = vec![
            env("OCTOMESH_FAMILY", family.name.as_str()),
            env("OCTOMESH_WORKER_LISTEN", format!("0.0.0.0:{WORKER_PORT}")),
            env(
                "OTEL_SERVICE_NAME",
                format!("octomesh-mcp-worker-{}", family.name.as_str()),
            ),
        ];
        // The family that takes uploads and publishes downloads reaches the gateway's store.
        let transferring = transfers::uses(family.name);
        if transferring {
            worker_env.extend(transfers::env_of(context));
        }
        let mut worker = container(
            context,
            "worker",
            vec!["worker".into()],
            worker_env,
            family.resources.clone(),
        );
        if transferring {
            worker.volume_mounts = transfers::mounts(context);
        }
        worker.ports = Some(vec![port("grpc", WORKER_PORT)]);
        worker.readiness_probe = Some(grpc_probe(WORKER_PORT, 5));
        worker.liveness_probe = Some(grpc_probe(WORKER_PORT, 10));
        desired.deployments.push(Deployment {
            metadata: context.meta(name.clone(), COMPONENT, Some(family.name)),
            spec: Some(DeploymentSpec {
                // An autoscaled pool's size belongs to its HorizontalPodAutoscaler.
                replicas: family.autoscaling.is_none().then_some(family.replicas),
                selector: LabelSelector {
                    match_labels: Some(selector.clone()),
                    match_expressions: None,
                },
                template: PodTemplateSpec {
                    metadata: Some(ObjectMeta {
                        labels: Some(context.labels(COMPONENT, Some(family.name))),
                        annotations: Some(scrape_annotations(WORKER_PORT)),
                        ..ObjectMeta::default()
                    }),
                    spec: Some(PodSpec {
                        containers: vec![worker],
                        volumes: transferring
                            .then(|| transfers::volume(context))
                            .flatten()
                            .map(|volume| vec![volume]),
                        security_context: Some(pod_security()),
                        automount_service_account_token: Some(false),
                        termination_grace_period_seconds: Some(45),
                        ..PodSpec::default()
                    }),
                },
                ..DeploymentSpec::default()
            }),
            ..Deployment::default()
        });
        desired.services.push(Service {
            metadata: context.meta(name.clone(), COMPONENT, Some(family.name)),
            spec: Some(ServiceSpec {
                cluster_ip: Some("None".into()),
                selector: Some(selector.clone()),
                ports: Some(vec![ServicePort {
                    name: Some("grpc".into()),
                    port: WORKER_PORT,
                    target_port: Some(IntOrString::String("grpc".into())),
                    protocol: Some("TCP".into()),
                    app_protocol: Some("kubernetes.io/h2c".into()),
                    ..ServicePort::default()
                }]),
                ..ServiceSpec::default()
            }),
            ..Service::default()
        });
        if let Some(scaling) = &family.autoscaling {
            desired.autoscalers.push(HorizontalPodAutoscaler {
                metadata: context.meta(name.clone(), COMPONENT, Some(family.name)),
                spec: Some(HorizontalPodAutoscalerSpec {
                    scale_target_ref: CrossVersionObjectReference {
                        api_version: Some("apps/v1".into()),
                        kind: "Deployment".into(),
                        name: name.clone(),
                    },
                    min_replicas: Some(scaling.min_replicas),
                    max_replicas: scaling.max_replicas,
                    metrics: Some(vec![MetricSpec {
                        type_: "Resource".into(),
                        resource: Some(ResourceMetricSource {
                            name: "cpu".into(),
                            target: MetricTarget {
                                type_: "Utilization".into(),
                                average_utilization: Some(scaling.target_cpu_percent),
                                ..MetricTarget::default()
                            },
                        }),
                        ..MetricSpec::default()
                    }]),
                    ..HorizontalPodAutoscalerSpec::default()
                }),
                ..HorizontalPodAutoscaler::default()
            });
        }
        let replicas = family
            .autoscaling
            .as_ref()
            .map_or(family.replicas, |scaling| scaling.min_replicas);
        if replicas > 1 {
            desired.disruption_budgets.push(disruption_budget(
                context.meta(name, COMPONENT, Some(family.name)),
                selector,
            ));
        }
    }
}
