//! The whole stack in this test process: gateway + workers on loopback gRPC ports.

use std::net::SocketAddr;
use std::time::Duration;

use octomesh_gateway::GatewayConfig;
use octomesh_mcp::stack::{Stack, StackOptions};

use crate::McpClient;

pub struct TestStack {
    pub stack: Stack,
}

impl TestStack {
    /// Gateway and the fixtures worker, each on its own loopback port.
    pub async fn fixtures() -> TestStack {
        TestStack::with(|_| {}).await
    }

    /// Like [`TestStack::fixtures`], with the gateway configuration adjusted by `adjust`.
    pub async fn with(adjust: impl FnOnce(&mut GatewayConfig)) -> TestStack {
        TestStack::start(vec![octomesh_tools_fixtures::FAMILY], adjust).await
    }

    /// A gateway in this process in front of workers at `worker_urls` (started elsewhere).
    pub async fn remote(
        worker_urls: Vec<String>,
        adjust: impl FnOnce(&mut GatewayConfig),
    ) -> TestStack {
        TestStack::start(Vec::new(), |config| {
            config.worker_urls = worker_urls;
            adjust(config);
        })
        .await
    }

    async fn start(
        families: Vec<&'static str>,
        adjust: impl FnOnce(&mut GatewayConfig),
    ) -> TestStack {
        let listen: SocketAddr = "127.0.0.1:0".parse().expect("a literal address parses");
        let mut gateway = GatewayConfig::new(listen);
        adjust(&mut gateway);
        let stack = Stack::start(StackOptions {
            listen,
            families,
            in_process: false,
            worker_transport: octomesh_mcp::cli::WorkerTransport::Unix,
            gateway,
            backends: octomesh_mcp::cli::BackendOptions { asset_url: None },
        })
        .await
        .expect("the stack starts");
        assert!(stack.gateway().is_ready(), "the gateway sees its worker");
        TestStack { stack }
    }

    pub fn url(&self) -> String {
        format!("http://{}/mcp", self.stack.address)
    }

    pub fn base(&self) -> String {
        format!("http://{}", self.stack.address)
    }

    pub fn client(&self) -> McpClient {
        McpClient::new(&self.url())
    }

    pub async fn stop(self) {
        self.stack
            .stop(Duration::from_secs(5))
            .await
            .expect("the stack stops cleanly");
    }
}
