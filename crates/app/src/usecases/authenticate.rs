use crate::error::{AppError, AppResult};
use crate::ports::{ApiKeyPrincipal, Store};
use crate::secrets::{API_KEY_PREFIX, hash_api_key};

/// Resolves a bearer token to the tenant, project and role it speaks for.
pub async fn authenticate_api_key(store: &dyn Store, token: &str) -> AppResult<ApiKeyPrincipal> {
    if !token.starts_with(API_KEY_PREFIX) || token.len() > 200 {
        return Err(AppError::Unauthorized);
    }
    store
        .find_api_key(&hash_api_key(token))
        .await?
        .ok_or(AppError::Unauthorized)
}
