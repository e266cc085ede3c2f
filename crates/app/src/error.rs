use thiserror::Error;
use ventros_domain::DomainError;

/// Every way a use case can fail. The HTTP adapter maps each variant to one status and code.
#[derive(Debug, Error)]
pub enum AppError {
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("{message}")]
    Conflict { code: &'static str, message: String },
    #[error("invalid {field}: {reason}")]
    Validation { field: String, reason: String },
    #[error("authentication required")]
    Unauthorized,
    #[error("this role may not {0}")]
    Forbidden(&'static str),
    /// Well-formed input the API refuses for a reason other than a field's value.
    #[error("{message}")]
    Unprocessable { code: &'static str, message: String },
    #[error("too many requests; retry in {retry_after_secs} s")]
    RateLimited { retry_after_secs: u64 },
    #[error("storage unavailable: {0}")]
    Unavailable(String),
    #[error("internal error: {0}")]
    Internal(String),
}

impl From<DomainError> for AppError {
    fn from(e: DomainError) -> Self {
        match e {
            DomainError::Invalid { field, reason } => AppError::Validation {
                field: field.to_string(),
                reason,
            },
        }
    }
}

impl AppError {
    pub fn conflict(code: &'static str, message: impl Into<String>) -> Self {
        AppError::Conflict {
            code,
            message: message.into(),
        }
    }

    pub fn validation(field: impl Into<String>, reason: impl Into<String>) -> Self {
        AppError::Validation {
            field: field.into(),
            reason: reason.into(),
        }
    }
}

pub type AppResult<T> = Result<T, AppError>;
