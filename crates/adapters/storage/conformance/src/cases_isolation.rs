use crate::support::{ChatFilter, SessionFilter, StoreExt};
use crate::support::{DynStore, all, events, ingest, tenant};
use ventros_app::ports::ContactEventFilter;
use ventros_domain::phone::Phone;
use ventros_waha::sample;

pub async fn tenants_never_see_each_other(store: DynStore) {
    let a = tenant(&store, "alpha").await;
    let b = tenant(&store, "beta").await;
    // The same customer writes to both businesses.
    ingest(
        &store,
        &a.channel,
        &sample::text_message(
            Some("evt_a1"),
            "5511999990001",
            "RAWA1",
            false,
            "hi A",
            1_700_000_000,
        ),
    )
    .await;
    ingest(
        &store,
        &b.channel,
        &sample::text_message(
            Some("evt_b1"),
            "5511999990001",
            "RAWB1",
            false,
            "hi B",
            1_700_000_000,
        ),
    )
    .await;

    let phone = Phone::parse("+5511999990001").unwrap();
    let ca = store
        .list_contacts(a.scope, Some(&phone), all())
        .await
        .unwrap()
        .data;
    let cb = store
        .list_contacts(b.scope, Some(&phone), all())
        .await
        .unwrap()
        .data;
    assert_eq!((ca.len(), cb.len()), (1, 1));
    assert_ne!(ca[0].id, cb[0].id);

    // B cannot read A's rows by id: they look missing.
    assert!(
        store
            .get_contact(b.scope, ca[0].id)
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        store
            .get_channel(b.scope, a.channel.channel_id)
            .await
            .unwrap()
            .is_none()
    );
    let chats_a = store
        .list_chats(a.scope, &ChatFilter::default(), all())
        .await
        .unwrap()
        .data;
    assert_eq!(chats_a.len(), 1);
    assert!(
        store
            .get_chat(b.scope, chats_a[0].id)
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        store
            .list_messages(b.scope, chats_a[0].id, all())
            .await
            .unwrap()
            .data
            .is_empty()
    );
    let f = SessionFilter {
        contact_id: Some(ca[0].id),
        chat_id: None,
        ..Default::default()
    };
    assert!(
        store
            .list_sessions(b.scope, &f, all())
            .await
            .unwrap()
            .data
            .is_empty()
    );
    assert_eq!(
        store
            .list_sessions(a.scope, &f, all())
            .await
            .unwrap()
            .data
            .len(),
        1
    );
    assert!(
        store
            .list_contact_events(b.scope, ca[0].id, &ContactEventFilter::default(), all())
            .await
            .unwrap()
            .data
            .is_empty()
    );
    let ev_b = events(&store, b.scope).await;
    assert!(ev_b.iter().all(|e| e.tenant_id == b.scope.tenant_id));
    let body_b: Vec<String> = store
        .list_messages(
            b.scope,
            store
                .list_chats(b.scope, &ChatFilter::default(), all())
                .await
                .unwrap()
                .data[0]
                .id,
            all(),
        )
        .await
        .unwrap()
        .data
        .into_iter()
        .filter_map(|m| m.body)
        .collect();
    assert_eq!(body_b, vec!["hi B".to_string()]);

    // A webhook for A's channel writes only into A even if B shares dedupe keys.
    ingest(
        &store,
        &b.channel,
        &sample::text_message(
            Some("evt_a1"),
            "5511999990002",
            "RAWX",
            false,
            "same key, other tenant",
            1_700_000_001,
        ),
    )
    .await;
    assert_eq!(
        store
            .list_chats(b.scope, &ChatFilter::default(), all())
            .await
            .unwrap()
            .data
            .len(),
        2
    );
    assert_eq!(
        store
            .list_chats(a.scope, &ChatFilter::default(), all())
            .await
            .unwrap()
            .data
            .len(),
        1
    );
}
