//! `bench send`: text messages sent through Ventros' send saga to the WAHA simulator, against
//! the simulator's own ceiling: the same WAHA calls (reserve an id where the engine can, then
//! send) made directly with the same client and as many callers as the saga has runners.

use crate::db::{BODY, Db, ingest_one, tenant_and_channel};
use crate::measure::{Measure, drive, ms};
use anyhow::{Context, bail};
use chrono::Utc;
use std::sync::Arc;
use std::time::Instant;
use ventros_app::actor::Actor;
use ventros_app::ports::{
    Clock, GatewayTarget, MediaStore, SendBody, SendRequest, Store, SystemClock, WebhookChannel,
    WhatsAppGateway,
};
use ventros_app::usecases::create_channel::{CreateChannel, create_channel};
use ventros_app::usecases::send_message::{Outgoing, send_to_chat};
use ventros_domain::ids::ChatId;
use ventros_domain::outbound::OutboundContent;
use ventros_domain::tenancy::Scope;
use ventros_waha::sim::{EchoTiming, Engine, Served, SimConfig, Simulator};
use ventros_waha::{ClientConfig, WahaClient, sample};
use ventros_workers::{JobRunner, JobRunnerConfig};

/// A channel's pacing cap (`max_messages_per_minute`) at its highest: the bench measures the
/// saga, not the pacing, so every channel takes at most this many of the run's sends.
const MAX_PER_MINUTE: usize = 1_000;

/// A simulator of the engine that posts nothing back (no webhook is set, no echo).
async fn simulator(engine: Engine) -> anyhow::Result<Served> {
    let sim = Simulator::spawn(
        SimConfig {
            engine,
            ..SimConfig::default()
        },
        "127.0.0.1:0",
    )
    .await?;
    sim.sim.set_echo(EchoTiming::Never);
    Ok(sim)
}

fn target(sim: &str) -> GatewayTarget {
    GatewayTarget {
        base_url: sim.into(),
        api_key: SimConfig::default().api_key,
        session: SimConfig::default().session,
    }
}

fn text(chat: String, reserved_id: Option<String>) -> SendRequest {
    SendRequest {
        chat_id: chat,
        body: SendBody::Text {
            text: BODY.into(),
            link_preview: false,
            mentions: Vec::new(),
        },
        reply_to: None,
        reserved_id,
    }
}

/// `channels` channels on the simulator's session, active and allowed the highest pace.
async fn channels_on(
    store: &Arc<dyn Store>,
    scope: Scope,
    sim: &str,
    channels: usize,
) -> anyhow::Result<Vec<WebhookChannel>> {
    let actor = Actor::system(scope, "bench");
    let mut out = Vec::new();
    for i in 0..channels {
        let mut c = create_channel(
            store.as_ref(),
            &SystemClock,
            &actor,
            CreateChannel {
                name: format!("bench {i}"),
                waha_base_url: sim.into(),
                waha_api_key: SimConfig::default().api_key,
                waha_session: SimConfig::default().session,
                ..Default::default()
            },
        )
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
        c.max_messages_per_minute = MAX_PER_MINUTE as i64;
        store
            .update_channel(&c, &[])
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        // What `POST /v1/channels/{id}/activate` records once its checks pass.
        let event = actor.event(
            ventros_domain::event::EventType::ChannelActivated,
            c.id.0,
            Utc::now(),
            serde_json::json!({"channel_id": c.id}),
        );
        store
            .set_channel_activated(scope, c.id, Some(Utc::now()), Some("WORKING"), &event)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        out.push(
            store
                .webhook_channel(c.id)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?
                .context("channel vanished")?,
        );
    }
    Ok(out)
}

/// One customer chat per send (sends of one chat leave one after the other), each opened by
/// the customer's message through the ingest use case.
async fn chats(
    store: &Arc<dyn Store>,
    scope: Scope,
    channels: &[WebhookChannel],
    n: usize,
) -> anyhow::Result<Vec<ChatId>> {
    let now = Utc::now().timestamp();
    for i in 0..n {
        let body = sample::text_message(
            Some(&format!("evt_send_{i}")),
            &format!("5531{i:09}"),
            &format!("ASK{i:08}"),
            false,
            "Posso pagar com Pix?",
            now,
        );
        ingest_one(
            store.as_ref(),
            &SystemClock,
            &channels[i % channels.len()],
            &body,
        )
        .await?;
    }
    let mut ids = Vec::new();
    for c in channels {
        let page = store
            .list_chats(
                scope,
                &ventros_app::ports::ConversationFilter {
                    channel_id: Some(c.channel_id),
                    ..Default::default()
                },
                ventros_app::page::PageRequest::first(u32::try_from(n)?),
            )
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        ids.extend(page.data.into_iter().map(|c| c.id));
    }
    if ids.len() != n {
        bail!("{} chats for {n} customers", ids.len());
    }
    Ok(ids)
}

async fn look_at_pictures(
    store: &Arc<dyn Store>,
    gateway: &Arc<dyn WhatsAppGateway>,
) -> anyhow::Result<()> {
    let dir = std::env::temp_dir().join(format!("ventros-bench-media-{}", uuid::Uuid::new_v4()));
    let media: Arc<dyn MediaStore> =
        Arc::new(ventros_media::ObjectMedia::local(&dir).map_err(|e| anyhow::anyhow!("{e}"))?);
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let r =
        JobRunner::new(store.clone(), clock.clone(), JobRunnerConfig::default()).handle(Arc::new(
            ventros_app::usecases::profile_picture::ProfilePictureHandler {
                store: store.clone(),
                gateway: gateway.clone(),
                media,
                clock,
                refresh_hours: 24,
                max_bytes: ventros_domain::media::DEFAULT_MAX_BYTES,
            },
        ));
    r.run_until_idle()
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let _ = std::fs::remove_dir_all(dir);
    Ok(())
}

/// Sends `messages` texts through the saga with `workers` job runners, and the same WAHA calls
/// directly with as many callers.
pub async fn send(
    backend: &str,
    messages: usize,
    channels: usize,
    workers: usize,
    engine: &str,
    pg_admin: Option<&str>,
) -> anyhow::Result<String> {
    let engine = Engine::parse(engine).context("engine: noweb, gows or webjs")?;
    if messages > channels * MAX_PER_MINUTE {
        bail!("at most {MAX_PER_MINUTE} sends per channel a minute: raise --channels");
    }
    let mut out = format!(
        "bench send: backend={backend} engine={engine:?} messages={messages} channels={channels} workers={workers}\n"
    );
    let gateway: Arc<dyn WhatsAppGateway> =
        Arc::new(WahaClient::new(ClientConfig::default()).map_err(|e| anyhow::anyhow!("{e}"))?);

    // The simulator's ceiling: the WAHA calls of each send, made directly.
    let ceiling = {
        let sim = simulator(engine).await?;
        let t = Arc::new(target(&sim.base_url()));
        let gw = gateway.clone();
        let m = drive(messages, workers, move |i| {
            let (t, gw) = (t.clone(), gw.clone());
            async move {
                let reserved = gw
                    .new_message_id(&t)
                    .await
                    .map_err(|e| anyhow::anyhow!("{e}"))?;
                gw.send(&t, &text(format!("5531{i:09}@c.us"), reserved))
                    .await
                    .map_err(|e| anyhow::anyhow!("{e}"))?;
                Ok(())
            }
        })
        .await?;
        if sim.sim.sent().len() != messages {
            bail!("the simulator got {} of {messages}", sim.sim.sent().len());
        }
        m
    };

    // Ventros: queue every send through the use case, then let the saga's runners drain them.
    let sim = simulator(engine).await?;
    let (db, _) = Db::open(backend, pg_admin).await?;
    let store = db.store();
    let (scope, _) = tenant_and_channel(store.as_ref()).await?;
    let chs = channels_on(&store, scope, &sim.base_url(), channels).await?;
    let chat_ids = Arc::new(chats(&store, scope, &chs, messages).await?);
    // The customers' new sessions armed a look at each profile picture: done before the
    // measured part, so the runners then run nothing but sends.
    look_at_pictures(&store, &gateway).await?;
    let queue = {
        let (store, chat_ids) = (store.clone(), chat_ids.clone());
        drive(messages, workers, move |i| {
            let (store, chat_ids) = (store.clone(), chat_ids.clone());
            async move {
                let actor = Actor::system(scope, "bench");
                let out = Outgoing {
                    content: OutboundContent::Text {
                        text: BODY.into(),
                        mentions: Vec::new(),
                        link_preview: false,
                    },
                    reply_to: None,
                };
                send_to_chat(store.as_ref(), &SystemClock, &actor, chat_ids[i], out)
                    .await
                    .map_err(|e| anyhow::anyhow!("{e}"))?;
                Ok(())
            }
        })
        .await?
    };
    let media_dir =
        std::env::temp_dir().join(format!("ventros-bench-media-{}", uuid::Uuid::new_v4()));
    let media: Arc<dyn MediaStore> = Arc::new(
        ventros_media::ObjectMedia::local(&media_dir).map_err(|e| anyhow::anyhow!("{e}"))?,
    );
    let runners = || {
        (0..workers.max(1))
            .map(|_| {
                ventros_app::usecases::gateway_handlers(
                    store.clone(),
                    gateway.clone(),
                    media.clone(),
                    Arc::new(SystemClock) as Arc<dyn Clock>,
                    ventros_domain::media::DEFAULT_MAX_BYTES,
                    24,
                )
                .into_iter()
                .fold(
                    JobRunner::new(
                        store.clone(),
                        Arc::new(SystemClock),
                        JobRunnerConfig::default(),
                    ),
                    JobRunner::handle,
                )
            })
            .collect::<Vec<_>>()
    };
    let started = Instant::now();
    let mut tasks = Vec::new();
    for r in runners() {
        tasks.push(tokio::spawn(async move { r.run_until_idle().await }));
    }
    for t in tasks {
        t.await?.map_err(|e| anyhow::anyhow!("{e}"))?;
    }
    let drained = started.elapsed();
    let _ = std::fs::remove_dir_all(&media_dir);
    let delivered = sim.sim.sent().len();
    db.close().await;
    if delivered != messages {
        bail!("the simulator got {delivered} of {messages} sends (each exactly once)");
    }
    let saga = Measure {
        count: messages,
        elapsed: drained,
        p50: Default::default(),
        p99: Default::default(),
    };
    out.push_str(&format!(
        "queue (POST …/messages use case): {:>7.0} msg/s (p50 {:>6.2} ms, p99 {:>6.2} ms)\n",
        queue.rate(),
        ms(queue.p50),
        ms(queue.p99)
    ));
    out.push_str(&format!(
        "saga (queued → sent, {delivered} WhatsApp messages, each once): {:>7.0} msg/s in {:.1} s\n",
        saga.rate(),
        drained.as_secs_f64()
    ));
    out.push_str(&format!(
        "ceiling (the same WAHA calls, direct): {:>7.0} msg/s (p50 {:>6.2} ms, p99 {:>6.2} ms) | saga throughput {:.2}x the ceiling\n",
        ceiling.rate(),
        ms(ceiling.p50),
        ms(ceiling.p99),
        saga.rate() / ceiling.rate().max(1e-9)
    ));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn send_bench_sends_every_message_once_on_sqlite() {
        let report = send("sqlite", 30, 2, 2, "noweb", None)
            .await
            .map_err(|e| e.to_string());
        let report = report.unwrap_or_else(|e| panic!("{e}"));
        assert!(
            report.contains("30 WhatsApp messages, each once"),
            "{report}"
        );
        assert!(report.contains("x the ceiling"), "{report}");
    }
}
