//! Background work: the outbox relay, the job runner, the in-process bus and event consumers. Every worker
//! exposes `run_once()` so tests drive it without sleeping.

mod in_process_bus;
mod job_runner;
mod outbox_relay;
mod timeline;
mod webhook_fan_out;
mod with_sinks;

pub use in_process_bus::InProcessBus;
pub use job_runner::{JobRunner, JobRunnerConfig};
pub use outbox_relay::{OutboxRelay, RelayConfig};
pub use timeline::TimelineConsumer;
pub use webhook_fan_out::WebhookFanOut;
pub use with_sinks::WithSinks;
