//! Redis (`VENTROS_REDIS_URL`): an at-most-once pub/sub sink for events, and rate-limit
//! buckets and login failure windows shared by every instance.

mod connection;
mod sink;
mod throttles;

pub use sink::RedisSink;
pub use throttles::RedisThrottles;
