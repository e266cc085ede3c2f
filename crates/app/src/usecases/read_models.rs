//! Reads for the API: each missing or foreign id is the same `NotFound`.

use crate::error::{AppError, AppResult};
use crate::page::{Page, PageRequest};
use crate::ports::{ChatFilter, ContactEventFilter, SessionFilter, Store};
use ventros_domain::channel::Channel;
use ventros_domain::chat::Chat;
use ventros_domain::contact::Contact;
use ventros_domain::ids::{ChannelId, ChatId, ContactId};
use ventros_domain::message::Message;
use ventros_domain::phone::Phone;
use ventros_domain::session::Session;
use ventros_domain::tenancy::Scope;
use ventros_domain::timeline::ContactEvent;

pub async fn get_channel(store: &dyn Store, scope: Scope, id: ChannelId) -> AppResult<Channel> {
    store
        .get_channel(scope, id)
        .await?
        .ok_or(AppError::NotFound("channel"))
}

pub async fn get_contact(store: &dyn Store, scope: Scope, id: ContactId) -> AppResult<Contact> {
    store
        .get_contact(scope, id)
        .await?
        .ok_or(AppError::NotFound("contact"))
}

pub async fn list_contacts(
    store: &dyn Store,
    scope: Scope,
    phone: Option<&str>,
    page: PageRequest,
) -> AppResult<Page<Contact>> {
    let phone = phone.map(Phone::parse).transpose()?;
    store.list_contacts(scope, phone.as_ref(), page).await
}

pub async fn list_chats(
    store: &dyn Store,
    scope: Scope,
    f: &ChatFilter,
    page: PageRequest,
) -> AppResult<Page<Chat>> {
    store.list_chats(scope, f, page).await
}

pub async fn get_chat(store: &dyn Store, scope: Scope, id: ChatId) -> AppResult<Chat> {
    store
        .get_chat(scope, id)
        .await?
        .ok_or(AppError::NotFound("chat"))
}

pub async fn list_chat_messages(
    store: &dyn Store,
    scope: Scope,
    chat: ChatId,
    page: PageRequest,
) -> AppResult<Page<Message>> {
    get_chat(store, scope, chat).await?;
    store.list_messages(scope, chat, page).await
}

pub async fn list_sessions(
    store: &dyn Store,
    scope: Scope,
    f: &SessionFilter,
    page: PageRequest,
) -> AppResult<Page<Session>> {
    store.list_sessions(scope, f, page).await
}

pub async fn list_contact_events(
    store: &dyn Store,
    scope: Scope,
    contact: ContactId,
    f: &ContactEventFilter,
    page: PageRequest,
) -> AppResult<Page<ContactEvent>> {
    get_contact(store, scope, contact).await?;
    store.list_contact_events(scope, contact, f, page).await
}
