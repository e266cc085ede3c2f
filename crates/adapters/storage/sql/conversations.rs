//! Chats, sessions and messages as ingest left them.

use crate::dialect::{Db, DbStore};
use crate::sql::rows::{self, CHAT_COLS, MESSAGE_COLS, SESSION_COLS};
use crate::sql::{Ts, by_id_in, page_by, paginate, select, select_in};
use async_trait::async_trait;
use sqlx::{QueryBuilder, Row};
use ventros_app::error::AppResult;
use ventros_app::page::{Page, PageRequest};
use ventros_app::ports::{ConversationFilter, ConversationStore, MessageFilter};
use ventros_domain::chat::{Chat, Participant};
use ventros_domain::ids::{ChatId, MessageId, SessionId};
use ventros_domain::message::Message;
use ventros_domain::session::Session;
use ventros_domain::tenancy::Scope;

/// Appends the chat/session filters on contact, channel and a time range of `time_col`.
fn conversation_filters(q: &mut QueryBuilder<Db>, f: &ConversationFilter, time_col: &str) {
    if let Some(c) = f.contact_id {
        q.push(" AND contact_id = ").push_bind(c.0);
    }
    if let Some(c) = f.channel_id {
        q.push(" AND channel_id = ").push_bind(c.0);
    }
    if let Some(a) = f.after {
        q.push(format!(" AND {time_col} >= ")).push_bind(Ts(a));
    }
    if let Some(b) = f.before {
        q.push(format!(" AND {time_col} < ")).push_bind(Ts(b));
    }
}

#[async_trait]
impl ConversationStore for DbStore {
    async fn list_chats(
        &self,
        scope: Scope,
        f: &ConversationFilter,
        page: PageRequest,
    ) -> AppResult<Page<Chat>> {
        let mut q = select_in(CHAT_COLS, "chats", scope);
        conversation_filters(&mut q, f, "created_at");
        paginate(&mut q, "created_at", false, &page);
        let v = self.all(scope.tenant_id, q.build(), rows::chat).await?;
        Ok(page_by(v, page.limit, |c| (c.created_at, c.id.0)))
    }

    async fn get_chat(&self, scope: Scope, id: ChatId) -> AppResult<Option<Chat>> {
        let mut q = by_id_in(CHAT_COLS, "chats", scope, id.0);
        self.one(scope.tenant_id, q.build(), rows::chat).await
    }

    async fn list_participants(&self, scope: Scope, chat: ChatId) -> AppResult<Vec<Participant>> {
        let mut q = select("wa_id, role, left_at", "chat_participants", scope.tenant_id);
        q.push(" AND chat_id = ")
            .push_bind(chat.0)
            .push(" ORDER BY wa_id");
        self.all(scope.tenant_id, q.build(), |r| {
            Ok(Participant {
                wa_id: r.try_get("wa_id")?,
                role: r.try_get("role")?,
                left_at: rows::opt_at(r, "left_at")?,
            })
        })
        .await
    }

    async fn list_sessions(
        &self,
        scope: Scope,
        f: &ConversationFilter,
        page: PageRequest,
    ) -> AppResult<Page<Session>> {
        let mut q = select_in(SESSION_COLS, "sessions", scope);
        conversation_filters(&mut q, f, "started_at");
        if let Some(c) = f.chat_id {
            q.push(" AND chat_id = ").push_bind(c.0);
        }
        if let Some(st) = f.status {
            q.push(" AND status = ").push_bind(st.as_str());
        }
        if let Some(a) = f.agent_id {
            q.push(" AND agent_id = ").push_bind(a.0);
        }
        paginate(&mut q, "started_at", false, &page);
        let v = self.all(scope.tenant_id, q.build(), rows::session).await?;
        Ok(page_by(v, page.limit, |s| (s.started_at, s.id.0)))
    }

    async fn get_session(&self, scope: Scope, id: SessionId) -> AppResult<Option<Session>> {
        let mut q = by_id_in(SESSION_COLS, "sessions", scope, id.0);
        self.one(scope.tenant_id, q.build(), rows::session).await
    }

    async fn find_messages(
        &self,
        scope: Scope,
        f: &MessageFilter,
        page: PageRequest,
    ) -> AppResult<Page<Message>> {
        let mut q = select_in(MESSAGE_COLS, "messages", scope);
        if let Some(v) = f.chat_id {
            q.push(" AND chat_id = ").push_bind(v.0);
        }
        if let Some(v) = f.session_id {
            q.push(" AND session_id = ").push_bind(v.0);
        }
        if let Some(v) = f.contact_id {
            q.push(" AND contact_id = ").push_bind(v.0);
        }
        if let Some(v) = f.channel_id {
            q.push(" AND channel_id = ").push_bind(v.0);
        }
        if let Some(d) = f.direction {
            q.push(" AND direction = ").push_bind(rows::enum_str(&d));
        }
        if let Some(a) = f.sent_after {
            q.push(" AND sent_at >= ").push_bind(Ts(a));
        }
        if let Some(b) = f.sent_before {
            q.push(" AND sent_at < ").push_bind(Ts(b));
        }
        paginate(&mut q, "sent_at", false, &page);
        let v = self.all(scope.tenant_id, q.build(), rows::message).await?;
        Ok(page_by(v, page.limit, |m| (m.sent_at, m.id.0)))
    }

    async fn get_message(&self, scope: Scope, id: MessageId) -> AppResult<Option<Message>> {
        let mut q = by_id_in(MESSAGE_COLS, "messages", scope, id.0);
        self.one(scope.tenant_id, q.build(), rows::message).await
    }
}
