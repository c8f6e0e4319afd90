//! `octomesh-mcp`: parse the command line, start telemetry, run the chosen role.

use clap::Parser;

/// jemalloc: ~12% of a tool call's CPU went to glibc malloc/free under load.
#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn main() -> anyhow::Result<()> {
    let cli = octomesh_mcp::Cli::parse();
    octomesh_mcp::telemetry::init(cli.log_format);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(octomesh_mcp::run(cli))
}
