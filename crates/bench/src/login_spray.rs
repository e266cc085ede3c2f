//! `ventros-bench login-spray`: webhook latency while a client sprays logins with wrong
//! passwords, against the same webhooks without the spray, in one run on one database. Each
//! failed login costs a password hash; the question is whether that work reaches the
//! requests that matter (WAHA's webhooks).

use crate::db::{BODY, Db, tenant_and_channel};
use crate::measure::{Measure, drive, ms};
use anyhow::bail;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use tokio::sync::Mutex;
use ventros_server::config::Config;
use ventros_waha::sample;

/// Posts `n` distinct webhooks (ids offset by `from`) with `concurrency` clients.
async fn webhooks(
    client: &reqwest::Client,
    endpoint: &str,
    from: usize,
    n: usize,
    concurrency: usize,
) -> anyhow::Result<Measure> {
    let (client, endpoint) = (client.clone(), endpoint.to_string());
    drive(n, concurrency, move |i| {
        let (client, endpoint) = (client.clone(), endpoint.clone());
        let i = from + i;
        async move {
            let body = sample::text_message(
                Some(&format!("evt_spray_{i}")),
                &format!("5511{:09}", i % 200),
                &format!("SPRAY{i:08}"),
                false,
                BODY,
                1_700_000_000 + i as i64,
            );
            let r = client
                .post(&endpoint)
                .header("content-type", "application/json")
                .body(body)
                .send()
                .await?;
            if !r.status().is_success() {
                bail!("webhook answered {}", r.status());
            }
            Ok(())
        }
    })
    .await
}

/// `unlimited` lifts the login rate limits, leaving the hashing pool alone between the
/// spray and the webhooks (as against a spray from very many addresses).
pub async fn login_spray(
    messages: usize,
    concurrency: usize,
    attackers: usize,
    unlimited: bool,
) -> anyhow::Result<String> {
    let (db, url) = Db::open("sqlite", None).await?;
    let store = db.store();
    let (_, channel) = tenant_and_channel(store.as_ref()).await?;
    let mut cfg = Config::for_database(&url, "127.0.0.1:0");
    if unlimited {
        cfg.login_per_minute_per_address = 1_000_000;
        cfg.login_per_minute = 1_000_000;
    }
    let running = db.serve_http(&cfg).await?;
    let base = running.base_url();
    let endpoint = format!("{base}/webhooks/waha/{}", channel.channel_id);
    let client = reqwest::Client::new();

    // Warm up, then the baseline: webhooks alone.
    webhooks(&client, &endpoint, 0, messages / 10, concurrency).await?;
    let quiet = webhooks(&client, &endpoint, messages, messages, concurrency).await?;

    // The same webhooks while `attackers` clients post logins as fast as they are answered,
    // each for a different unknown email (so no per-account lock stops them).
    let stop = Arc::new(AtomicBool::new(false));
    let statuses = Arc::new(Mutex::new(BTreeMap::<u16, usize>::new()));
    let mut spray = Vec::new();
    for a in 0..attackers {
        let (client, stop, statuses) = (client.clone(), stop.clone(), statuses.clone());
        let login = format!("{base}/v1/auth/login");
        spray.push(tokio::spawn(async move {
            let mut n = 0usize;
            while !stop.load(Ordering::Relaxed) {
                let body = serde_json::json!({
                    "email": format!("nobody-{a}-{n}@spray.example"),
                    "password": "wrong password, again",
                });
                n += 1;
                if let Ok(r) = client.post(&login).json(&body).send().await {
                    *statuses
                        .lock()
                        .await
                        .entry(r.status().as_u16())
                        .or_default() += 1;
                }
            }
        }));
    }
    let started = std::time::Instant::now();
    let sprayed = webhooks(&client, &endpoint, 2 * messages, messages, concurrency).await?;
    let spray_secs = started.elapsed().as_secs_f64();
    stop.store(true, Ordering::Relaxed);
    for t in spray {
        t.await?;
    }
    running.stop().await;
    db.close().await;

    let statuses = statuses.lock().await.clone();
    let logins: usize = statuses.values().sum();
    let answered = statuses
        .iter()
        .map(|(s, n)| format!("{s}: {n}"))
        .collect::<Vec<_>>()
        .join(", ");
    Ok(format!(
        "login spray (SQLite, {messages} webhooks, {concurrency} webhook clients, {attackers} login clients, login limits {})\n\
         webhooks alone       p50 {:>7.2} ms  p99 {:>7.2} ms  {:>7.0}/s\n\
         during the spray     p50 {:>7.2} ms  p99 {:>7.2} ms  {:>7.0}/s\n\
         p99 ratio (spray / alone): {:.2}x   throughput ratio: {:.2}x\n\
         logins tried: {logins} ({:.0}/s); answers: {answered}",
        if unlimited { "lifted" } else { "default" },
        ms(quiet.p50),
        ms(quiet.p99),
        quiet.rate(),
        ms(sprayed.p50),
        ms(sprayed.p99),
        sprayed.rate(),
        ms(sprayed.p99) / ms(quiet.p99).max(1e-6),
        sprayed.rate() / quiet.rate().max(1e-6),
        logins as f64 / spray_secs.max(1e-6),
    ))
}
