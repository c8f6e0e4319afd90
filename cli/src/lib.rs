//! The one binary's roles: `up` (everything on one machine), `gateway`, `worker`, `platform`.
//!
//! This crate only parses configuration and wires crates together; it holds no MCP or tool logic.

pub mod cli;
pub mod families;
pub mod platform;
pub mod stack;
pub mod telemetry;

mod signal;

pub use cli::{Cli, Command};

/// Runs the role the command line chose until it is asked to stop.
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Up(args) => stack::up(args).await,
        Command::Gateway(args) => stack::gateway(args).await,
        Command::Worker(args) => stack::worker(args).await,
        Command::Platform(args) => platform::serve(args).await,
        Command::Operator => {
            let client = kube::Client::try_default().await.map_err(|error| {
                anyhow::anyhow!(
                    "cannot reach a Kubernetes API server (in-cluster or kubeconfig): {error}"
                )
            })?;
            octomesh_operator::run(client).await;
            Ok(())
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
