use async_trait::async_trait;

/// One signed POST to an integrator's endpoint.
#[derive(Debug, Clone, PartialEq)]
pub struct SignedPost {
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

/// What the endpoint answered.
#[derive(Debug, Clone, PartialEq)]
pub struct EndpointAnswer {
    pub status: u16,
    /// The first 1 KiB of the body (lossy UTF-8).
    pub excerpt: String,
}

/// Why no answer came.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PostError {
    /// The URL resolves to an address webhooks may not reach (loopback, private, …).
    #[error("blocked_address: {0}")]
    BlockedAddress(String),
    #[error("timeout")]
    Timeout,
    #[error("connect: {0}")]
    Connect(String),
    #[error("{0}")]
    Other(String),
}

/// Sends webhooks: no redirects followed, the answer read up to a cap, the target's
/// addresses checked when it is connected to.
#[async_trait]
pub trait WebhookSender: Send + Sync {
    async fn post(&self, req: &SignedPost) -> Result<EndpointAnswer, PostError>;
    /// Resolves the URL's host and checks its addresses, as a delivery would.
    async fn check_target(&self, url: &str) -> Result<(), PostError>;
}
