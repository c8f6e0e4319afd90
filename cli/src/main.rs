//! `octomesh-mcp`: parse the command line, start telemetry, run the chosen role, flush spans.

use clap::Parser;

/// jemalloc: ~12% of a tool call's CPU went to glibc malloc/free under load.
#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn main() -> anyhow::Result<()> {
    let cli = octomesh_mcp::Cli::parse();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    // The OTLP gRPC exporter lives on this runtime; it must outlive the final flush.
    let telemetry = {
        let _inside = runtime.enter();
        octomesh_telemetry::init(&cli.service_name(), cli.log_format.into())
    };
    octomesh_telemetry::record_payloads(cli.trace_payloads);
    let outcome = runtime.block_on(octomesh_mcp::run(cli));
    telemetry.shutdown();
    outcome
}
