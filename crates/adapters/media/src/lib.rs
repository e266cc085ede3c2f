//! The media store adapters: a local directory (the default, beside the SQLite file) and
//! S3-compatible object storage, both through the `object_store` crate so that they behave
//! alike (the conformance tests in `tests/` run the same cases on each).

use async_trait::async_trait;
use object_store::path::Path;
use object_store::{GetOptions, GetRange, ObjectStore, PutPayload};
use std::ops::Range;
use std::sync::Arc;
use ventros_app::error::{AppError, AppResult};
use ventros_app::ports::{MediaBytes, MediaStore};

/// What to connect to S3 with, over what the `AWS_*` variables say.
#[derive(Debug, Clone, Default)]
pub struct S3Options {
    /// An S3-compatible server's URL (`http://` allows plain HTTP).
    pub endpoint: Option<String>,
    pub access_key_id: Option<String>,
    pub secret_access_key: Option<String>,
    pub region: Option<String>,
}

pub struct ObjectMedia {
    store: Arc<dyn ObjectStore>,
    prefix: Path,
    /// What the store is, for logs (never credentials).
    label: String,
}

fn err(e: object_store::Error) -> AppError {
    AppError::internal(format!("media store: {e}"))
}

impl ObjectMedia {
    /// Files under a local directory, created when missing.
    pub fn local(dir: &std::path::Path) -> AppResult<ObjectMedia> {
        std::fs::create_dir_all(dir)
            .map_err(|e| AppError::internal(format!("media directory {}: {e}", dir.display())))?;
        let fs = object_store::local::LocalFileSystem::new_with_prefix(dir).map_err(err)?;
        Ok(ObjectMedia {
            store: Arc::new(fs),
            prefix: Path::default(),
            label: format!("directory {}", dir.display()),
        })
    }

    /// `s3://bucket/prefix`. Credentials, region and endpoint come from the usual `AWS_*`
    /// variables (`AWS_ENDPOINT_URL` for an S3-compatible server, `AWS_ALLOW_HTTP=true` for
    /// one without TLS) unless `o` sets them.
    pub fn s3(url: &str, o: S3Options) -> AppResult<ObjectMedia> {
        let bad = |why: String| AppError::validation("VENTROS_MEDIA_URL", why);
        let u = url::Url::parse(url).map_err(|e| bad(format!("not a URL: {e}")))?;
        let bucket = u.host_str().unwrap_or_default().to_string();
        if u.scheme() != "s3" || bucket.is_empty() {
            return Err(bad("must be s3://bucket or s3://bucket/prefix".into()));
        }
        let mut b = object_store::aws::AmazonS3Builder::from_env().with_bucket_name(&bucket);
        if let Some(e) = &o.endpoint {
            b = b
                .with_endpoint(e)
                .with_allow_http(e.starts_with("http://"))
                .with_virtual_hosted_style_request(false);
        }
        if let Some(k) = &o.access_key_id {
            b = b.with_access_key_id(k);
        }
        if let Some(k) = &o.secret_access_key {
            b = b.with_secret_access_key(k);
        }
        if let Some(r) = &o.region {
            b = b.with_region(r);
        }
        let store = b.build().map_err(err)?;
        Ok(ObjectMedia {
            store: Arc::new(store),
            prefix: Path::from(u.path().trim_matches('/')),
            label: format!("s3://{bucket}{}", u.path()),
        })
    }

    /// What this store is, for logs.
    pub fn label(&self) -> &str {
        &self.label
    }

    fn path(&self, key: &str) -> AppResult<Path> {
        let parts: Vec<&str> = key.split('/').collect();
        if parts
            .iter()
            .any(|p| p.is_empty() || *p == "." || *p == "..")
        {
            return Err(AppError::internal(format!("bad media key {key:?}")));
        }
        Ok(parts
            .into_iter()
            .fold(self.prefix.clone(), |p, part| p.child(part)))
    }
}

#[async_trait]
impl MediaStore for ObjectMedia {
    async fn put(&self, key: &str, bytes: Vec<u8>) -> AppResult<()> {
        self.store
            .put(&self.path(key)?, PutPayload::from(bytes))
            .await
            .map_err(err)?;
        Ok(())
    }

    async fn get(&self, key: &str, range: Option<Range<u64>>) -> AppResult<Option<MediaBytes>> {
        let path = self.path(key)?;
        let total = match self.store.head(&path).await {
            Ok(meta) => meta.size,
            Err(object_store::Error::NotFound { .. }) => return Ok(None),
            Err(e) => return Err(err(e)),
        };
        let range = match range {
            Some(r) => r.start.min(total)..r.end.min(total),
            None => 0..total,
        };
        if range.is_empty() {
            return Ok(Some(MediaBytes {
                bytes: Vec::new(),
                total,
            }));
        }
        let opts = GetOptions {
            range: Some(GetRange::Bounded(range)),
            ..GetOptions::default()
        };
        match self.store.get_opts(&path, opts).await {
            Ok(r) => {
                let bytes = r.bytes().await.map_err(err)?;
                Ok(Some(MediaBytes {
                    bytes: bytes.to_vec(),
                    total,
                }))
            }
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(err(e)),
        }
    }

    async fn delete(&self, key: &str) -> AppResult<()> {
        match self.store.delete(&self.path(key)?).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(err(e)),
        }
    }
}
