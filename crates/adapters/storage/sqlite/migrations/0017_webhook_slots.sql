-- Deliveries in flight per subscription, across every worker process: a delivery holds one
-- of `VENTROS_WEBHOOK_MAX_IN_FLIGHT` slots while it posts. A lease that runs out (a worker
-- killed mid-post) frees its slot.
CREATE TABLE webhook_slots (
    tenant_id BLOB NOT NULL,
    subscription_id BLOB NOT NULL,
    slot INTEGER NOT NULL,
    delivery_id BLOB NOT NULL,
    leased_until INTEGER NOT NULL,
    PRIMARY KEY (subscription_id, slot)
);
