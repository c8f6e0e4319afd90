//! `octomesh-mcp`: parse the command line, start telemetry, run the chosen role.

use clap::Parser;

fn main() -> anyhow::Result<()> {
    let cli = octomesh_mcp::Cli::parse();
    octomesh_mcp::telemetry::init(cli.log_format);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(octomesh_mcp::run(cli))
}
