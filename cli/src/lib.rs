//! The one binary's roles: `up` (everything on one machine), `gateway`, `worker`, `platform`.
//!
//! This crate only parses configuration and wires crates together; it holds no MCP or tool logic.

pub mod backends;
pub mod children;
pub mod cli;
pub mod families;
pub mod platform;
pub mod stack;
pub mod supervise;
pub mod transfers;

mod signal;
mod socket_dir;

pub use cli::{Cli, Command};

/// Runs the role the command line chose until it is asked to stop.
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Up(args) => stack::up(args).await,
        Command::Gateway(args) => stack::gateway(args).await,
        Command::Worker(args) => stack::worker(args).await,
        Command::Platform(args) => platform::serve(args).await,
        Command::Operator(args) => {
            let client = kube::Client::try_default().await.map_err(|error| {
                anyhow::anyhow!(
                    "cannot reach a Kubernetes API server (in-cluster or kubeconfig): {error}"
                )
            })?;
            let identity = args.identity.unwrap_or_else(|| {
                std::fs::read_to_string("/etc/hostname")
                    .map(|name| name.trim().to_owned())
                    .unwrap_or_else(|_| format!("operator-{}", std::process::id()))
            });
            octomesh_operator::run(
                client,
                octomesh_operator::Options {
                    namespace: args.namespace,
                    identity,
                    listen: args.listen,
                },
            )
            .await
            .map_err(anyhow::Error::msg)
        }
        Command::Crdgen(args) => {
            if args.values_schema {
                print!("{}", octomesh_crds::values_schema());
            } else {
                print!("{}", octomesh_crds::crd_yaml());
            }
            Ok(())
        }
    }
}
