use crate::support::{DynStore, count, events, tenant};
use ventros_app::secrets::hash_api_key;
use ventros_domain::ids::ChannelId;
use ventros_domain::tenancy::Role;

pub async fn tenant_and_api_key(store: DynStore) {
    let t = tenant(&store, "acme").await;
    let p = store
        .find_api_key(&hash_api_key(&t.api_key))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(p.scope, t.scope);
    assert_eq!(p.role, Role::Admin);
    assert!(
        store
            .find_api_key(&hash_api_key("vtr_not_a_key"))
            .await
            .unwrap()
            .is_none()
    );
    let ev = events(&store, t.scope).await;
    assert_eq!(count(&ev, "tenant.created"), 1);
    assert_eq!(count(&ev, "channel.created"), 1);
}

pub async fn channel_roundtrip(store: DynStore) {
    let t = tenant(&store, "acme").await;
    let c = store
        .get_channel(t.scope, t.channel.channel_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(c.name, "Main number");
    assert_eq!(c.waha_base_url, "http://waha.local:3000");
    assert_eq!(c.waha_api_key.expose(), "waha-secret");
    assert!(
        !format!("{c:?}").contains("waha-secret"),
        "Debug must not show secrets"
    );
    assert_eq!(c.status, "UNKNOWN");
    assert_eq!(
        (c.debounce_timeout_ms, c.session_timeout_seconds),
        (15_000, 1_800)
    );
    assert!(
        store
            .get_channel(t.scope, ChannelId::new())
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        store
            .webhook_channel(ChannelId::new())
            .await
            .unwrap()
            .is_none()
    );
    let w = store.webhook_channel(c.id).await.unwrap().unwrap();
    assert_eq!(w.scope, t.scope);
    assert_eq!(w.hmac_key, None);
}
