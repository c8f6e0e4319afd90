//! Serves any [`ToolHost`] over the worker protocol, with `grpc.health.v1`.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use futures_util::{Stream, StreamExt};
use octomesh_proto::address::WorkerAddress;
use octomesh_proto::conv::error_code_to_grpc;
use octomesh_proto::v1;
use octomesh_proto::v1::tool_worker_server::{ToolWorker, ToolWorkerServer};
use octomesh_proto::{CallContext, HostError, ToolHost, meta};
use octomesh_telemetry::InSpan;
use tokio::net::{TcpListener, UnixListener};
use tonic::metadata::MetadataMap;
use tonic::{Request, Response, Status};
use tracing::Instrument as _;

/// The gRPC service name reported healthy by `grpc.health.v1`.
pub const SERVICE_NAME: &str = "octomesh.mcp.worker.v1.ToolWorker";

/// The content type of the Prometheus text exposition format.
const PROMETHEUS_TEXT: &str = "text/plain; version=0.0.4; charset=utf-8";

/// A bound worker socket: TCP, or a Unix socket for same-host gateways.
pub enum WorkerListener {
    Tcp(TcpListener),
    Unix(UnixListener),
}

impl WorkerListener {
    /// Binds `address`. A Unix socket file left by an earlier run is replaced; its directory must exist.
    pub async fn bind(address: &WorkerAddress) -> std::io::Result<WorkerListener> {
        match address {
            WorkerAddress::Tcp(address) => {
                TcpListener::bind(address).await.map(WorkerListener::Tcp)
            }
            WorkerAddress::Unix(path) => {
                match std::fs::remove_file(path) {
                    Ok(()) => {}
                    Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
                    Err(error) => return Err(error),
                }
                UnixListener::bind(path).map(WorkerListener::Unix)
            }
        }
    }

    /// Where it listens, in the form the gateway's `--worker` takes.
    pub fn address(&self) -> std::io::Result<WorkerAddress> {
        match self {
            WorkerListener::Tcp(listener) => listener.local_addr().map(WorkerAddress::Tcp),
            WorkerListener::Unix(listener) => {
                let address = listener.local_addr()?;
                let path = address
                    .as_pathname()
                    .ok_or_else(|| std::io::Error::other("the Unix socket has no path"))?;
                Ok(WorkerAddress::Unix(path.to_path_buf()))
            }
        }
    }
}

impl From<TcpListener> for WorkerListener {
    fn from(listener: TcpListener) -> WorkerListener {
        WorkerListener::Tcp(listener)
    }
}

/// Serves `host` on `listener` until `shutdown` resolves, then drains calls in flight.
pub async fn serve(
    host: Arc<dyn ToolHost>,
    listener: impl Into<WorkerListener>,
    shutdown: impl Future<Output = ()> + Send,
) -> Result<(), tonic::transport::Error> {
    let (health_reporter, health_service) = tonic_health::server::health_reporter();
    health_reporter
        .set_service_status(SERVICE_NAME, tonic_health::ServingStatus::Serving)
        .await;
    health_reporter
        .set_service_status("", tonic_health::ServingStatus::Serving)
        .await;
    let mut routes = tonic::service::Routes::new(health_service).add_service(
        ToolWorkerServer::new(WorkerService {
            host: Arc::clone(&host),
        }),
    );
    // Prometheus scrapes `/metrics` over HTTP/1.1 on the gRPC port itself.
    let grpc = std::mem::take(routes.axum_router_mut());
    *routes.axum_router_mut() = grpc.route(
        "/metrics",
        axum::routing::get(move || {
            let text = host.metrics_text().unwrap_or_default();
            async move { ([(http::header::CONTENT_TYPE, PROMETHEUS_TEXT)], text) }
        }),
    );
    let router = tonic::transport::Server::builder()
        .accept_http1(true)
        .http2_keepalive_interval(Some(Duration::from_secs(30)))
        .add_routes(routes);
    match listener.into() {
        WorkerListener::Tcp(listener) => {
            let incoming = tokio_stream::wrappers::TcpListenerStream::new(listener).map(|stream| {
                stream.inspect(|stream| {
                    // A missing TCP_NODELAY costs ~40 ms on small streamed messages.
                    let _ = stream.set_nodelay(true);
                })
            });
            router
                .serve_with_incoming_shutdown(incoming, shutdown)
                .await
        }
        WorkerListener::Unix(listener) => {
            let incoming = tokio_stream::wrappers::UnixListenerStream::new(listener);
            router
                .serve_with_incoming_shutdown(incoming, shutdown)
                .await
        }
    }
}

struct WorkerService {
    host: Arc<dyn ToolHost>,
}

type CallStream = Pin<Box<dyn Stream<Item = Result<v1::CallToolDown, Status>> + Send>>;

#[tonic::async_trait]
impl ToolWorker for WorkerService {
    type CallToolStream = CallStream;

    async fn list_tools(
        &self,
        _request: Request<v1::ListToolsRequest>,
    ) -> Result<Response<v1::ListToolsResponse>, Status> {
        self.host.list().await.map(Response::new).map_err(to_status)
    }

    async fn call_tool(
        &self,
        request: Request<v1::CallToolRequest>,
    ) -> Result<Response<Self::CallToolStream>, Status> {
        let context = call_context(request.metadata());
        let span = crate::trace::server_span("CallTool", &context);
        // The call's stream is built now, inside the span: the tool span becomes its child.
        let opening = span.in_scope(|| self.host.call(context, request.into_inner()));
        let events = opening.instrument(span.clone()).await.map_err(|error| {
            let status = to_status(error);
            crate::trace::record_status(&span, status.code());
            status
        })?;
        crate::trace::record_status(&span, tonic::Code::Ok);
        let ending = span.clone();
        let events = events.map(move |event| {
            event.map_err(|error| {
                let status = to_status(error);
                crate::trace::record_status(&ending, status.code());
                status
            })
        });
        Ok(Response::new(InSpan::new(events.boxed(), span).boxed()))
    }

    async fn answer_client(
        &self,
        request: Request<v1::ClientAnswer>,
    ) -> Result<Response<v1::ClientAnswerAck>, Status> {
        let delivered = self
            .host
            .answer(request.into_inner())
            .await
            .map_err(to_status)?;
        Ok(Response::new(v1::ClientAnswerAck { delivered }))
    }

    async fn read_resource(
        &self,
        request: Request<v1::ReadResourceRequest>,
    ) -> Result<Response<v1::ReadResourceResponse>, Status> {
        let context = call_context(request.metadata());
        self.host
            .read_resource(context, request.into_inner())
            .await
            .map(Response::new)
            .map_err(to_status)
    }

    async fn get_prompt(
        &self,
        request: Request<v1::GetPromptRequest>,
    ) -> Result<Response<v1::GetPromptResponse>, Status> {
        let context = call_context(request.metadata());
        self.host
            .get_prompt(context, request.into_inner())
            .await
            .map(Response::new)
            .map_err(to_status)
    }
}

fn to_status(error: HostError) -> Status {
    match error {
        HostError::Status { code, message } => Status::new(error_code_to_grpc(code), message),
        HostError::Unavailable(message) | HostError::Broken(message) => {
            Status::unavailable(message)
        }
    }
}

/// The typed per-call context from gRPC metadata.
fn call_context(metadata: &MetadataMap) -> CallContext {
    let text = |key: &str| {
        metadata
            .get(key)
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned)
    };
    CallContext {
        tenant: text(meta::TENANT),
        principal: text(meta::PRINCIPAL),
        access_token: text(meta::ACCESS_TOKEN),
        timeout: text("grpc-timeout").and_then(|value| parse_grpc_timeout(&value)),
        request_id: text(meta::REQUEST_ID),
        traceparent: text(meta::TRACEPARENT),
        tracestate: text(meta::TRACESTATE),
        // Bounded: a URL base, not a payload.
        public_base: text(meta::PUBLIC_BASE).filter(|base| base.len() <= 2048),
    }
}

/// Parses the `grpc-timeout` header: up to 8 digits and a unit (H, M, S, m, u, n).
fn parse_grpc_timeout(value: &str) -> Option<Duration> {
    if value.len() < 2 || value.len() > 9 {
        return None;
    }
    let (digits, unit) = value.split_at(value.len() - 1);
    let amount: u64 = digits.parse().ok()?;
    Some(match unit {
        "H" => Duration::from_secs(amount.checked_mul(3600)?),
        "M" => Duration::from_secs(amount.checked_mul(60)?),
        "S" => Duration::from_secs(amount),
        "m" => Duration::from_millis(amount),
        "u" => Duration::from_micros(amount),
        "n" => Duration::from_nanos(amount),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grpc_timeouts_parse_in_every_unit() {
        assert_eq!(parse_grpc_timeout("2S"), Some(Duration::from_secs(2)));
        assert_eq!(
            parse_grpc_timeout("1500m"),
            Some(Duration::from_millis(1500))
        );
        assert_eq!(parse_grpc_timeout("3M"), Some(Duration::from_secs(180)));
        assert_eq!(parse_grpc_timeout("1H"), Some(Duration::from_secs(3600)));
        assert_eq!(parse_grpc_timeout("7u"), Some(Duration::from_micros(7)));
        assert_eq!(parse_grpc_timeout("9n"), Some(Duration::from_nanos(9)));
        assert_eq!(parse_grpc_timeout("S"), None);
        assert_eq!(parse_grpc_timeout("12x"), None);
        assert_eq!(parse_grpc_timeout("123456789S"), None);
    }
}
