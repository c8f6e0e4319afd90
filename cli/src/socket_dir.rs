//! The private directory of the workers' Unix sockets: no other local user can reach them.

use std::path::PathBuf;

use anyhow::Context as _;

/// A fresh directory only this user may enter, for the workers' sockets.
pub(crate) fn private_socket_dir() -> anyhow::Result<PathBuf> {
    use std::os::unix::fs::DirBuilderExt;
    let mut random = [0u8; 6];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut urandom| std::io::Read::read_exact(&mut urandom, &mut random))
        .context("cannot read /dev/urandom")?;
    let suffix: String = random.iter().map(|byte| format!("{byte:02x}")).collect();
    let dir = std::env::temp_dir().join(format!("octomesh-mcp-{}-{suffix}", std::process::id()));
    std::fs::DirBuilder::new()
        .mode(0o700)
        .create(&dir)
        .with_context(|| format!("cannot create {}", dir.display()))?;
    Ok(dir)
}
