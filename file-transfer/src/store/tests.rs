use std::time::Duration;

use bytes::Bytes;
use futures_util::stream::{self, TryStreamExt as _};

use super::*;

fn store(name: &str, max_bytes: u64, ttl: Duration) -> (std::path::PathBuf, TransferStore) {
    let dir =
        std::env::temp_dir().join(format!("octomesh-transfers-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let store = TransferStore::local(&dir, TransferKey::new([3; 32]), max_bytes, ttl).unwrap();
    (dir, store)
}

fn chunks(parts: &[&'static [u8]]) -> impl Stream<Item = Result<Bytes, std::io::Error>> + Unpin {
    stream::iter(
        parts
            .iter()
            .map(|part| Ok(Bytes::from_static(part)))
            .collect::<Vec<_>>(),
    )
}

async fn collect(body: BoxStream<'static, Result<Bytes, object_store::Error>>) -> Vec<u8> {
    body.try_fold(Vec::new(), |mut all, chunk| async move {
        all.extend_from_slice(&chunk);
        Ok(all)
    })
    .await
    .unwrap()
}

fn files_under(dir: &std::path::Path) -> usize {
    walk(dir)
}

fn walk(dir: &std::path::Path) -> usize {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .map(|entry| match entry.file_type() {
                    Ok(kind) if kind.is_dir() => walk(&entry.path()),
                    _ => 1,
                })
                .sum()
        })
        .unwrap_or(0)
}

#[tokio::test]
async fn an_upload_is_received_once_and_taken_only_by_its_tenant_and_principal() {
    let (dir, store) = store("once", 1 << 20, Duration::from_secs(60));
    let prepared = store
        .prepare_upload("demo", "admin", "dir/plant.zip")
        .await
        .unwrap();
    assert_eq!(prepared.file_name, "plant.zip");
    let uploaded = store
        .upload(&prepared.token, chunks(&[b"hello ", b"world"]))
        .await
        .unwrap();
    assert_eq!(uploaded.size, 11);
    assert!(matches!(
        store.upload(&prepared.token, chunks(&[b"again"])).await,
        Err(TransferError::AlreadyUploaded)
    ));
    assert!(matches!(
        store
            .take_upload(&prepared.transfer_id, "other", "admin")
            .await,
        Err(TransferError::NotYours("tenant"))
    ));
    assert!(matches!(
        store
            .take_upload(&prepared.transfer_id, "demo", "mallory")
            .await,
        Err(TransferError::NotYours("user"))
    ));
    let (meta, body) = store
        .take_upload(&prepared.transfer_id, "demo", "admin")
        .await
        .unwrap();
    assert_eq!(meta.size, Some(11));
    assert_eq!(collect(body).await, b"hello world");
    // An upload URL is no download URL.
    assert!(matches!(
        store.download(&prepared.token, None, false).await,
        Err(TransferError::Unknown)
    ));
    assert!(matches!(
        store.cancel(&prepared.transfer_id, "mallory").await,
        Err(TransferError::NotYours("user"))
    ));
    assert!(store.cancel(&prepared.transfer_id, "admin").await.unwrap());
    assert!(!store.cancel(&prepared.transfer_id, "admin").await.unwrap());
    assert_eq!(files_under(&dir), 0, "a cancelled transfer leaves nothing");
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn a_refused_or_broken_upload_leaves_nothing_and_may_be_sent_again() {
    let (dir, store) = store("refused", 10, Duration::from_secs(60));
    let prepared = store
        .prepare_upload("demo", "admin", "big.bin")
        .await
        .unwrap();
    assert!(matches!(
        store
            .upload(&prepared.token, chunks(&[b"123456", b"789012"]))
            .await,
        Err(TransferError::TooLarge { cap: 10 })
    ));
    let broken = stream::iter(vec![
        Ok(Bytes::from_static(b"12")),
        Err(std::io::Error::other("the client went away")),
    ]);
    assert!(matches!(
        store.upload(&prepared.token, broken).await,
        Err(TransferError::BrokenOff)
    ));
    assert_eq!(files_under(&dir), 1, "only the metadata remains");
    let uploaded = store
        .upload(&prepared.token, chunks(&[b"1234567890"]))
        .await
        .unwrap();
    assert_eq!(uploaded.size, 10);
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn downloads_answer_ranges_and_expired_transfers_are_swept() {
    let (dir, store) = store("ranges", 1 << 20, Duration::from_secs(1));
    let prepared = store
        .register_download("demo", "admin", "export.zip", chunks(&[b"0123456789"]))
        .await
        .unwrap();
    let whole = store.download(&prepared.token, None, false).await.unwrap();
    assert_eq!(
        (whole.size, whole.meta.file_name.as_str()),
        (10, "export.zip")
    );
    assert_eq!(collect(whole.body.unwrap()).await, b"0123456789");
    let part = store
        .download(&prepared.token, Some("bytes=2-4"), false)
        .await
        .unwrap();
    assert_eq!(collect(part.body.unwrap()).await, b"234");
    let suffix = store
        .download(&prepared.token, Some("bytes=-3"), false)
        .await
        .unwrap();
    assert_eq!(collect(suffix.body.unwrap()).await, b"789");
    let head = store.download(&prepared.token, None, true).await.unwrap();
    assert!(head.body.is_none());
    let outside = store
        .download(&prepared.token, Some("bytes=10-"), false)
        .await
        .unwrap();
    assert_eq!(outside.range, RangeRequest::Unsatisfiable);
    // Downloads may be fetched again and again until they expire.
    assert!(store.download(&prepared.token, None, false).await.is_ok());
    tokio::time::sleep(Duration::from_millis(2_100)).await;
    assert!(matches!(
        store.download(&prepared.token, None, false).await,
        Err(TransferError::Expired)
    ));
    assert_eq!(store.sweep().await.unwrap(), 1);
    assert_eq!(files_under(&dir), 0);
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn file_names_are_required_and_bounded() {
    let (dir, store) = store("names", 10, Duration::from_secs(60));
    for bad in ["", "  ", "dir/", "..", "a\nb"] {
        assert!(
            matches!(
                store.prepare_upload("demo", "admin", bad).await,
                Err(TransferError::Invalid(_))
            ),
            "{bad:?}"
        );
    }
    let long = "x".repeat(300);
    assert!(store.prepare_upload("demo", "admin", &long).await.is_err());
    let _ = std::fs::remove_dir_all(dir);
}
