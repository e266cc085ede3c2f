//! The bare-SQL baseline for `ventros-bench ingest`: the hot path's writes (delivery log,
//! contact, chat, session, message, counters, the session's inactivity timer, one outbox row)
//! in one transaction sent as
//! one batch, with no application logic around it.

use crate::db::BaselineMessage;
use sqlx::{AssertSqlSafe, Executor};
use uuid::Uuid;
use ventros_domain::ids::ChannelId;
use ventros_domain::tenancy::Scope;

fn lit(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

fn blob(u: Uuid) -> String {
    format!("X'{}'", u.simple())
}

pub(crate) async fn ingest(
    pool: &sqlx::SqlitePool,
    scope: Scope,
    channel: ChannelId,
    m: &BaselineMessage,
) -> anyhow::Result<()> {
    let (t, p, ch) = (
        blob(scope.tenant_id.0),
        blob(scope.project_id.0),
        blob(channel.0),
    );
    let at = m.at.timestamp_millis();
    let (phone, chat_wa, raw) = (lit(&m.phone), lit(&m.wa_chat_id), lit(&m.raw_id));
    let contact =
            // The same predicate as the store's lookup, so the partial phone index applies.
            format!("(SELECT id FROM contacts WHERE tenant_id = {t} AND phone = {phone} AND deleted_at IS NULL)");
    let chat = format!(
        "(SELECT id FROM chats WHERE tenant_id = {t} AND channel_id = {ch} AND wa_chat_id = {chat_wa})"
    );
    let session = format!(
        "(SELECT id FROM sessions WHERE tenant_id = {t} AND chat_id = {chat} AND status = 'active')"
    );
    let sql = format!(
            "BEGIN IMMEDIATE;
            INSERT INTO inbound_deliveries (id, tenant_id, project_id, channel_id, dedupe_key, event_name, outcome, body, received_at)
                VALUES ({id1}, {t}, {p}, {ch}, {key}, 'message', 'processed', '{{}}', {at}) ON CONFLICT DO NOTHING;
            INSERT INTO contacts (id, tenant_id, project_id, phone, wa_id, name, push_name, created_at, updated_at)
                VALUES ({id2}, {t}, {p}, {phone}, {chat_wa}, 'Customer', 'Customer', {at}, {at}) ON CONFLICT DO NOTHING;
            INSERT INTO chats (id, tenant_id, project_id, channel_id, wa_chat_id, kind, contact_id, created_at)
                SELECT {id3}, {t}, {p}, {ch}, {chat_wa}, 'individual', {contact}, {at} WHERE true ON CONFLICT DO NOTHING;
            INSERT INTO sessions (id, tenant_id, project_id, channel_id, chat_id, contact_id, status, started_at)
                SELECT {id4}, {t}, {p}, {ch}, {chat}, {contact}, 'active', {at} WHERE true ON CONFLICT DO NOTHING;
            INSERT INTO messages (id, tenant_id, project_id, channel_id, chat_id, session_id, contact_id, direction, sender_kind, content_type, body, status, provider_id, from_me, raw_id, sent_at, created_at)
                SELECT {id5}, {t}, {p}, {ch}, {chat}, {session}, {contact}, 'inbound', 'contact', 'text', {body}, 3, {raw}, 0, {raw}, {at}, {at} WHERE true ON CONFLICT DO NOTHING;
            UPDATE sessions SET contact_messages = contact_messages + 1, last_message_at = MAX(COALESCE(last_message_at, 0), {at}) WHERE tenant_id = {t} AND chat_id = {chat} AND status = 'active';
            UPDATE chats SET last_message_at = MAX(COALESCE(last_message_at, 0), {at}) WHERE tenant_id = {t} AND channel_id = {ch} AND wa_chat_id = {chat_wa};
            INSERT INTO jobs (id, tenant_id, project_id, kind, key, payload, run_at, attempts, max_attempts, status, created_at, updated_at)
                SELECT {id7}, {t}, {p}, 'session.timeout', 'session.timeout:' || hex({session}), '{{}}', {at} + 1800000, 0, 8, 'pending', {at}, {at} WHERE true
                ON CONFLICT (tenant_id, key) DO UPDATE SET payload = excluded.payload, run_at = excluded.run_at, attempts = 0, status = 'pending', last_error = NULL, locked_until = NULL, updated_at = excluded.updated_at;
            UPDATE message_groups SET message_ids = json_insert(message_ids, '$[#]', hex({id5})), last_message_at = MAX(last_message_at, {at})
                WHERE tenant_id = {t} AND chat_id = {chat} AND status = 'pending';
            INSERT INTO message_groups (id, tenant_id, project_id, channel_id, chat_id, session_id, status, message_ids, opened_at, last_message_at, debounce_ms, max_age_ms)
                SELECT {id8}, {t}, {p}, {ch}, {chat}, {session}, 'pending', json_array(hex({id5})), {at}, {at}, 15000, 120000 WHERE true ON CONFLICT DO NOTHING;
            INSERT INTO jobs (id, tenant_id, project_id, kind, key, payload, run_at, attempts, max_attempts, status, created_at, updated_at)
                SELECT {id9}, {t}, {p}, 'message_group.flush', 'message_group.flush:' || hex(g.id), '{{}}', {at} + 15000, 0, 8, 'pending', {at}, {at}
                FROM message_groups g WHERE g.tenant_id = {t} AND g.chat_id = {chat} AND g.status = 'pending'
                ON CONFLICT (tenant_id, key) DO UPDATE SET payload = excluded.payload, run_at = excluded.run_at, attempts = 0, status = 'pending', last_error = NULL, locked_until = NULL, updated_at = excluded.updated_at;
            INSERT INTO outbox (id, tenant_id, project_id, event_type, version, occurred_at, source, aggregate_type, aggregate_id, payload, created_at)
                VALUES ({id6}, {t}, {p}, 'message.received', 1, {at}, 'bench', 'message', {id5}, '{{}}', {at});
            COMMIT;",
            id1 = blob(Uuid::now_v7()),
            id2 = blob(Uuid::now_v7()),
            id3 = blob(Uuid::now_v7()),
            id4 = blob(Uuid::now_v7()),
            id5 = blob(Uuid::now_v7()),
            id6 = blob(Uuid::now_v7()),
            id7 = blob(Uuid::now_v7()),
            id8 = blob(Uuid::now_v7()),
            id9 = blob(Uuid::now_v7()),
            key = lit(&m.dedupe_key),
            body = lit(&m.body),
        );
    let mut conn = pool.acquire().await?;
    if let Err(e) = conn.execute(sqlx::raw_sql(AssertSqlSafe(sql))).await {
        let _ = conn.execute("ROLLBACK").await;
        return Err(e.into());
    }
    Ok(())
}
