//! `ventros-bench ingest`: the real HTTP ingest path against a bare-SQL baseline measured in
//! the same run on the same engine, so the printed ratio means something on a noisy machine.

use crate::db::{BODY, BaselineMessage, Db, tenant_and_channel};
use crate::measure::{Measure, drive, median, ms};
use anyhow::bail;
use chrono::{TimeZone, Utc};
use std::sync::Arc;
use ventros_server::config::Config;
use ventros_waha::sample;

fn phone_digits(i: usize, n: usize) -> String {
    // About five messages per contact, like a real burst of conversations.
    format!("5511{:09}", i % (n / 5).max(1))
}

/// One round of Ventros over HTTP on a fresh database.
async fn measure_http(
    backend: &str,
    n: usize,
    concurrency: usize,
    pg_admin: Option<&str>,
) -> anyhow::Result<Measure> {
    let (db, url) = Db::open(backend, pg_admin).await?;
    let store = db.store();
    let (_, channel) = tenant_and_channel(store.as_ref()).await?;
    let cfg = Config::for_database(&url, "127.0.0.1:0");
    let running = db.serve_http(&cfg).await?;
    let endpoint = format!(
        "{}/webhooks/waha/{}",
        running.base_url(),
        channel.channel_id
    );
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(concurrency)
        .build()?;
    let bodies: Arc<Vec<Vec<u8>>> = Arc::new(
        (0..n)
            .map(|i| {
                sample::text_message(
                    Some(&format!("evt_bench_{i}")),
                    &phone_digits(i, n),
                    &format!("BENCH{i:08}"),
                    false,
                    BODY,
                    1_700_000_000 + i as i64,
                )
            })
            .collect(),
    );
    let m = drive(n, concurrency, move |i| {
        let (client, endpoint, bodies) = (client.clone(), endpoint.clone(), bodies.clone());
        async move {
            let r = client
                .post(&endpoint)
                .header("content-type", "application/json")
                .body(bodies[i].clone())
                .send()
                .await?;
            if !r.status().is_success() {
                bail!("webhook answered {}", r.status());
            }
            let v: serde_json::Value = r.json().await?;
            if v["status"] != "processed" {
                bail!("webhook outcome {v}");
            }
            Ok(())
        }
    })
    .await;
    running.stop().await;
    db.close().await;
    m
}

/// One round of the bare-SQL baseline: same engine, same writes, same concurrency, fresh database.
async fn measure_baseline(
    backend: &str,
    n: usize,
    concurrency: usize,
    pg_admin: Option<&str>,
) -> anyhow::Result<Measure> {
    let (db, _) = Db::open(backend, pg_admin).await?;
    let store = db.store();
    let (scope, channel) = tenant_and_channel(store.as_ref()).await?;
    let ch = channel.channel_id;
    let msgs: Arc<Vec<BaselineMessage>> = Arc::new(
        (0..n)
            .map(|i| {
                let d = phone_digits(i, n);
                BaselineMessage {
                    dedupe_key: format!("evt_base_{i}"),
                    phone: format!("+{d}"),
                    wa_chat_id: format!("{d}@c.us"),
                    raw_id: format!("BASE{i:08}"),
                    body: BODY.into(),
                    at: Utc
                        .timestamp_opt(1_700_000_000 + i as i64, 0)
                        .single()
                        .unwrap_or_default(),
                }
            })
            .collect(),
    );
    let db = Arc::new(db);
    let m = {
        let db = db.clone();
        drive(n, concurrency, move |i| {
            let (db, msgs) = (db.clone(), msgs.clone());
            async move { db.baseline_ingest(scope, ch, &msgs[i]).await }
        })
        .await
    };
    let db = Arc::try_unwrap(db)
        .map_err(|_| anyhow::anyhow!("baseline workers still hold the database"))?;
    db.close().await;
    m
}

/// Alternates Ventros and baseline rounds (so drift on a noisy machine hits both) and reports
/// each round and the median ratio.
pub async fn ingest(
    backend: &str,
    n: usize,
    concurrency: usize,
    rounds: usize,
    pg_admin: Option<&str>,
) -> anyhow::Result<String> {
    let mut out = format!(
        "bench ingest: backend={backend} messages={n} concurrency={concurrency} rounds={rounds}\n"
    );
    let (mut ratios, mut p50s) = (Vec::new(), Vec::new());
    for round in 1..=rounds.max(1) {
        let http = measure_http(backend, n, concurrency, pg_admin).await?;
        let base = measure_baseline(backend, n, concurrency, pg_admin).await?;
        let ratio = http.rate() / base.rate().max(1e-9);
        let p50 = ms(http.p50) / ms(base.p50).max(1e-9);
        out.push_str(&format!(
            "round {round}: ventros {:>6.0} msg/s (p50 {:>6.2} ms, p99 {:>6.2} ms) | baseline {:>6.0} msg/s (p50 {:>6.2} ms, p99 {:>6.2} ms) | throughput {ratio:.2}x\n",
            http.rate(), ms(http.p50), ms(http.p99), base.rate(), ms(base.p50), ms(base.p99)
        ));
        ratios.push(ratio);
        p50s.push(p50);
    }
    out.push_str(&format!(
        "median ratio (ventros / bare-SQL baseline): throughput {:.2}x, p50 latency {:.2}x",
        median(ratios),
        median(p50s)
    ));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn ingest_bench_runs_both_paths_on_sqlite() {
        let report = ingest("sqlite", 30, 4, 1, None)
            .await
            .map_err(|e| e.to_string());
        let report = report.unwrap_or_else(|e| panic!("{e}"));
        assert!(report.contains("round 1: ventros"), "{report}");
        assert!(report.contains("median ratio"), "{report}");
        assert!(ingest("oracle", 1, 1, 1, None).await.is_err());
    }
}
