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
    /// A channel failed its activation checks (each with its finding).
    #[error("the channel is not ready")]
    ChannelNotReady { checks: serde_json::Value },
    /// The WhatsApp gateway refused or could not be reached.
    #[error(transparent)]
    Gateway(#[from] crate::ports::GatewayError),
    #[error("too many requests; retry in {retry_after_secs} s")]
    RateLimited { retry_after_secs: u64 },
    #[error("storage unavailable: {0}")]
    Unavailable(String),
    /// A fault of Ventros or its storage, never of the caller; `source` keeps the cause.
    #[error("internal error: {message}")]
    Internal {
        message: String,
        #[source]
        source: Option<Box<dyn std::error::Error + Send + Sync>>,
    },
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

    /// An internal fault described by `message`.
    pub fn internal(message: impl Into<String>) -> Self {
        AppError::Internal {
            message: message.into(),
            source: None,
        }
    }

    /// An internal fault caused by `source`.
    pub fn internal_from(
        message: impl Into<String>,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> Self {
        AppError::Internal {
            message: message.into(),
            source: Some(Box::new(source)),
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
