//! One storage conformance suite, run against every store (SQLite always, PostgreSQL when
//! configured). Each case takes a fresh, migrated, empty store.
#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a test fails loudly on what it did not expect"
)]

pub mod cases_api;
pub mod cases_groups;
pub mod cases_hostile;
pub mod cases_ingest;
pub mod cases_isolation;
pub mod cases_jobs;
pub mod cases_load;
pub mod cases_metrics;
pub mod cases_outbox;
pub mod cases_pipelines;
pub mod cases_tenancy;
pub mod cases_throttles;
pub mod cases_webhooks;
pub mod empty_gateway;
pub mod support;

/// Generates one `#[tokio::test]` per case for a backend. `$make` is an async expression
/// yielding `Option<(Arc<dyn Store>, Guard)>` (None = backend skipped); the guard holds the
/// database and removes it when dropped, whether the case passed or failed.
#[macro_export]
macro_rules! conformance_tests {
    ($make:expr) => {
        $crate::conformance_tests!(@cases $make;
            cases_tenancy::tenant_and_api_key,
            cases_tenancy::channel_roundtrip,
            cases_ingest::text_message_creates_contact_chat_session_message_events,
            cases_ingest::every_webhook_fixture_is_logged_and_answered,
            cases_ingest::duplicate_delivery_changes_nothing,
            cases_ingest::message_and_message_any_are_one_message,
            cases_ingest::early_ack_is_applied_and_acks_are_monotonic,
            cases_ingest::revoke_edit_reaction,
            cases_ingest::changes_before_their_message_are_applied_when_it_lands,
            cases_ingest::session_status_group_call_poll_presence,
            cases_ingest::group_message_keeps_participant_as_sender,
            cases_ingest::media_and_reply_are_stored,
            cases_ingest::from_phone_is_outbound_without_agent,
            cases_ingest::abandoned_ingest_leaves_nothing,
            cases_isolation::tenants_never_see_each_other,
            cases_outbox::outbox_claim_lease_publish,
            cases_outbox::timeline_consumer_is_idempotent,
            cases_load::concurrent_deliveries_of_one_message,
            cases_load::thousand_messages_twice_shuffled,
            cases_api::idempotency_claims,
            cases_api::contact_search_writes_and_soft_delete,
            cases_api::users_keys_and_notes,
            cases_jobs::jobs_lease_fence_retry_and_dead_letter,
            cases_jobs::job_leases_are_renewed_only_for_their_claim,
            cases_jobs::jobs_are_claimed_by_kind,
            cases_jobs::sessions_end_after_inactivity_once,
            cases_jobs::early_timer_is_rescheduled_not_obeyed,
            cases_jobs::two_workers_never_end_a_session_twice,
            cases_jobs::done_jobs_are_pruned_dead_and_pending_stay,
            cases_metrics::metrics_are_final_at_end_and_recompute_identically,
            cases_groups::debounce_groups_bursts_with_window_and_cap,
            cases_pipelines::pipelines_crud_scoped_to_tenant_and_project,
            cases_pipelines::pipeline_overrides_the_session_timeout,
            cases_hostile::hostile_webhooks_get_an_outcome_and_leave_readable_state,
            cases_throttles::throttles_limit_lock_and_prune,
            cases_webhooks::delivery_slots_hold_the_cap_until_released_or_expired,
        );
    };
    (@cases $make:expr; $($path:ident :: $case:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $case() {
                if let Some((store, _guard)) = $make.await {
                    $crate::$path::$case(store).await;
                }
            }
        )*
    };
}
