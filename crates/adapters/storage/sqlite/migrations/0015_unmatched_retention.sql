-- Acks and early changes kept for messages that never arrived are pruned by the worker's
-- hourly pass.
CREATE INDEX pending_acks_received ON pending_acks (received_at);
CREATE INDEX early_changes_received ON early_changes (received_at);
