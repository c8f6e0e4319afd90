//! The whole stack in this test process: gateway + workers on loopback gRPC ports.

use std::net::SocketAddr;
use std::time::Duration;

use octomesh_gateway::GatewayConfig;
use octomesh_mcp::backends::Backends;
use octomesh_mcp::platform::EmbeddedPlatform;
use octomesh_mcp::stack::{Stack, StackOptions};

use crate::McpClient;

/// The `admin` password of test platforms.
pub const TEST_ADMIN_PASSWORD: &str = "test-admin-password";

pub struct TestStack {
    pub stack: Stack,
    /// The embedded platform, when the stack runs the OctoMesh families.
    pub platform: Option<EmbeddedPlatform>,
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

    /// The embedded platform on `data_dir` (seeded with the demo tenant when `demo`), and the
    /// gateway with the `ck` family pointed at it: what `up` runs.
    pub async fn platform(data_dir: &std::path::Path, demo: bool) -> TestStack {
        TestStack::platform_with_auth(data_dir, demo, None, None).await
    }

    /// Like [`TestStack::platform`], with the gateway trusting the platform's identity service
    /// in `mode` (`None`: no authentication).
    pub async fn platform_with_auth(
        data_dir: &std::path::Path,
        demo: bool,
        mode: Option<octomesh_gateway::AuthMode>,
        audience: Option<&str>,
    ) -> TestStack {
        TestStack::platform_with(data_dir, demo, mode, audience, |_| {}).await
    }

    /// Like [`TestStack::platform_with_auth`], with the gateway configuration adjusted by `adjust`.
    pub async fn platform_with(
        data_dir: &std::path::Path,
        demo: bool,
        mode: Option<octomesh_gateway::AuthMode>,
        audience: Option<&str>,
        adjust: impl FnOnce(&mut GatewayConfig),
    ) -> TestStack {
        let audience = audience.map(str::to_owned);
        let platform = EmbeddedPlatform::start_all_local(&octomesh_platform::PlatformOptions {
            data_dir: data_dir.to_path_buf(),
            demo,
            admin_password: Some(TEST_ADMIN_PASSWORD.to_owned()),
            enforce_auth: mode.is_some(),
            mcp_url: None,
        })
        .await
        .expect("the platform starts");
        let authority = platform.urls.identity.clone();
        let mut test = TestStack::launch(
            vec![
                octomesh_tools_ck::FAMILY,
                octomesh_tools_aggregation::FAMILY,
                octomesh_tools_platform_admin::FAMILY,
            ],
            |config| {
                config.auth = mode.map(|mode| {
                    let mut auth = octomesh_gateway::AuthConfig::new(authority, mode);
                    auth.audience = audience;
                    auth
                });
                adjust(config);
            },
            platform.backends(),
        )
        .await;
        test.platform = Some(platform);
        test
    }

    async fn start(
        families: Vec<&'static str>,
        adjust: impl FnOnce(&mut GatewayConfig),
    ) -> TestStack {
        TestStack::launch(families, adjust, Backends::default()).await
    }

    async fn launch(
        families: Vec<&'static str>,
        adjust: impl FnOnce(&mut GatewayConfig),
        backends: Backends,
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
            backends,
        })
        .await
        .expect("the stack starts");
        assert!(stack.gateway().is_ready(), "the gateway sees its worker");
        TestStack {
            stack,
            platform: None,
        }
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

    /// A client of the tenant endpoint `/{tenant}/mcp`.
    /// Adds the account `user` (display name = user, no email, no roles) who may use `tenant` only.
    pub fn add_user(&self, user: &str, password: &str, tenant: &str) {
        self.platform
            .as_ref()
            .expect("a platform stack")
            .identity()
            .expect("the identity service runs in this process")
            .users()
            .create(user, password, user, None, &[], &[tenant.to_owned()])
            .expect("the account is created");
    }

    /// A client of `/{tenant}/mcp` signed in as `user` (password grant at the platform's identity
    /// service, for `tenant`), initialized.
    pub async fn signed_in(&self, user: &str, password: &str, tenant: &str) -> McpClient {
        let issuer = &self
            .platform
            .as_ref()
            .expect("a platform stack")
            .urls
            .identity;
        let tokens =
            crate::oauth::sign_in(issuer, user, password, Some(&format!("tenant:{tenant}"))).await;
        let mut client = self.tenant_client(tenant);
        client.bearer = Some(
            tokens["access_token"]
                .as_str()
                .expect("an access token")
                .to_owned(),
        );
        client.initialize().await;
        client
    }

    pub fn tenant_client(&self, tenant: &str) -> McpClient {
        McpClient::new(&format!("http://{}/{tenant}/mcp", self.stack.address))
    }

    pub async fn stop(self) {
        self.stack
            .stop(Duration::from_secs(5))
            .await
            .expect("the stack stops cleanly");
        if let Some(platform) = self.platform {
            platform.stop().await.expect("the platform stops cleanly");
        }
    }
}
