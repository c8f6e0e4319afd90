//! A remote worker reached over gRPC, as a [`ToolHost`].

use std::time::Duration;

use futures_util::future::BoxFuture;
use futures_util::{FutureExt, StreamExt};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use octomesh_proto::address::WorkerAddress;
use std::sync::Arc;

use crate::workers::connector::WorkerConnector;
use hyper_util::rt::{TokioExecutor, TokioTimer};
use octomesh_proto::conv::grpc_to_error_code;
use octomesh_proto::v1;
use octomesh_proto::v1::tool_worker_client::ToolWorkerClient;
use octomesh_proto::{BoxCallStream, CallContext, HostError, ToolHost, meta};
use octomesh_telemetry::KeyValue;
use tonic::metadata::{MetadataMap, MetadataValue};
use tracing::Instrument as _;

/// HTTP/2 (prior knowledge) to workers. hyper's client multiplexes calls on one connection per
/// worker and reconnects after failures; unlike tonic's `Channel` it puts no queue and task
/// between a call and the connection, which costs a hop on every call.
type HttpClient = Client<WorkerConnector, tonic::body::Body>;

/// One worker endpoint, e.g. `http://10.0.0.7:50051`.
#[derive(Clone)]
pub(crate) struct GrpcHost {
    url: String,
    origin: http::Uri,
    http: HttpClient,
}

impl GrpcHost {
    /// A lazily connected client of `url` (`http://HOST:PORT` or `unix:/PATH`); connecting happens
    /// on first use and after failures.
    pub(crate) fn new(url: &str) -> Result<GrpcHost, String> {
        let (origin, connector) = if url.starts_with("unix:") {
            let WorkerAddress::Unix(path) = WorkerAddress::parse(url)? else {
                unreachable!("a unix: address parses as a Unix socket")
            };
            // Any authority will do: the connector ignores it.
            let origin = http::Uri::from_static("http://worker.local");
            (origin, WorkerConnector::Unix(Arc::from(path.as_path())))
        } else {
            let origin: http::Uri = url
                .parse()
                .map_err(|error| format!("`{url}` is not a valid worker URL: {error}"))?;
            if origin.scheme_str() != Some("http") || origin.authority().is_none() {
                return Err(format!(
                    "`{url}` is not a worker URL: use http://HOST:PORT or unix:/PATH (workers speak gRPC over h2c)"
                ));
            }
            let mut connector = HttpConnector::new();
            connector.set_nodelay(true);
            connector.set_connect_timeout(Some(Duration::from_secs(2)));
            (origin, WorkerConnector::Tcp(connector))
        };
        let http = Client::builder(TokioExecutor::new())
            .http2_only(true)
            .timer(TokioTimer::new())
            .http2_keep_alive_interval(Duration::from_secs(30))
            .http2_keep_alive_while_idle(true)
            .build(connector);
        Ok(GrpcHost {
            url: url.to_owned(),
            origin,
            http,
        })
    }

    pub(crate) fn url(&self) -> &str {
        &self.url
    }

    fn client(&self) -> ToolWorkerClient<HttpClient> {
        ToolWorkerClient::with_origin(self.http.clone(), self.origin.clone())
            .max_decoding_message_size(64 * 1024 * 1024)
    }
}

fn with_context<T>(message: T, context: &CallContext) -> tonic::Request<T> {
    let mut request = tonic::Request::new(message);
    write_metadata(request.metadata_mut(), context);
    if let Some(timeout) = context.timeout {
        request.set_timeout(timeout);
    }
    request
}

fn write_metadata(metadata: &mut MetadataMap, context: &CallContext) {
    let mut put = |key: &'static str, value: &Option<String>| {
        if let Some(value) = value
            && let Ok(value) = MetadataValue::try_from(value.as_str())
        {
            metadata.insert(key, value);
        }
    };
    put(meta::TENANT, &context.tenant);
    put(meta::PRINCIPAL, &context.principal);
    put(meta::ACCESS_TOKEN, &context.access_token);
    put(meta::REQUEST_ID, &context.request_id);
    put(meta::TRACEPARENT, &context.traceparent);
    put(meta::TRACESTATE, &context.tracestate);
    put(meta::PUBLIC_BASE, &context.public_base);
}

/// A status on the opening of a call: the worker was not reached, or answered with an error.
fn opening_error(url: &str, status: tonic::Status) -> HostError {
    match status.code() {
        tonic::Code::Unavailable | tonic::Code::Unknown => HostError::Unavailable(format!(
            "worker {url} is unreachable ({})",
            status.message()
        )),
        code => HostError::Status {
            code: grpc_to_error_code(code),
            message: status.message().to_owned(),
        },
    }
}

impl ToolHost for GrpcHost {
    fn list(&self) -> BoxFuture<'_, Result<v1::ListToolsResponse, HostError>> {
        async move {
            let mut request = tonic::Request::new(v1::ListToolsRequest {});
            request.set_timeout(Duration::from_secs(5));
            self.client()
                .list_tools(request)
                .await
                .map(tonic::Response::into_inner)
                .map_err(|status| opening_error(&self.url, status))
        }
        .boxed()
    }

    fn call(
        &self,
        context: CallContext,
        request: v1::CallToolRequest,
    ) -> BoxFuture<'_, Result<BoxCallStream, HostError>> {
        let span = client_span("CallTool", &self.url);
        let mut context = context;
        if let Some(parent) = octomesh_telemetry::trace_parent(&span) {
            context.traceparent = Some(parent.traceparent);
            context.tracestate = parent.tracestate;
        }
        let request = with_context(request, &context);
        let mut client = self.client();
        let url = self.url.clone();
        let opening = span.clone();
        let entered = span.clone();
        async move {
            let response = client.call_tool(request).await.map_err(|status| {
                record_status(&opening, status.code());
                opening_error(&url, status)
            })?;
            record_status(&opening, tonic::Code::Ok);
            let events = response.into_inner().map(move |event| {
                event.map_err(|status| {
                    record_status(&span, status.code());
                    broken_error(&url, status)
                })
            });
            Ok(events.boxed())
        }
        .instrument(entered)
        .boxed()
    }

    fn answer(&self, answer: v1::ClientAnswer) -> BoxFuture<'_, Result<bool, HostError>> {
        async move {
            self.client()
                .answer_client(tonic::Request::new(answer))
                .await
                .map(|response| response.into_inner().delivered)
                .map_err(|status| opening_error(&self.url, status))
        }
        .boxed()
    }

    fn read_resource(
        &self,
        context: CallContext,
        request: v1::ReadResourceRequest,
    ) -> BoxFuture<'_, Result<v1::ReadResourceResponse, HostError>> {
        async move {
            self.client()
                .read_resource(with_context(request, &context))
                .await
                .map(tonic::Response::into_inner)
                .map_err(|status| opening_error(&self.url, status))
        }
        .boxed()
    }

    fn get_prompt(
        &self,
        context: CallContext,
        request: v1::GetPromptRequest,
    ) -> BoxFuture<'_, Result<v1::GetPromptResponse, HostError>> {
        async move {
            self.client()
                .get_prompt(with_context(request, &context))
                .await
                .map(tonic::Response::into_inner)
                .map_err(|status| opening_error(&self.url, status))
        }
        .boxed()
    }
}

/// The client span of one gRPC call to a worker; the call's trace context travels in its metadata.
fn client_span(method: &'static str, url: &str) -> tracing::Span {
    let span = tracing::info_span!(
        "grpc.client",
        otel.name = %format_args!("{SERVICE}/{method}"),
        otel.kind = "client",
    );
    octomesh_telemetry::set_attributes(&span, || {
        [
            KeyValue::new("rpc.system", "grpc"),
            KeyValue::new("rpc.service", SERVICE),
            KeyValue::new("rpc.method", method),
            KeyValue::new("server.address", url.to_owned()),
        ]
    });
    span
}

/// The worker service's full name, as in the span names of gRPC semantic conventions.
const SERVICE: &str = "octomesh.mcp.worker.v1.ToolWorker";

fn record_status(span: &tracing::Span, code: tonic::Code) {
    octomesh_telemetry::set_attributes(span, || {
        [KeyValue::new("rpc.grpc.status_code", code as i64)]
    });
    if code != tonic::Code::Ok {
        octomesh_telemetry::set_error(span, format!("{code:?}"));
    }
}

fn broken_error(url: &str, status: tonic::Status) -> HostError {
    match status.code() {
        tonic::Code::DeadlineExceeded => HostError::Status {
            code: v1::ErrorCode::DeadlineExceeded,
            message: status.message().to_owned(),
        },
        _ => HostError::Broken(format!(
            "worker {url} broke off the call ({})",
            status.message()
        )),
    }
}
