//! Throughput and latency of a run of operations, and the median of repeated ratios.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// Throughput and latency of one run.
#[derive(Debug, Clone)]
pub struct Measure {
    pub count: usize,
    pub elapsed: Duration,
    pub p50: Duration,
    pub p99: Duration,
}

impl Measure {
    pub fn rate(&self) -> f64 {
        self.count as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }

    fn from(mut lat: Vec<Duration>, elapsed: Duration) -> Self {
        lat.sort();
        let pick = |q: f64| {
            lat.get(((lat.len() as f64 - 1.0) * q).round() as usize)
                .copied()
                .unwrap_or_default()
        };
        Measure {
            count: lat.len(),
            elapsed,
            p50: pick(0.5),
            p99: pick(0.99),
        }
    }
}

/// Runs `op(i)` for i in 0..n with `concurrency` workers; returns per-op latencies.
pub async fn drive<F, Fut>(n: usize, concurrency: usize, op: F) -> anyhow::Result<Measure>
where
    F: Fn(usize) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = anyhow::Result<()>> + Send,
{
    let op = Arc::new(op);
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..concurrency.max(1) {
        let (op, next) = (op.clone(), next.clone());
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= n {
                    return Ok::<_, anyhow::Error>(lat);
                }
                let t = Instant::now();
                op(i).await?;
                lat.push(t.elapsed());
            }
        }));
    }
    let mut all = Vec::with_capacity(n);
    for t in tasks {
        all.extend(t.await??);
    }
    Ok(Measure::from(all, started.elapsed()))
}

/// The middle value (the upper one of an even count); 0 for none.
pub fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied().unwrap_or_default()
}

/// Milliseconds, for printing.
pub fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_and_median() {
        let lat: Vec<Duration> = (1..=100).map(Duration::from_millis).collect();
        let m = Measure::from(lat, Duration::from_secs(2));
        assert_eq!(
            (m.count, m.p50, m.p99),
            (100, Duration::from_millis(51), Duration::from_millis(99))
        );
        assert!((m.rate() - 50.0).abs() < 1e-9);
        assert_eq!(median(vec![3.0, 1.0, 2.0]), 2.0);
    }
}
