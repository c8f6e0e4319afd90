//! The asset repository's REST contract through `octo-client`, against the embedded platform over
//! HTTP: tenants, CK and runtime-model imports as jobs.

use std::time::Duration;

use octomesh_octo_client::{AssetClient, ClientError, ImportStrategy};
use octomesh_tests::TestStack;

use octomesh_tests::samples::{GADGETS, TINY_LIBRARY};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tenants_and_imports_work_through_the_rest_client() {
    let dir = std::env::temp_dir().join(format!("octomesh-it-rest-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let stack = TestStack::platform(&dir, false).await;
    let url = stack
        .platform
        .as_ref()
        .unwrap()
        .urls
        .asset_repository
        .clone();
    let asset = AssetClient::new(&url).unwrap();

    asset
        .create_tenant("octosystem", "lab", None)
        .await
        .unwrap();
    let tenants = asset.tenants("octosystem", None).await.unwrap();
    assert!(
        tenants.iter().any(|tenant| tenant.tenant_id == "lab"),
        "{tenants:?}"
    );
    let again = asset.create_tenant("octosystem", "lab", None).await;
    assert!(matches!(again, Err(ClientError::Invalid(_))), "{again:?}");

    let job = asset
        .import_ck("lab", "tiny.yaml", TINY_LIBRARY.as_bytes().to_vec(), None)
        .await
        .unwrap();
    let status = asset
        .wait_for_job("lab", &job, Duration::from_secs(30), None)
        .await
        .unwrap();
    assert_eq!(status.state, "Succeeded", "{status:?}");
    assert_eq!(status.message.as_deref(), Some("installed Tiny-1.0.0"));

    let broken = TINY_LIBRARY
        .replace("Tiny-1.0.0", "Flimsy-1.0.0")
        .replace("${this}/Label\n        name", "${this}/Lable\n        name");
    let job = asset
        .import_ck("lab", "broken.yaml", broken.into_bytes(), None)
        .await
        .unwrap();
    let status = asset
        .wait_for_job("lab", &job, Duration::from_secs(30), None)
        .await
        .unwrap();
    assert_eq!(status.state, "Failed");
    assert!(
        status.errors.iter().any(|error| error.contains("Lable")),
        "{status:?}"
    );

    let job = asset
        .import_rt(
            "lab",
            "gadgets.yaml",
            GADGETS.as_bytes().to_vec(),
            ImportStrategy::InsertOnly,
            None,
        )
        .await
        .unwrap();
    let status = asset
        .wait_for_job("lab", &job, Duration::from_secs(30), None)
        .await
        .unwrap();
    assert_eq!(status.state, "Succeeded", "{status:?}");
    let session = asset.tenant("lab", None).unwrap();
    let gadgets = session
        .query_entities(&octomesh_octo_client::types::EntityQuery::of_type(
            "Tiny/Gadget",
        ))
        .await
        .unwrap();
    assert_eq!(gadgets.total_count, 2);

    let missing = asset.job("lab", "999999", None).await;
    assert!(
        matches!(missing, Err(ClientError::NotFound(_))),
        "{missing:?}"
    );
    asset
        .delete_tenant("octosystem", "lab", None)
        .await
        .unwrap();
    let gone = asset.tenant("lab", None).unwrap().ck_models().await;
    assert!(gone.is_err(), "{gone:?}");
    stack.stop().await;
    let _ = std::fs::remove_dir_all(&dir);
}
