//! Users of the tenant (admins only).

use crate::AppState;
use crate::auth::Principal;
use crate::dto::{CreateUserIn, ListResponse, PageQuery, UserOut};
use crate::error::{ApiError, AuthErrors, BodyErrors, ConflictError, InputErrors, NotFoundError};
use crate::extract::{ApiJson, ApiQuery, path_id};
use crate::routes::common::page_of;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use ventros_app::usecases::users::{self, CreateUser};

/// Create a user
#[utoipa::path(post, path = "/v1/users", tag = "users", request_body = CreateUserIn, responses((status = 201, description = "User created", body = UserOut), AuthErrors, ConflictError, InputErrors, BodyErrors), security(("bearer" = [])))]
pub async fn create(
    State(s): State<AppState>,
    p: Principal,
    ApiJson(b): ApiJson<CreateUserIn>,
) -> Result<(StatusCode, Json<UserOut>), ApiError> {
    let u = users::create_user(
        s.store.as_ref(),
        s.clock.as_ref(),
        s.auth.passwords.as_ref(),
        &p,
        CreateUser {
            email: b.email,
            password: b.password,
            name: b.name,
            role: b.role,
        },
    )
    .await?;
    Ok((StatusCode::CREATED, Json(u.into())))
}

/// List users
#[utoipa::path(get, path = "/v1/users", tag = "users", params(PageQuery), responses((status = 200, body = ListResponse<UserOut>), AuthErrors, InputErrors), security(("bearer" = [])))]
pub async fn list(
    State(s): State<AppState>,
    p: Principal,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> Result<Json<ListResponse<UserOut>>, ApiError> {
    let pg = users::list_users(s.store.as_ref(), &p, page_of(&q)?).await?;
    Ok(Json(ListResponse {
        data: pg.data.into_iter().map(UserOut::from).collect(),
        next_cursor: pg.next_cursor,
    }))
}

/// Get a user
#[utoipa::path(get, path = "/v1/users/{id}", tag = "users", params(("id" = String, Path, description = "User id")), responses((status = 200, body = UserOut), AuthErrors, NotFoundError), security(("bearer" = [])))]
pub async fn get(
    State(s): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
) -> Result<Json<UserOut>, ApiError> {
    let id = path_id(&id, "user")?;
    Ok(Json(
        users::get_user(s.store.as_ref(), &p, id.into())
            .await?
            .into(),
    ))
}

/// Disable a user
///
/// Disables the user: login fails and the user's tokens stop working at once.
#[utoipa::path(post, path = "/v1/users/{id}/disable", tag = "users", params(("id" = String, Path, description = "User id")), responses((status = 200, body = UserOut), AuthErrors, NotFoundError, InputErrors), security(("bearer" = [])))]
pub async fn disable(
    State(s): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
) -> Result<Json<UserOut>, ApiError> {
    let id = path_id(&id, "user")?;
    let u = users::disable_user(s.store.as_ref(), s.clock.as_ref(), &p, id.into()).await?;
    Ok(Json(u.into()))
}
