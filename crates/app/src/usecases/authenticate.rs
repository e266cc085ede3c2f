//! Turns a bearer credential (API key or access token) into an `Actor`.

use crate::actor::{Actor, Credential};
use crate::error::{AppError, AppResult};
use crate::ports::{AccessStore, Clock};
use crate::secrets::{API_KEY_PREFIX, hash_api_key};
use crate::tokens::TokenService;
use ventros_domain::event::EventContext;
use ventros_domain::ids::{ProjectId, TenantId, UserId};
use ventros_domain::tenancy::Scope;

/// Resolves `Authorization: Bearer <token>`. API keys act in their own project; a user acts
/// in the project of `project` (e.g. from `X-Project-Id`) or else the one in the token,
/// which must belong to the token's tenant either way.
/// A revoked key, a disabled user or an expired token are all `Unauthorized`.
pub async fn authenticate(
    store: &dyn AccessStore,
    clock: &dyn Clock,
    tokens: &TokenService,
    bearer: &str,
    project: Option<ProjectId>,
    ctx: EventContext,
) -> AppResult<Actor> {
    if bearer.is_empty() || bearer.len() > 4096 {
        return Err(AppError::Unauthorized);
    }
    if bearer.starts_with(API_KEY_PREFIX) {
        let k = store
            .find_api_key(&hash_api_key(bearer))
            .await?
            .ok_or(AppError::Unauthorized)?;
        if project.is_some_and(|p| p != k.scope.project_id) {
            return Err(AppError::Forbidden("use an API key outside its project"));
        }
        return Ok(Actor {
            scope: k.scope,
            role: k.role,
            credential: Credential::ApiKey(k.key_id),
            ctx,
        });
    }
    let claims = tokens.verify(bearer, clock.now())?;
    let tenant = TenantId(claims.tid);
    let user = store
        .get_user(tenant, UserId(claims.sub))
        .await?
        .filter(|u| u.disabled_at.is_none())
        .ok_or(AppError::Unauthorized)?;
    // The project acted in must be the tenant's, whether it came from `X-Project-Id` or from
    // the token itself (a token naming another tenant's project is not a valid token).
    let wanted = project.unwrap_or(ProjectId(claims.pid));
    let project_id = store
        .get_project(tenant, wanted)
        .await?
        .ok_or(if project.is_some_and(|p| p.0 != claims.pid) {
            AppError::Forbidden("use a project outside your tenant")
        } else {
            AppError::Unauthorized
        })?
        .id;
    Ok(Actor {
        scope: Scope {
            tenant_id: tenant,
            project_id,
        },
        role: user.role,
        credential: Credential::User(user.id),
        ctx,
    })
}
