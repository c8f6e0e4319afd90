//! The file-transfer channel's settings for each role: the gateway serves it, and the workers
//! that take uploads or publish downloads reach the same store with the same key.

use octomesh_file_transfer::{StoreLocation, TransferStore};
use octomesh_gateway::{FileTransferConfig, GatewayConfig};
use octomesh_tools_platform_admin::Transfers;

use crate::cli::FileTransferOptions;

/// The gateway's channel over `store`, with the key, cap and time to live of `options`.
pub fn gateway_channel(
    store: StoreLocation,
    options: &FileTransferOptions,
) -> anyhow::Result<FileTransferConfig> {
    let mut channel = FileTransferConfig::at(store);
    channel.key = options.key()?;
    channel.max_bytes = options.file_transfer_max_bytes.max(1);
    channel.ttl = options.ttl();
    Ok(channel)
}

/// What the workers of a stack get: the gateway's own store and key (so the URLs they seal are
/// the gateway's).
pub fn of_gateway(config: &GatewayConfig) -> anyhow::Result<Option<Transfers>> {
    let (Some(channel), Some(key)) = (&config.file_transfer, config.file_transfer_key()) else {
        return Ok(None);
    };
    let store = TransferStore::at(&channel.store, key, channel.max_bytes, channel.ttl)?;
    Ok(Some(Transfers {
        store,
        publishes: true,
    }))
}

/// What a `worker` process gets from its options: without `--file-transfer-key` it takes
/// uploads (by id, tenant and caller) but publishes no download, as its URLs would not open.
pub fn of_worker(options: &FileTransferOptions) -> anyhow::Result<Option<Transfers>> {
    let Some(location) = &options.file_transfer_store else {
        return Ok(None);
    };
    let (key, publishes) = match options.key()? {
        Some(key) => (key, true),
        None => {
            let mut random = [0u8; 32];
            getrandom::getrandom(&mut random)
                .map_err(|error| anyhow::anyhow!("no random source: {error}"))?;
            (octomesh_file_transfer::TransferKey::new(random), false)
        }
    };
    let store = TransferStore::at(
        location,
        key,
        options.file_transfer_max_bytes.max(1),
        options.ttl(),
    )?;
    Ok(Some(Transfers { store, publishes }))
}
