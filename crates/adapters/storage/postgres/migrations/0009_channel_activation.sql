-- A channel is active once its WAHA session passed the activation checks; only an active
-- channel sends. Sending settings per channel: how long a send may go unconfirmed, how many
-- messages leave per minute, and whether sends look typed by a person.
ALTER TABLE channels ADD COLUMN activated_at TIMESTAMPTZ;
ALTER TABLE channels ADD COLUMN confirm_timeout_seconds BIGINT NOT NULL DEFAULT 60;
ALTER TABLE channels ADD COLUMN max_messages_per_minute BIGINT NOT NULL DEFAULT 20;
ALTER TABLE channels ADD COLUMN human_pacing BOOLEAN NOT NULL DEFAULT false;
