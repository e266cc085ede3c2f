//! `GET /v1/events/stream`: the event feed as Server-Sent Events. The stream reads the feed
//! from its position on, a page at a time, and waits a second when it has caught up; every
//! event carries its id, so a client that reconnects with `Last-Event-ID` loses nothing.

use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::Stream;
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;
use ventros_app::page::PageRequest;
use ventros_app::ports::{EventFilter, Store};
use ventros_domain::event::EventEnvelope;
use ventros_domain::tenancy::Scope;

/// How long the stream waits before looking again once it has caught up.
const POLL: Duration = Duration::from_secs(1);
const PAGE: u32 = 100;

struct Feed {
    store: Arc<dyn Store>,
    scope: Scope,
    filter: EventFilter,
    pending: std::collections::VecDeque<EventEnvelope>,
}

fn sse_event(e: &EventEnvelope) -> Event {
    let data = serde_json::to_string(e).unwrap_or_else(|_| "{}".into());
    Event::default()
        .id(e.id.to_string())
        .event(e.event_type.clone())
        .data(data)
}

impl Feed {
    /// The next event, waiting for one when the feed has none; `None` ends the stream
    /// (the store failed: the client reconnects with its `Last-Event-ID`).
    async fn next(&mut self) -> Option<EventEnvelope> {
        loop {
            if let Some(e) = self.pending.pop_front() {
                return Some(e);
            }
            let page = self
                .store
                .list_events(self.scope, &self.filter, PageRequest::first(PAGE))
                .await
                .ok()?;
            if let Some(last) = page.data.last() {
                let pos = self
                    .store
                    .event_position(self.scope, last.id)
                    .await
                    .ok()??;
                self.filter.after_position = Some(pos);
                self.pending.extend(page.data);
            } else {
                tokio::time::sleep(POLL).await;
            }
        }
    }
}

/// The stream of the tenant's events after `filter`'s position.
pub fn sse(
    store: Arc<dyn Store>,
    scope: Scope,
    filter: EventFilter,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let feed = Feed {
        store,
        scope,
        filter,
        pending: Default::default(),
    };
    let stream = futures_util::stream::unfold(feed, |mut f| async move {
        let e = f.next().await?;
        Some((Ok(sse_event(&e)), f))
    });
    Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
}
