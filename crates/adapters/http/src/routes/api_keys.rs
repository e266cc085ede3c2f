//! API keys of the tenant (admins only).

use crate::AppState;
use crate::auth::Principal;
use crate::dto::{ApiKeyCreatedOut, ApiKeyOut, CreateApiKeyIn, ListResponse, PageQuery};
use crate::error::{ApiError, AuthErrors, BodyErrors, ErrorBody, InputErrors, NotFoundError};
use crate::extract::{ApiJson, ApiQuery, path_id};
use crate::routes::common::page_of;
use crate::shown_once::ShownOnce;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use ventros_app::usecases::api_keys;

/// Create an API key
///
/// Creates a key for the caller's project. The `key` is in this response only: a retry with
/// the same `Idempotency-Key` answers 409 `secret_already_shown` with the key's id instead.
#[utoipa::path(post, path = "/v1/api-keys", tag = "api_keys", request_body = CreateApiKeyIn, responses((status = 201, description = "Key created; store `key` now", body = ApiKeyCreatedOut), (status = 409, description = "A retry with the same Idempotency-Key: the key exists (`details.id`) but is not shown again", body = ErrorBody), AuthErrors, InputErrors, BodyErrors), security(("bearer" = [])))]
pub async fn create(
    State(s): State<AppState>,
    p: Principal,
    ApiJson(b): ApiJson<CreateApiKeyIn>,
) -> Result<(StatusCode, ShownOnce, Json<ApiKeyCreatedOut>), ApiError> {
    let k =
        api_keys::create_api_key(s.store.as_ref(), s.clock.as_ref(), &p, &b.name, b.role).await?;
    Ok((
        StatusCode::CREATED,
        ShownOnce::new(k.key.id.0, "API key"),
        Json(ApiKeyCreatedOut {
            api_key: k.key.into(),
            key: k.secret,
        }),
    ))
}

/// List API keys
#[utoipa::path(get, path = "/v1/api-keys", tag = "api_keys", params(PageQuery), responses((status = 200, description = "Keys by prefix; never the key itself", body = ListResponse<ApiKeyOut>), AuthErrors, InputErrors), security(("bearer" = [])))]
pub async fn list(
    State(s): State<AppState>,
    p: Principal,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> Result<Json<ListResponse<ApiKeyOut>>, ApiError> {
    let pg = api_keys::list_api_keys(s.store.as_ref(), &p, page_of(&q)?).await?;
    Ok(Json(ListResponse {
        data: pg.data.into_iter().map(ApiKeyOut::from).collect(),
        next_cursor: pg.next_cursor,
    }))
}

/// Revoke an API key
///
/// Revokes a key; requests with it are refused from now on.
#[utoipa::path(delete, path = "/v1/api-keys/{id}", tag = "api_keys", params(("id" = String, Path, description = "API key id")), responses((status = 204, description = "Revoked"), AuthErrors, NotFoundError), security(("bearer" = [])))]
pub async fn revoke(
    State(s): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let id = path_id(&id, "api key")?;
    api_keys::revoke_api_key(s.store.as_ref(), s.clock.as_ref(), &p, id.into()).await?;
    Ok(StatusCode::NO_CONTENT)
}
