//! Login and the caller's own identity.

use crate::AppState;
use crate::auth::Principal;
use crate::dto::{LoginIn, MeOut, TokenOut, UserOut};
use crate::error::{ApiError, AuthErrors, BodyErrors, ErrorBody, InputErrors};
use crate::extract::{ApiJson, ClientAddr};
use axum::Json;
use axum::extract::State;
use ventros_app::actor::Credential;
use ventros_app::usecases::{login, users};

/// Log in with email and password
///
/// Exchanges email and password for an access token (HS256 JWT). After repeated failures
/// the account is locked for a while; logins are also limited per client address and in
/// all (429 with `Retry-After`).
#[utoipa::path(post, path = "/v1/auth/login", tag = "auth", request_body = LoginIn, responses((status = 200, description = "Access token", body = TokenOut), (status = 401, description = "Wrong email or password", body = ErrorBody), (status = 429, description = "Too many failed logins for this account, or too many logins from this address or in all", body = ErrorBody), InputErrors, BodyErrors))]
pub async fn login(
    State(s): State<AppState>,
    ClientAddr(addr): ClientAddr,
    body: Result<ApiJson<LoginIn>, ApiError>,
) -> Result<Json<TokenOut>, ApiError> {
    s.login_limits.check(addr, s.clock.now()).await?;
    // Credentials with NUL match no account: the same answer as any wrong password.
    let ApiJson(b) = body.map_err(|e| match e {
        ApiError::NulCharacter { .. } => ApiError::App(ventros_app::AppError::Unauthorized),
        other => other,
    })?;
    let t = login::login(
        s.store.as_ref(),
        s.clock.as_ref(),
        &s.auth,
        &b.email,
        &b.password,
    )
    .await?;
    Ok(Json(TokenOut {
        access_token: t.access_token,
        token_type: t.token_type.into(),
        expires_in: t.expires_in,
    }))
}

/// Who the caller is
///
/// Who the credential belongs to: tenant, project, role and its permissions.
#[utoipa::path(get, path = "/v1/me", tag = "auth", responses((status = 200, body = MeOut), AuthErrors), security(("bearer" = [])))]
pub async fn me(State(s): State<AppState>, p: Principal) -> Result<Json<MeOut>, ApiError> {
    let (user, api_key_id) = match p.credential {
        Credential::User(id) => (
            Some(UserOut::from(
                users::get_user(s.store.as_ref(), &p, id).await?,
            )),
            None,
        ),
        Credential::ApiKey(k) => (None, Some(k)),
        Credential::System => (None, None),
    };
    Ok(Json(MeOut {
        tenant_id: p.scope.tenant_id,
        project_id: p.scope.project_id,
        role: p.role,
        permissions: p.role.permissions(),
        user,
        api_key_id,
    }))
}
