//! The gateway: a Deployment (with the workers as sidecars in that topology), a Service, an
//! optional Ingress, and a PodDisruptionBudget when it has more than one replica.

use k8s_openapi::api::apps::v1::{Deployment, DeploymentSpec};
use k8s_openapi::api::core::v1::{PodSpec, PodTemplateSpec, Service, ServicePort, ServiceSpec};
use k8s_openapi::api::networking::v1::{
    HTTPIngressPath, HTTPIngressRuleValue, Ingress, IngressBackend, IngressRule,
    IngressServiceBackend, IngressSpec, IngressTLS, ServiceBackendPort,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use octomesh_crds::mcpdeployment::{ServiceType, Topology};

use super::pod::{
    container, disruption_budget, env, grpc_probe, http_probe, pod_security, port,
    scrape_annotations, secret_env,
};
use super::{Context, Desired, GATEWAY_PORT, WORKER_PORT, transfers};

const COMPONENT: &str = "gateway";

pub(super) fn add(context: &Context<'_>, desired: &mut Desired) {
    let spec = &context.resource.spec;
    let name = context.names.gateway();
    let mut gateway_env = vec![
        env("OCTOMESH_LISTEN", format!("0.0.0.0:{GATEWAY_PORT}")),
        env("OTEL_SERVICE_NAME", "octomesh-mcp-gateway"),
        secret_env(
            "OCTOMESH_SESSION_KEY",
            &context.names.session_key(),
            "key",
            false,
        ),
    ];
    if let Some(store) = &spec.token_store {
        gateway_env.push(secret_env(
            "OCTOMESH_REDIS_URL",
            &store.redis_url_secret.name,
            &store.redis_url_secret.key,
            false,
        ));
    }
    gateway_env.extend(transfers::env_of(context));
    let mut gateway = container(
        context,
        COMPONENT,
        vec!["gateway".into()],
        gateway_env,
        spec.gateway.resources.clone(),
    );
    gateway.ports = Some(vec![port("http", GATEWAY_PORT)]);
    gateway.readiness_probe = Some(http_probe("/readyz", "http", 5));
    gateway.liveness_probe = Some(http_probe("/healthz", "http", 10));
    gateway.volume_mounts = transfers::mounts(context);
    let mut containers = vec![gateway];
    if spec.topology == Topology::Sidecar {
        for (idx, family) in spec.families.iter().enumerate() {
            let listen = WORKER_PORT + idx as i32;
            let mut worker_env = vec![
                env("OCTOMESH_FAMILY", family.name.as_str()),
                env("OCTOMESH_WORKER_LISTEN", format!("127.0.0.1:{listen}")),
                env(
                    "OTEL_SERVICE_NAME",
                    format!("octomesh-mcp-worker-{}", family.name.as_str()),
                ),
            ];
            let transferring = transfers::uses(family.name);
            if transferring {
                worker_env.extend(transfers::env_of(context));
            }
            let mut worker = container(
                context,
                &format!("{}-worker", family.name.as_str()),
                vec!["worker".into()],
                worker_env,
                family.resources.clone(),
            );
            if transferring {
                worker.volume_mounts = transfers::mounts(context);
            }
            worker.readiness_probe = Some(grpc_probe(listen, 5));
            containers.push(worker);
        }
    }
    let selector = context.selector(COMPONENT, None);
    desired.deployments.push(Deployment {
        metadata: context.meta(name.clone(), COMPONENT, None),
        spec: Some(DeploymentSpec {
            replicas: Some(spec.gateway.replicas),
            selector: LabelSelector {
                match_labels: Some(selector.clone()),
                match_expressions: None,
            },
            template: PodTemplateSpec {
                metadata: Some(ObjectMeta {
                    labels: Some(context.labels(COMPONENT, None)),
                    annotations: Some(scrape_annotations(GATEWAY_PORT)),
                    ..ObjectMeta::default()
                }),
                spec: Some(PodSpec {
                    containers,
                    security_context: Some(pod_security()),
                    automount_service_account_token: Some(false),
                    termination_grace_period_seconds: Some(45),
                    volumes: transfers::volume(context).map(|volume| vec![volume]),
                    ..PodSpec::default()
                }),
            },
            ..DeploymentSpec::default()
        }),
        ..Deployment::default()
    });
    desired.services.push(Service {
        metadata: context.meta(name.clone(), COMPONENT, None),
        spec: Some(ServiceSpec {
            type_: Some(
                match spec.gateway.service_type {
                    ServiceType::ClusterIP => "ClusterIP",
                    ServiceType::NodePort => "NodePort",
                    ServiceType::LoadBalancer => "LoadBalancer",
                }
                .into(),
            ),
            selector: Some(selector.clone()),
            ports: Some(vec![ServicePort {
                name: Some("http".into()),
                port: 80,
                target_port: Some(IntOrString::String("http".into())),
                protocol: Some("TCP".into()),
                ..ServicePort::default()
            }]),
            ..ServiceSpec::default()
        }),
        ..Service::default()
    });
    if let Some(ingress) = &spec.gateway.ingress {
        desired.ingress = Some(Ingress {
            metadata: context.meta(name.clone(), COMPONENT, None),
            spec: Some(IngressSpec {
                ingress_class_name: ingress.class_name.clone(),
                tls: ingress.tls_secret_name.as_ref().map(|secret| {
                    vec![IngressTLS {
                        hosts: Some(vec![ingress.host.clone()]),
                        secret_name: Some(secret.clone()),
                    }]
                }),
                rules: Some(vec![IngressRule {
                    host: Some(ingress.host.clone()),
                    http: Some(HTTPIngressRuleValue {
                        paths: vec![HTTPIngressPath {
                            path: Some("/".into()),
                            path_type: "Prefix".into(),
                            backend: IngressBackend {
                                service: Some(IngressServiceBackend {
                                    name: name.clone(),
                                    port: Some(ServiceBackendPort {
                                        name: Some("http".into()),
                                        number: None,
                                    }),
                                }),
                                resource: None,
                            },
                        }],
                    }),
                }]),
                ..IngressSpec::default()
            }),
            ..Ingress::default()
        });
    }
    if spec.gateway.replicas > 1 {
        desired.disruption_budgets.push(disruption_budget(
            context.meta(name, COMPONENT, None),
            selector,
        ));
    }
}
