-- Deliveries in flight per subscription, across every worker process: a delivery holds one
-- of `VENTROS_WEBHOOK_MAX_IN_FLIGHT` slots while it posts. A lease that runs out (a worker
-- killed mid-post) frees its slot.
CREATE TABLE webhook_slots (
    tenant_id UUID NOT NULL,
    subscription_id UUID NOT NULL,
    slot INTEGER NOT NULL,
    delivery_id UUID NOT NULL,
    leased_until TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (subscription_id, slot)
);

ALTER TABLE webhook_slots ENABLE ROW LEVEL SECURITY;
ALTER TABLE webhook_slots FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON webhook_slots USING (tenant_id = ventros_current_tenant()) WITH CHECK (tenant_id = ventros_current_tenant());
DO $$
BEGIN
    EXECUTE format('CREATE POLICY owner_maintenance ON webhook_slots TO %I USING (true) WITH CHECK (true)', current_user);
END
$$;
