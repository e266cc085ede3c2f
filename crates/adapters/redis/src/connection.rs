//! One multiplexed connection, opened on first use and opened again after a failure.

use tokio::sync::Mutex;
use ventros_app::error::{AppError, AppResult};

pub(crate) struct Connection {
    client: redis::Client,
    conn: Mutex<Option<redis::aio::MultiplexedConnection>>,
}

pub(crate) fn unavailable(e: &redis::RedisError) -> AppError {
    AppError::Unavailable(format!("Redis: {e}"))
}

impl Connection {
    pub(crate) fn open(url: &str) -> AppResult<Self> {
        let client = redis::Client::open(url)
            .map_err(|e| AppError::validation("VENTROS_REDIS_URL", e.to_string()))?;
        Ok(Connection {
            client,
            conn: Mutex::new(None),
        })
    }

    pub(crate) async fn get(&self) -> AppResult<redis::aio::MultiplexedConnection> {
        let mut c = self.conn.lock().await;
        if let Some(conn) = c.as_ref() {
            return Ok(conn.clone());
        }
        let conn = self
            .client
            .get_multiplexed_async_connection()
            .await
            .map_err(|e| unavailable(&e))?;
        *c = Some(conn.clone());
        Ok(conn)
    }

    /// Runs `f` on the connection; a failure drops it so the next call reconnects.
    pub(crate) async fn run<T, F, Fut>(&self, f: F) -> AppResult<T>
    where
        F: FnOnce(redis::aio::MultiplexedConnection) -> Fut,
        Fut: std::future::Future<Output = redis::RedisResult<T>>,
    {
        let conn = self.get().await?;
        match f(conn).await {
            Ok(v) => Ok(v),
            Err(e) => {
                *self.conn.lock().await = None;
                Err(unavailable(&e))
            }
        }
    }
}
