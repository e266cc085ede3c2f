use crate::error::AppResult;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use ventros_domain::event::EventEnvelope;
use ventros_domain::ids::{ChannelId, PipelineId, SessionId};
use ventros_domain::metrics::{MetricInterval, MetricMessage, SessionMetrics};
use ventros_domain::session::Session;
use ventros_domain::tenancy::Scope;

/// What session metrics are computed from: the session's messages and assignment intervals
/// (with each agent's kind).
#[derive(Debug, Clone, Default)]
pub struct MetricInputs {
    pub messages: Vec<MetricMessage>,
    pub intervals: Vec<MetricInterval>,
}

/// Which ended sessions a report covers.
#[derive(Debug, Clone, Default)]
pub struct ReportFilter {
    pub channel_id: Option<ChannelId>,
    /// Sessions whose contact is in this pipeline.
    pub pipeline_id: Option<PipelineId>,
    /// `started_at` at or after.
    pub from: Option<DateTime<Utc>>,
    /// `started_at` before.
    pub to: Option<DateTime<Utc>>,
}

/// Sessions right now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, utoipa::ToSchema)]
pub struct LiveCounts {
    pub active: i64,
    /// Active sessions with no agent on duty.
    pub unassigned: i64,
    /// Active sessions whose contact's latest message has no reply yet.
    pub waiting_for_answer: i64,
    /// When the longest-waiting of those contacts wrote.
    pub oldest_waiting_since: Option<DateTime<Utc>>,
}

/// Session metrics: inputs, finalised figures, reports.
#[async_trait]
pub trait MetricsStore: Send + Sync {
    async fn metric_inputs(&self, scope: Scope, id: SessionId) -> AppResult<MetricInputs>;
    /// Stores the figures of an ended session if it still ended at `ended_at` (not reopened
    /// meanwhile), with the event when one is given; `false` otherwise.
    async fn save_metrics(
        &self,
        scope: Scope,
        id: SessionId,
        ended_at: DateTime<Utc>,
        metrics: &SessionMetrics,
        event: Option<&EventEnvelope>,
    ) -> AppResult<bool>;
    /// Ended sessions of every tenant after `after` (by id), for recomputation.
    async fn ended_sessions(
        &self,
        after: Option<SessionId>,
        limit: u32,
    ) -> AppResult<Vec<(Scope, SessionId)>>;
    /// Ended sessions with figures, in the scope, matching the filter, after `after` (by id).
    async fn report_sessions(
        &self,
        scope: Scope,
        filter: &ReportFilter,
        after: Option<SessionId>,
        limit: u32,
    ) -> AppResult<Vec<Session>>;
    async fn live_counts(&self, scope: Scope, channel: Option<ChannelId>) -> AppResult<LiveCounts>;
}
