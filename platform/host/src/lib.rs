//! The embedded OctoMesh platform as a whole. Like the real platform it is five services, each
//! with its own base URL — identity, asset repository, bot, communication controller and
//! reporting — plus the discovery endpoint (`GET /{tenantId}/_configuration`) that says where they
//! are. [`run::start`] runs any of them in this process, each on a listener of its own; they
//! reach each other only over their public HTTP contracts, exactly as when each runs as its own
//! process (`octomesh-mcp platform --service NAME`).

pub mod discovery;
pub mod run;
pub mod urls;

pub use octomesh_platform_common::ServiceKind;
pub use run::{PlatformOptions, RunningPlatform, start};
pub use urls::ServiceUrls;
