//! Webhook delivery slots: the per-endpoint cap that every worker process shares.

use chrono::{Duration, Utc};
use std::sync::Arc;
use uuid::Uuid;
use ventros_app::ports::Store;
use ventros_domain::ids::{EventId, ProjectId, TenantId};
use ventros_domain::webhook::{Attempt, Delivery, DeliveryStatus};

fn delivery(tenant: TenantId, subscription: Uuid) -> Delivery {
    let now = Utc::now();
    Delivery {
        id: Uuid::now_v7(),
        tenant_id: tenant,
        project_id: ProjectId::new(),
        subscription_id: subscription,
        event_id: EventId::new(),
        event_type: "message.received".into(),
        aggregate_id: Uuid::now_v7(),
        occurred_at: now,
        status: DeliveryStatus::Pending,
        attempts: 0,
        next_attempt_at: None,
        last_status_code: None,
        last_error: None,
        created_at: now,
        updated_at: now,
        delivered_at: None,
    }
}

pub async fn delivery_slots_hold_the_cap_until_released_or_expired(store: Arc<dyn Store>) {
    let t = crate::support::tenant(&store, "slots").await;
    let tenant = t.scope.tenant_id;
    let (sub, other) = (Uuid::now_v7(), Uuid::now_v7());
    let now = Utc::now();
    let lease = now + Duration::seconds(60);
    let d: Vec<Delivery> = (0..3).map(|_| delivery(tenant, sub)).collect();
    assert!(
        store
            .acquire_delivery_slot(&d[0], 2, now, lease)
            .await
            .unwrap()
    );
    assert!(
        store
            .acquire_delivery_slot(&d[1], 2, now, lease)
            .await
            .unwrap()
    );
    assert!(
        !store
            .acquire_delivery_slot(&d[2], 2, now, lease)
            .await
            .unwrap(),
        "both slots are held"
    );
    assert!(
        store
            .acquire_delivery_slot(&d[0], 2, now, lease)
            .await
            .unwrap(),
        "a holder asking again keeps its slot"
    );
    let elsewhere = delivery(tenant, other);
    assert!(
        store
            .acquire_delivery_slot(&elsewhere, 2, now, lease)
            .await
            .unwrap(),
        "another endpoint has its own slots"
    );
    store.release_delivery_slot(&d[0]).await.unwrap();
    assert!(
        store
            .acquire_delivery_slot(&d[2], 2, now, lease)
            .await
            .unwrap()
    );
    // Recording an attempt frees the slot in the same commit.
    let attempt = Attempt {
        id: Uuid::now_v7(),
        delivery_id: d[1].id,
        attempted_at: now,
        status_code: Some(200),
        duration_ms: 3,
        response_excerpt: None,
        error: None,
    };
    store
        .record_attempt(&d[1], Some(&attempt), None, None)
        .await
        .unwrap();
    assert!(
        store
            .acquire_delivery_slot(&d[0], 2, now, lease)
            .await
            .unwrap(),
        "the recorded attempt gave its slot back"
    );
    // A holder that died frees its slot when its lease runs out.
    let late = delivery(tenant, sub);
    assert!(
        !store
            .acquire_delivery_slot(&late, 2, now, lease)
            .await
            .unwrap()
    );
    let after = lease + Duration::seconds(1);
    assert!(
        store
            .acquire_delivery_slot(&late, 2, after, after + Duration::seconds(60))
            .await
            .unwrap()
    );
}
