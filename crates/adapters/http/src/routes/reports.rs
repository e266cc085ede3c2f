//! Reports over session metrics: aggregates with percentiles, a CSV export, live counts.

use crate::AppState;
use crate::auth::Principal;
use crate::error::{ApiError, AuthErrors, InputErrors};
use crate::extract::ApiQuery;
use axum::Json;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use ventros_app::ports::{LiveCounts, ReportFilter};
use ventros_app::usecases::reports::{self, GroupBy, ReportQuery, SessionReport};
use ventros_domain::ids::{AgentId, ChannelId, PipelineId};

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SessionReportQuery {
    channel_id: Option<ChannelId>,
    /// Only what this agent is credited with.
    agent_id: Option<AgentId>,
    /// Sessions whose contact is in this pipeline.
    pipeline_id: Option<PipelineId>,
    /// Sessions started at or after this time.
    from: Option<DateTime<Utc>>,
    /// Sessions started before this time.
    to: Option<DateTime<Utc>>,
    /// One row per `agent`, `channel`, `day`, `week` (starting Monday) or `month` (UTC).
    #[param(inline)]
    group_by: Option<GroupBy>,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SessionCsvQuery {
    channel_id: Option<ChannelId>,
    /// Only sessions this agent is credited with.
    agent_id: Option<AgentId>,
    pipeline_id: Option<PipelineId>,
    /// Sessions started at or after this time.
    from: Option<DateTime<Utc>>,
    /// Sessions started before this time.
    to: Option<DateTime<Utc>>,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct LiveQuery {
    channel_id: Option<ChannelId>,
}

fn filter(
    channel_id: Option<ChannelId>,
    pipeline_id: Option<PipelineId>,
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
) -> ReportFilter {
    ReportFilter {
        channel_id,
        pipeline_id,
        from,
        to,
    }
}

/// Session figures, aggregated
///
/// Figures of ended sessions (count, sum, mean, max, p50, p90 in seconds), in total and per
/// group. Definitions in docs/METRICS.md.
#[utoipa::path(get, path = "/v1/reports/sessions", tag = "reports", params(SessionReportQuery), responses((status = 200, body = SessionReport), AuthErrors, InputErrors), security(("bearer" = [])))]
pub async fn sessions(
    State(s): State<AppState>,
    p: Principal,
    ApiQuery(q): ApiQuery<SessionReportQuery>,
) -> Result<Json<SessionReport>, ApiError> {
    let rq = ReportQuery {
        filter: filter(q.channel_id, q.pipeline_id, q.from, q.to),
        agent_id: q.agent_id,
        group_by: q.group_by,
    };
    Ok(Json(
        reports::session_report(s.store.as_ref(), &p, &rq).await?,
    ))
}

/// Session figures as CSV
///
/// One CSV row per ended session with its figures; the header names the columns.
#[utoipa::path(get, path = "/v1/reports/sessions.csv", tag = "reports", params(SessionCsvQuery), responses((status = 200, description = "text/csv, one row per session", content_type = "text/csv", body = String), AuthErrors, InputErrors), security(("bearer" = [])))]
pub async fn sessions_csv(
    State(s): State<AppState>,
    p: Principal,
    ApiQuery(q): ApiQuery<SessionCsvQuery>,
) -> Result<Response, ApiError> {
    let rq = ReportQuery {
        filter: filter(q.channel_id, q.pipeline_id, q.from, q.to),
        agent_id: q.agent_id,
        group_by: None,
    };
    let csv = reports::session_csv(s.store.as_ref(), &p, &rq).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"sessions.csv\"",
            ),
        ],
        csv,
    )
        .into_response())
}

/// Live session counts
///
/// Active sessions now: how many, how many with no agent, how many waiting for an answer.
#[utoipa::path(get, path = "/v1/reports/live", tag = "reports", params(LiveQuery), responses((status = 200, body = LiveCounts), AuthErrors, InputErrors), security(("bearer" = [])))]
pub async fn live(
    State(s): State<AppState>,
    p: Principal,
    ApiQuery(q): ApiQuery<LiveQuery>,
) -> Result<Json<LiveCounts>, ApiError> {
    Ok(Json(
        reports::live_counts(s.store.as_ref(), &p, q.channel_id).await?,
    ))
}
