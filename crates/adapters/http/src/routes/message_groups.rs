//! Message groups (debounced bursts of a contact's messages).

use crate::AppState;
use crate::auth::Principal;
use crate::dto::ListResponse;
use crate::error::{ApiError, AuthErrors, InputErrors};
use crate::extract::ApiQuery;
use crate::routes::common::page;
use axum::Json;
use axum::extract::State;
use serde::Deserialize;
use ventros_app::usecases::message_groups;
use ventros_domain::ids::ChatId;
use ventros_domain::message_group::{GroupStatus, MessageGroup};

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct GroupsQuery {
    chat_id: Option<ChatId>,
    /// `pending`, `processing`, `completed`, `failed` or `superseded`.
    #[param(inline)]
    status: Option<GroupStatus>,
    /// 1 to 200, default 50.
    #[param(minimum = 1, maximum = 200)]
    limit: Option<u32>,
    cursor: Option<String>,
}

/// List message groups
///
/// Message groups, oldest first.
#[utoipa::path(get, path = "/v1/message-groups", tag = "chats", params(GroupsQuery), responses((status = 200, body = ListResponse<MessageGroup>), AuthErrors, InputErrors), security(("bearer" = [])))]
pub async fn list(
    State(s): State<AppState>,
    p: Principal,
    ApiQuery(q): ApiQuery<GroupsQuery>,
) -> Result<Json<ListResponse<MessageGroup>>, ApiError> {
    let pg = page(q.limit, q.cursor.as_deref())?;
    Ok(Json(
        message_groups::list_message_groups(s.store.as_ref(), &p, q.chat_id, q.status, pg)
            .await?
            .into(),
    ))
}
