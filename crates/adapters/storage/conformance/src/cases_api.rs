//! The stores behind the REST API: idempotency claims, contact search and writes, users,
//! API keys and notes.

use crate::support::{DynStore, clock, tenant};
use chrono::Duration;
use ventros_app::AppError;
use ventros_app::page::PageRequest;
use ventros_app::ports::{Clock, ContactFilter, IdempotencyClaim, NoteFilter, SortKey};
use ventros_domain::contact::Contact;
use ventros_domain::event::{EventContext, EventEnvelope, EventType};
use ventros_domain::ids::{ContactId, NoteId, UserId};
use ventros_domain::note::Note;
use ventros_domain::phone::Phone;
use ventros_domain::tenancy::{Role, Scope, User};

fn event(scope: Scope, ty: EventType, id: uuid::Uuid) -> EventEnvelope {
    EventEnvelope::new(
        &EventContext::default(),
        scope.tenant_id,
        scope.project_id,
        ty,
        id,
        clock().now(),
        serde_json::json!({}),
    )
}

fn contact(scope: Scope, name: &str, phone: &str, tags: &[&str], minutes: i64) -> Contact {
    let at = clock().now() + Duration::minutes(minutes);
    Contact {
        id: ContactId::new(),
        tenant_id: scope.tenant_id,
        project_id: scope.project_id,
        phone: Some(Phone::parse(phone).unwrap()),
        wa_id: None,
        lid: None,
        name: Some(name.into()),
        push_name: None,
        email: None,
        profile_picture_url: None,
        tags: tags.iter().map(|t| t.to_string()).collect(),
        custom_fields: serde_json::json!({"k": minutes}),
        pipeline_id: None,
        created_at: at,
        updated_at: at,
    }
}

pub async fn idempotency_claims(store: DynStore) {
    let a = tenant(&store, "acme").await;
    let b = tenant(&store, "beta").await;
    let now = clock().now();
    let stale = now - Duration::seconds(60);
    let t = a.scope.tenant_id;
    let claim = |hash: &'static str, at| {
        let store = store.clone();
        async move {
            store
                .claim_idempotency(t, "api_key:1", "K", hash, at, at - Duration::seconds(60))
                .await
                .unwrap()
        }
    };
    assert_eq!(claim("h1", now).await, IdempotencyClaim::Claimed);
    assert_eq!(claim("h1", now).await, IdempotencyClaim::InProgress);
    assert_eq!(claim("h2", now).await, IdempotencyClaim::Mismatch);
    // Another tenant and another caller have their own key space.
    assert_eq!(
        store
            .claim_idempotency(b.scope.tenant_id, "api_key:1", "K", "h9", now, stale)
            .await
            .unwrap(),
        IdempotencyClaim::Claimed
    );
    assert_eq!(
        store
            .claim_idempotency(t, "user:2", "K", "h9", now, stale)
            .await
            .unwrap(),
        IdempotencyClaim::Claimed
    );
    store
        .finish_idempotency(t, "api_key:1", "K", 201, br#"{"id":1}"#)
        .await
        .unwrap();
    assert_eq!(
        claim("h1", now).await,
        IdempotencyClaim::Replay {
            status: 201,
            body: br#"{"id":1}"#.to_vec()
        }
    );
    assert_eq!(claim("h2", now).await, IdempotencyClaim::Mismatch);
    // A claim that never finished is taken over once stale; a released one at once.
    assert_eq!(
        store
            .claim_idempotency(t, "api_key:1", "L", "h1", now, stale)
            .await
            .unwrap(),
        IdempotencyClaim::Claimed
    );
    let later = now + Duration::seconds(61);
    assert_eq!(
        store
            .claim_idempotency(
                t,
                "api_key:1",
                "L",
                "h3",
                later,
                later - Duration::seconds(60)
            )
            .await
            .unwrap(),
        IdempotencyClaim::Claimed
    );
    store
        .release_idempotency(t, "api_key:1", "L")
        .await
        .unwrap();
    assert_eq!(
        store
            .claim_idempotency(
                t,
                "api_key:1",
                "L",
                "h4",
                later,
                later - Duration::seconds(60)
            )
            .await
            .unwrap(),
        IdempotencyClaim::Claimed
    );
    // Pruning drops old keys of every tenant.
    let n = store
        .prune_idempotency(now + Duration::seconds(1))
        .await
        .unwrap();
    assert_eq!(
        n, 3,
        "K in two tenants and for two callers; L was re-claimed later"
    );
    assert_eq!(claim("h5", now).await, IdempotencyClaim::Claimed);
}

pub async fn contact_search_writes_and_soft_delete(store: DynStore) {
    let a = tenant(&store, "acme").await;
    let b = tenant(&store, "beta").await;
    let s = a.scope;
    let t = s.tenant_id;
    let cs = [
        contact(s, "Ana Souza", "+5511912340001", &["vip", "lead"], 1),
        contact(s, "Bruno Lima", "+5511912340002", &["lead"], 2),
        contact(s, "Carla Ana", "+5521912340003", &[], 3),
    ];
    for c in &cs {
        store
            .insert_contact(c, &event(s, EventType::ContactCreated, c.id.0))
            .await
            .unwrap();
    }
    let dup = contact(s, "Dup", "+5511912340001", &[], 4);
    assert!(matches!(
        store
            .insert_contact(&dup, &event(s, EventType::ContactCreated, dup.id.0))
            .await,
        Err(AppError::Conflict { .. })
    ));
    // The same phone in another tenant is fine.
    let other = contact(b.scope, "Ana", "+5511912340001", &["vip"], 1);
    store
        .insert_contact(
            &other,
            &event(b.scope, EventType::ContactCreated, other.id.0),
        )
        .await
        .unwrap();

    let names = |p: &ventros_app::page::Page<Contact>| -> Vec<String> {
        p.data.iter().map(|c| c.name.clone().unwrap()).collect()
    };
    let search = |f: ContactFilter, limit: u32| {
        let store = store.clone();
        async move {
            store
                .search_contacts(t, &f, PageRequest::first(limit))
                .await
                .unwrap()
        }
    };
    let by = |q: &str| ContactFilter {
        search: Some(q.into()),
        ..Default::default()
    };
    assert_eq!(
        names(&search(by("ANA"), 10).await),
        ["Ana Souza", "Carla Ana"]
    );
    assert_eq!(names(&search(by("+55 21"), 10).await), ["Carla Ana"]);
    assert_eq!(names(&search(by("1234000"), 10).await).len(), 3);
    assert_eq!(names(&search(by("%"), 10).await).len(), 0);
    assert_eq!(names(&search(by("_"), 10).await).len(), 0);
    let tags = ContactFilter {
        tags: vec!["vip".into(), "none".into()],
        ..Default::default()
    };
    assert_eq!(names(&search(tags, 10).await), ["Ana Souza"]);
    let range = ContactFilter {
        created_after: Some(cs[1].created_at),
        created_before: Some(cs[2].created_at),
        ..Default::default()
    };
    assert_eq!(names(&search(range, 10).await), ["Bruno Lima"]);
    let desc = ContactFilter {
        sort: SortKey::CreatedDesc,
        ..Default::default()
    };
    let p1 = search(desc.clone(), 2).await;
    assert_eq!(names(&p1), ["Carla Ana", "Bruno Lima"]);
    let p2 = store
        .search_contacts(
            t,
            &desc,
            PageRequest::new(Some(2), p1.next_cursor.as_deref()).unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(
        (names(&p2), p2.next_cursor),
        (vec!["Ana Souza".to_string()], None)
    );

    // save_contacts is all or nothing: a phone clash leaves both rows as they were.
    let mut x = cs[0].clone();
    x.name = Some("Changed".into());
    let mut y = cs[1].clone();
    y.phone = cs[2].phone.clone();
    let r = store
        .save_contacts(
            &[x.clone(), y],
            &[event(s, EventType::ContactUpdated, x.id.0)],
        )
        .await;
    assert!(matches!(r, Err(AppError::Conflict { .. })), "{r:?}");
    let got = store.get_contact(s, cs[0].id).await.unwrap().unwrap();
    assert_eq!(got.name.as_deref(), Some("Ana Souza"));
    x.custom_fields = serde_json::json!({"plan": "gold"});
    x.tags = vec!["q3".into()];
    store
        .save_contacts(
            std::slice::from_ref(&x),
            &[event(s, EventType::ContactUpdated, x.id.0)],
        )
        .await
        .unwrap();
    let got = store.get_contact(s, x.id).await.unwrap().unwrap();
    assert_eq!(
        (
            got.name.as_deref(),
            got.tags.clone(),
            got.custom_fields.clone()
        ),
        (
            Some("Changed"),
            vec!["q3".to_string()],
            serde_json::json!({"plan": "gold"})
        )
    );

    // Soft delete: gone from reads, phone free, second delete is a miss, other tenant untouched.
    let at = clock().now();
    let ev = event(s, EventType::ContactDeleted, cs[1].id.0);
    assert!(store.delete_contact(t, cs[1].id, at, &ev).await.unwrap());
    assert!(!store.delete_contact(t, cs[1].id, at, &ev).await.unwrap());
    assert!(
        !store
            .delete_contact(b.scope.tenant_id, cs[0].id, at, &ev)
            .await
            .unwrap()
    );
    assert!(store.get_contact(s, cs[1].id).await.unwrap().is_none());
    let again = contact(s, "Bruno 2", "+5511912340002", &[], 9);
    store
        .insert_contact(&again, &event(s, EventType::ContactCreated, again.id.0))
        .await
        .unwrap();
    assert_eq!(search(ContactFilter::default(), 10).await.data.len(), 3);
    assert!(store.get_contact(s, cs[0].id).await.unwrap().is_some());
}

pub async fn users_keys_and_notes(store: DynStore) {
    let a = tenant(&store, "acme").await;
    let b = tenant(&store, "beta").await;
    let s = a.scope;
    let t = s.tenant_id;
    let u = User {
        id: UserId::new(),
        tenant_id: t,
        email: "maria@acme.example".into(),
        name: "Maria".into(),
        password_hash: "$argon2id$placeholder".into(),
        role: Role::Agent,
        created_at: clock().now(),
        disabled_at: None,
    };
    store
        .insert_user(&u, None, &[event(s, EventType::UserCreated, u.id.0)])
        .await
        .unwrap();
    let mut same_email = u.clone();
    same_email.id = UserId::new();
    same_email.tenant_id = b.scope.tenant_id;
    assert!(
        matches!(
            store
                .insert_user(
                    &same_email,
                    None,
                    &[event(b.scope, EventType::UserCreated, same_email.id.0)]
                )
                .await,
            Err(AppError::Conflict { .. })
        ),
        "emails are unique across tenants"
    );
    assert_eq!(
        store
            .find_login("maria@acme.example")
            .await
            .unwrap()
            .map(|x| x.id),
        Some(u.id)
    );
    assert!(
        store
            .get_user(b.scope.tenant_id, u.id)
            .await
            .unwrap()
            .is_none()
    );
    let ev = event(s, EventType::UserDisabled, u.id.0);
    assert!(
        store
            .disable_user(t, u.id, clock().now(), &ev)
            .await
            .unwrap()
    );
    assert!(
        store
            .get_user(t, u.id)
            .await
            .unwrap()
            .unwrap()
            .disabled_at
            .is_some()
    );
    assert!(
        !store
            .disable_user(b.scope.tenant_id, u.id, clock().now(), &ev)
            .await
            .unwrap()
    );
    assert_eq!(
        store
            .list_users(t, PageRequest::first(10))
            .await
            .unwrap()
            .data
            .len(),
        2
    );

    // The bootstrap key works until revoked.
    let keys = store
        .list_api_keys(t, PageRequest::first(10))
        .await
        .unwrap()
        .data;
    assert_eq!(keys.len(), 1);
    let hash = ventros_app::secrets::hash_api_key(&a.api_key);
    assert!(store.find_api_key(&hash).await.unwrap().is_some());
    let ev = event(s, EventType::ApiKeyRevoked, keys[0].id.0);
    assert!(
        !store
            .revoke_api_key(b.scope.tenant_id, keys[0].id, clock().now(), &ev)
            .await
            .unwrap()
    );
    assert!(
        store
            .revoke_api_key(t, keys[0].id, clock().now(), &ev)
            .await
            .unwrap()
    );
    assert!(store.find_api_key(&hash).await.unwrap().is_none());
    assert!(
        store
            .get_api_key(t, keys[0].id)
            .await
            .unwrap()
            .unwrap()
            .revoked_at
            .is_some()
    );

    // Notes: by contact (all) or by session; delete hides.
    let c = contact(s, "Ana", "+5511912340001", &[], 1);
    store
        .insert_contact(&c, &event(s, EventType::ContactCreated, c.id.0))
        .await
        .unwrap();
    let mut ids = Vec::new();
    for body in ["first", "second"] {
        let n = Note {
            id: NoteId::new(),
            tenant_id: t,
            project_id: s.project_id,
            contact_id: c.id,
            session_id: None,
            body: body.into(),
            author: "user:x".into(),
            created_at: clock().now(),
        };
        store
            .insert_note(&n, &event(s, EventType::NoteAdded, n.id.0))
            .await
            .unwrap();
        ids.push(n.id);
    }
    let f = NoteFilter {
        contact_id: Some(c.id),
        session_id: None,
    };
    assert_eq!(
        store
            .list_notes(s, &f, PageRequest::first(10))
            .await
            .unwrap()
            .data
            .len(),
        2
    );
    assert!(
        store
            .list_notes(b.scope, &f, PageRequest::first(10))
            .await
            .unwrap()
            .data
            .is_empty()
    );
    // Another project of the same tenant sees none of them and deletes none.
    let elsewhere = Scope {
        tenant_id: t,
        project_id: ventros_domain::ids::ProjectId::new(),
    };
    assert!(
        store
            .list_notes(elsewhere, &f, PageRequest::first(10))
            .await
            .unwrap()
            .data
            .is_empty()
    );
    let ev = event(s, EventType::NoteDeleted, ids[0].0);
    assert!(
        !store
            .delete_note(elsewhere, ids[0], clock().now(), &ev)
            .await
            .unwrap()
    );
    assert!(
        !store
            .delete_note(b.scope, ids[0], clock().now(), &ev)
            .await
            .unwrap()
    );
    assert!(
        store
            .delete_note(s, ids[0], clock().now(), &ev)
            .await
            .unwrap()
    );
    assert!(store.get_note(s, ids[0]).await.unwrap().is_none());
    let left = store
        .list_notes(s, &f, PageRequest::first(10))
        .await
        .unwrap()
        .data;
    assert_eq!(
        left.iter().map(|n| n.body.as_str()).collect::<Vec<_>>(),
        ["second"]
    );
}
