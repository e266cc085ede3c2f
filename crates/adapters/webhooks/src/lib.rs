//! Posts signed webhooks to integrators' endpoints. The SSRF guard sits in the DNS resolver
//! the HTTP client connects through: every address a host resolves to is checked at the
//! moment of connecting (so a DNS answer that changes between a check and the connection,
//! DNS rebinding, cannot slip a private address in), and literal IP hosts are checked before
//! the request. Redirects are never followed; at most 1 KiB of the answer is kept.

use async_trait::async_trait;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;
use ventros_app::ports::{EndpointAnswer, PostError, SignedPost, WebhookSender};
use ventros_domain::webhook::blocked_range;

/// How much of an endpoint's answer is kept in the delivery log.
pub const EXCERPT_BYTES: usize = 1024;

#[derive(Debug, Clone)]
pub struct SenderConfig {
    /// Per attempt, connection included (Standard Webhooks suggests 15 s).
    pub timeout: Duration,
    /// Lets webhooks reach loopback and private addresses (development and tests).
    pub allow_private: bool,
}

impl Default for SenderConfig {
    fn default() -> Self {
        SenderConfig {
            timeout: Duration::from_secs(15),
            allow_private: false,
        }
    }
}

/// The error a refused resolution carries, found again in reqwest's error chain.
#[derive(Debug)]
struct Blocked(String);

impl std::fmt::Display for Blocked {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Blocked {}

/// Why none of these addresses may be reached, or `None` when some may (and which).
fn allowed(addrs: Vec<SocketAddr>, allow_private: bool) -> Result<Vec<SocketAddr>, Blocked> {
    if allow_private {
        return Ok(addrs);
    }
    let mut why = None;
    let ok: Vec<SocketAddr> = addrs
        .into_iter()
        .filter(|a| match blocked_range(a.ip()) {
            Some(r) => {
                why.get_or_insert_with(|| format!("{} is {r}", a.ip()));
                false
            }
            None => true,
        })
        .collect();
    match (ok.is_empty(), why) {
        (true, Some(w)) => Err(Blocked(w)),
        (true, None) => Err(Blocked("the host resolves to no address".into())),
        // A host with one private address among public ones is refused too: which one a
        // connection picks is not ours to choose.
        (false, Some(w)) => Err(Blocked(w)),
        (false, None) => Ok(ok),
    }
}

/// How host names become addresses: the system's resolver, or a test's.
pub type Lookup = Arc<
    dyn Fn(
            String,
        ) -> std::pin::Pin<
            Box<dyn std::future::Future<Output = std::io::Result<Vec<SocketAddr>>> + Send>,
        > + Send
        + Sync,
>;

fn system_lookup() -> Lookup {
    Arc::new(|host: String| {
        Box::pin(async move { Ok(tokio::net::lookup_host((host.as_str(), 0)).await?.collect()) })
    })
}

struct GuardedResolver {
    allow_private: bool,
    lookup: Lookup,
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let (allow_private, lookup) = (self.allow_private, self.lookup.clone());
        Box::pin(async move {
            let found = lookup(name.as_str().to_string()).await?;
            let ok = allowed(found, allow_private)?;
            let addrs: Addrs = Box::new(ok.into_iter());
            Ok(addrs)
        })
    }
}

pub struct HttpWebhookSender {
    http: reqwest::Client,
    allow_private: bool,
    lookup: Lookup,
}

impl HttpWebhookSender {
    pub fn new(cfg: SenderConfig) -> Result<Self, PostError> {
        Self::with_lookup(cfg, system_lookup())
    }

    /// As `new`, resolving host names with `lookup` (the check at connect time uses it too).
    pub fn with_lookup(cfg: SenderConfig, lookup: Lookup) -> Result<Self, PostError> {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(cfg.timeout)
            .connect_timeout(cfg.timeout)
            .dns_resolver(Arc::new(GuardedResolver {
                allow_private: cfg.allow_private,
                lookup: lookup.clone(),
            }))
            .build()
            .map_err(|e| PostError::Other(format!("HTTP client: {e}")))?;
        Ok(HttpWebhookSender {
            http,
            allow_private: cfg.allow_private,
            lookup,
        })
    }

    /// A literal IP host is connected to without resolving: checked here.
    fn check_literal(&self, url: &reqwest::Url) -> Result<(), PostError> {
        let ip = match url.host() {
            Some(url::Host::Ipv4(v4)) => IpAddr::V4(v4),
            Some(url::Host::Ipv6(v6)) => IpAddr::V6(v6),
            _ => return Ok(()),
        };
        allowed(vec![SocketAddr::new(ip, 0)], self.allow_private)
            .map(|_| ())
            .map_err(|b| PostError::BlockedAddress(b.0))
    }
}

fn parse(url: &str) -> Result<reqwest::Url, PostError> {
    reqwest::Url::parse(url).map_err(|e| PostError::Other(format!("not a URL: {e}")))
}

/// Our resolver's refusal, wherever reqwest put it in its error chain.
fn blocked_in(e: &(dyn std::error::Error + 'static)) -> Option<String> {
    let mut cur = Some(e);
    while let Some(x) = cur {
        if let Some(b) = x.downcast_ref::<Blocked>() {
            return Some(b.0.clone());
        }
        cur = x.source();
    }
    None
}

fn post_error(e: reqwest::Error) -> PostError {
    if let Some(b) = blocked_in(&e) {
        return PostError::BlockedAddress(b);
    }
    if e.is_timeout() {
        return PostError::Timeout;
    }
    let mut s = e.to_string();
    let mut cur = std::error::Error::source(&e);
    while let Some(c) = cur {
        s.push_str(": ");
        s.push_str(&c.to_string());
        cur = c.source();
    }
    if e.is_connect() {
        PostError::Connect(s)
    } else {
        PostError::Other(s)
    }
}

#[async_trait]
impl WebhookSender for HttpWebhookSender {
    async fn post(&self, req: &SignedPost) -> Result<EndpointAnswer, PostError> {
        let url = parse(&req.url)?;
        self.check_literal(&url)?;
        let mut r = self.http.post(url).body(req.body.clone());
        for (k, v) in &req.headers {
            r = r.header(k, v);
        }
        let mut res = r.send().await.map_err(post_error)?;
        let status = res.status().as_u16();
        let mut kept = Vec::new();
        // Read no more than the excerpt: the rest of a large answer is never downloaded.
        while kept.len() < EXCERPT_BYTES {
            match res.chunk().await {
                Ok(Some(c)) => kept.extend_from_slice(&c),
                Ok(None) | Err(_) => break,
            }
        }
        kept.truncate(EXCERPT_BYTES);
        Ok(EndpointAnswer {
            status,
            excerpt: String::from_utf8_lossy(&kept).into_owned(),
        })
    }

    async fn check_target(&self, url: &str) -> Result<(), PostError> {
        let url = parse(url)?;
        self.check_literal(&url)?;
        let Some(url::Host::Domain(host)) = url.host() else {
            return Ok(());
        };
        let found = (self.lookup)(host.to_string())
            .await
            .map_err(|e| PostError::Connect(format!("{host}: {e}")))?;
        allowed(found, self.allow_private)
            .map(|_| ())
            .map_err(|b| PostError::BlockedAddress(b.0))
    }
}

#[cfg(test)]
mod tests {
    #![expect(clippy::unwrap_used, reason = "a test fails loudly")]
    use super::*;

    fn sender(allow_private: bool) -> HttpWebhookSender {
        HttpWebhookSender::new(SenderConfig {
            timeout: Duration::from_secs(2),
            allow_private,
        })
        .unwrap()
    }

    fn post(url: &str) -> SignedPost {
        SignedPost {
            url: url.into(),
            headers: vec![("content-type".into(), "application/json".into())],
            body: b"{}".to_vec(),
        }
    }

    /// An endpoint on loopback: refused by the guard by name and by literal address, reached
    /// when private targets are allowed; redirects are answered, not followed.
    #[tokio::test]
    async fn loopback_is_blocked_unless_allowed_and_redirects_are_not_followed() {
        let app = axum::Router::new()
            .route("/ok", axum::routing::post(|| async { "x".repeat(5000) }))
            .route(
                "/moved",
                axum::routing::post(|| async {
                    (
                        axum::http::StatusCode::FOUND,
                        [("location", "http://127.0.0.1:1/ok")],
                    )
                }),
            );
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = l.local_addr().unwrap().port();
        tokio::spawn(async move {
            let _ = axum::serve(l, app).await;
        });
        for url in [
            format!("http://127.0.0.1:{port}/ok"),
            format!("http://localhost:{port}/ok"),
            format!("http://[::ffff:127.0.0.1]:{port}/ok"),
        ] {
            let e = sender(false).post(&post(&url)).await.unwrap_err();
            assert!(matches!(e, PostError::BlockedAddress(_)), "{url}: {e:?}");
            let e = sender(false).check_target(&url).await.unwrap_err();
            assert!(matches!(e, PostError::BlockedAddress(_)), "{url}: {e:?}");
        }
        let ok = sender(true)
            .post(&post(&format!("http://localhost:{port}/ok")))
            .await
            .unwrap();
        assert_eq!(ok.status, 200);
        assert_eq!(
            ok.excerpt.len(),
            EXCERPT_BYTES,
            "the answer is cut at 1 KiB"
        );
        let moved = sender(true)
            .post(&post(&format!("http://127.0.0.1:{port}/moved")))
            .await
            .unwrap();
        assert_eq!(moved.status, 302, "the redirect is the answer");
    }

    /// DNS rebinding: the name resolves to a public address when the subscription is made,
    /// then to loopback. The check made when connecting refuses it.
    #[tokio::test]
    async fn a_name_that_rebinds_to_an_internal_address_is_refused_at_connect_time() {
        let calls = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let seen = calls.clone();
        let lookup: Lookup = Arc::new(move |_host: String| {
            let n = seen.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            Box::pin(async move {
                let ip = if n == 0 { "93.184.216.34" } else { "127.0.0.1" };
                Ok(vec![SocketAddr::new(ip.parse().unwrap(), 443)])
            })
        });
        let s = HttpWebhookSender::with_lookup(
            SenderConfig {
                timeout: Duration::from_secs(2),
                allow_private: false,
            },
            lookup,
        )
        .unwrap();
        let url = "http://hooks.rebind.example/ventros";
        s.check_target(url).await.unwrap();
        let e = s.post(&post(url)).await.unwrap_err();
        assert!(
            matches!(&e, PostError::BlockedAddress(why) if why.contains("127.0.0.1")),
            "{e:?}"
        );
        assert!(
            calls.load(std::sync::atomic::Ordering::SeqCst) >= 2,
            "resolved again to connect"
        );
    }

    #[test]
    fn a_host_with_any_private_address_is_refused() {
        let public: SocketAddr = "93.184.216.34:443".parse().unwrap();
        let private: SocketAddr = "10.0.0.5:443".parse().unwrap();
        assert!(allowed(vec![public], false).is_ok());
        assert!(allowed(vec![public, private], false).is_err());
        assert!(allowed(vec![], false).is_err());
        assert!(allowed(vec![private], true).is_ok());
    }
}
