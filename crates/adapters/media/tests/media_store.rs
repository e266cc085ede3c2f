//! The same cases on every media store: a local directory always, S3-compatible storage when
//! `VENTROS_TEST_S3_URL` names a server (CI runs moto's).
#![expect(
    clippy::unwrap_used,
    reason = "a test fails loudly on what it did not expect"
)]

use ventros_app::ports::{MediaStore, media_key};
use ventros_domain::ids::TenantId;
use ventros_media::{ObjectMedia, S3Options};
use ventros_testkit::TempDir;

async fn cases(store: &dyn MediaStore) {
    let tenant = TenantId::new();
    let key = media_key(tenant, uuid::Uuid::now_v7());
    let bytes: Vec<u8> = (0..=255u8).cycle().take(10_000).collect();
    assert_eq!(store.get(&key, None).await.unwrap(), None, "nothing yet");
    store.put(&key, bytes.clone()).await.unwrap();
    let all = store.get(&key, None).await.unwrap().unwrap();
    assert_eq!((all.bytes.len(), all.total), (10_000, 10_000));
    assert_eq!(all.bytes, bytes);
    let part = store.get(&key, Some(100..200)).await.unwrap().unwrap();
    assert_eq!(part.bytes, bytes[100..200]);
    assert_eq!(part.total, 10_000);
    let tail = store.get(&key, Some(9_990..20_000)).await.unwrap().unwrap();
    assert_eq!(tail.bytes, bytes[9_990..], "cut at the end");
    let past = store
        .get(&key, Some(20_000..20_010))
        .await
        .unwrap()
        .unwrap();
    assert!(past.bytes.is_empty());
    // Replacing, another tenant's key, deleting twice.
    store.put(&key, b"new".to_vec()).await.unwrap();
    assert_eq!(store.get(&key, None).await.unwrap().unwrap().bytes, b"new");
    let other = key.replacen(&tenant.to_string(), &TenantId::new().to_string(), 1);
    assert_eq!(store.get(&other, None).await.unwrap(), None);
    store.delete(&key).await.unwrap();
    store.delete(&key).await.unwrap();
    assert_eq!(store.get(&key, None).await.unwrap(), None);
    // Keys that would leave the store's place are refused.
    assert!(store.put("../escape", vec![1]).await.is_err());
    assert!(store.get("a//b", None).await.is_err());
    // An empty file is a file.
    store.put(&key, Vec::new()).await.unwrap();
    let empty = store.get(&key, None).await.unwrap().unwrap();
    assert_eq!((empty.bytes.len(), empty.total), (0, 0));
}

#[tokio::test]
async fn a_local_directory_keeps_files() {
    let dir = TempDir::new("ventros-media");
    let store = ObjectMedia::local(&dir.path().join("media")).unwrap();
    cases(&store).await;
}

#[tokio::test]
async fn s3_compatible_storage_keeps_files() {
    let Some(endpoint) = ventros_testkit::s3_endpoint("media store") else {
        return;
    };
    let bucket = format!("ventros-test-{}", uuid::Uuid::now_v7().simple());
    // moto (and MinIO in its default set-up) create a bucket on an unsigned PUT.
    let made = reqwest::Client::new()
        .put(format!("{endpoint}/{bucket}"))
        .send()
        .await
        .unwrap();
    assert!(
        made.status().is_success(),
        "creating {bucket}: {}",
        made.status()
    );
    let store = ObjectMedia::s3(
        &format!("s3://{bucket}/tenants"),
        S3Options {
            endpoint: Some(endpoint),
            access_key_id: Some("test".into()),
            secret_access_key: Some("test".into()),
            region: Some("us-east-1".into()),
        },
    )
    .unwrap();
    cases(&store).await;
}
