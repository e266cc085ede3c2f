//! Ventros' own files: uploads to send, a file's status, a message's media with HTTP ranges
//! (so audio and video play in a browser).

use crate::AppState;
use crate::auth::Principal;
use crate::error::{ApiError, AuthErrors, ConflictError, ErrorBody, InputErrors, NotFoundError};
use crate::extract::path_id;
use axum::Json;
use axum::body::Body;
use axum::extract::{Multipart, Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use std::ops::Range;
use ventros_app::usecases::media::{self, Upload};
use ventros_domain::media::{MediaFile, safe_filename};

/// The form of an upload.
#[derive(utoipa::ToSchema)]
#[expect(dead_code, reason = "only read by the OpenAPI generator")]
pub struct UploadForm {
    /// The file; its part's `Content-Type` and file name are kept.
    #[schema(format = Binary, content_media_type = "application/octet-stream")]
    file: Vec<u8>,
}

fn bad_form(why: impl std::fmt::Display) -> ApiError {
    ApiError::App(ventros_app::AppError::validation("file", why.to_string()))
}

/// Upload a file to send
///
/// `multipart/form-data` with one part named `file`, at most `VENTROS_MEDIA_MAX_BYTES`
/// (64 MiB by default). Answers the stored file; send it with `"media": {"media_id": id}`.
#[utoipa::path(post, path = "/v1/media", tag = "media", request_body(content = UploadForm, content_type = "multipart/form-data"), responses((status = 201, description = "Stored; `sha256` is hex", body = MediaFile), (status = 413, description = "Larger than VENTROS_MEDIA_MAX_BYTES", body = ErrorBody), AuthErrors, InputErrors), security(("bearer" = [])))]
pub async fn upload(
    State(s): State<AppState>,
    p: Principal,
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Result<(StatusCode, Json<MediaFile>), ApiError> {
    let mut form = multipart.map_err(|e| bad_form(format!("not a multipart form: {e}")))?;
    let limit = usize::try_from(s.media_max_bytes).unwrap_or(usize::MAX);
    let mut got = None;
    loop {
        let field = match form.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                return Err(ApiError::PayloadTooLarge { limit });
            }
            Err(e) => return Err(bad_form(format!("the form could not be read: {e}"))),
        };
        if field.name() != Some("file") {
            continue;
        }
        let mimetype = field.content_type().map(str::to_string);
        let filename = field.file_name().map(str::to_string);
        let mut field = field;
        let mut bytes = Vec::new();
        loop {
            match field.chunk().await {
                Ok(Some(c)) => {
                    if bytes.len() + c.len() > limit {
                        return Err(ApiError::PayloadTooLarge { limit });
                    }
                    bytes.extend_from_slice(&c);
                }
                Ok(None) => break,
                Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                    return Err(ApiError::PayloadTooLarge { limit });
                }
                Err(e) => return Err(bad_form(format!("the file could not be read: {e}"))),
            }
        }
        got = Some(Upload {
            bytes,
            mimetype,
            filename,
        });
        break;
    }
    let u = got.ok_or_else(|| bad_form("a part named `file` is required"))?;
    let f = media::upload(s.store.as_ref(), s.media.as_ref(), s.clock.as_ref(), &p, u).await?;
    Ok((StatusCode::CREATED, Json(f)))
}

/// Get a media file's status
#[utoipa::path(get, path = "/v1/media/{id}", tag = "media", params(("id" = String, Path, description = "Media file id")), responses((status = 200, body = MediaFile), AuthErrors, NotFoundError), security(("bearer" = [])))]
pub async fn get(
    State(s): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
) -> Result<Json<MediaFile>, ApiError> {
    let id = path_id(&id, "media file")?;
    Ok(Json(
        media::get_media_file(s.store.as_ref(), &p, id.into()).await?,
    ))
}

/// What a `Range` header asks of a file of `total` bytes: `None` for the whole file (no
/// header, or one this does not serve, such as several ranges), `Err` when unsatisfiable.
pub fn byte_range(h: Option<&str>, total: u64) -> Result<Option<Range<u64>>, ()> {
    let Some(spec) = h.and_then(|h| h.trim().strip_prefix("bytes=")) else {
        return Ok(None);
    };
    if spec.contains(',') {
        return Ok(None);
    }
    let (a, b) = spec.split_once('-').ok_or(())?;
    let (a, b) = (a.trim(), b.trim());
    let r = match (a.is_empty(), b.is_empty()) {
        (true, true) => return Err(()),
        (true, false) => {
            let n: u64 = b.parse().map_err(|_| ())?;
            if n == 0 {
                return Err(());
            }
            total.saturating_sub(n)..total
        }
        (false, _) => {
            let start: u64 = a.parse().map_err(|_| ())?;
            let end = match b.is_empty() {
                true => total,
                false => b
                    .parse::<u64>()
                    .map_err(|_| ())?
                    .saturating_add(1)
                    .min(total),
            };
            if start >= total || end <= start {
                return Err(());
            }
            start..end
        }
    };
    Ok(Some(r))
}

/// Download a message's media
///
/// The copy in Ventros' media store, with `Content-Type`, `Content-Length`,
/// `Content-Disposition`, `ETag` (the SHA-256) and single HTTP ranges (206). 409
/// `media_not_stored` says why there is no copy (`pending`, `failed`, `expired`,
/// `too_large`).
#[utoipa::path(get, path = "/v1/messages/{id}/media", tag = "messages", params(("id" = String, Path, description = "Message id"), ("Range" = Option<String>, Header, description = "`bytes=start-end`, `bytes=start-` or `bytes=-suffix`")), responses((status = 200, description = "The whole file", content_type = "application/octet-stream", body = Vec<u8>), (status = 206, description = "The range asked for", content_type = "application/octet-stream", body = Vec<u8>), (status = 304, description = "`If-None-Match` matched the ETag"), (status = 416, description = "The range is outside the file", body = ErrorBody), AuthErrors, NotFoundError, ConflictError), security(("bearer" = [])))]
pub async fn message_media(
    State(s): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let id = path_id(&id, "message")?;
    let f = media::message_media_file(s.store.as_ref(), &p, id.into()).await?;
    let total = u64::try_from(f.size.unwrap_or(0)).unwrap_or(0);
    let etag = format!("\"{}\"", f.sha256.as_deref().unwrap_or_default());
    let mut h = HeaderMap::new();
    let put = |h: &mut HeaderMap, k: header::HeaderName, v: String| {
        if let Ok(v) = HeaderValue::from_str(&v) {
            h.insert(k, v);
        }
    };
    put(&mut h, header::ETAG, etag.clone());
    put(&mut h, header::ACCEPT_RANGES, "bytes".into());
    let name = safe_filename(f.filename.as_deref().unwrap_or("media"));
    put(
        &mut h,
        header::CONTENT_DISPOSITION,
        format!("inline; filename=\"{name}\""),
    );
    put(
        &mut h,
        header::CONTENT_TYPE,
        f.mimetype
            .clone()
            .unwrap_or_else(|| "application/octet-stream".into()),
    );
    if headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"))
    {
        return Ok((StatusCode::NOT_MODIFIED, h).into_response());
    }
    let asked = headers.get(header::RANGE).and_then(|v| v.to_str().ok());
    let range = byte_range(asked, total).map_err(|()| ApiError::RangeNotSatisfiable { total })?;
    let got = media::read_media(s.media.as_ref(), &f, range.clone()).await?;
    put(&mut h, header::CONTENT_LENGTH, got.bytes.len().to_string());
    let status = match range {
        Some(r) => {
            put(
                &mut h,
                header::CONTENT_RANGE,
                format!(
                    "bytes {}-{}/{}",
                    r.start,
                    r.end.saturating_sub(1),
                    got.total
                ),
            );
            StatusCode::PARTIAL_CONTENT
        }
        None => StatusCode::OK,
    };
    Ok((status, h, Body::from(got.bytes)).into_response())
}

/// A contact's profile picture
///
/// Ventros' copy of the contact's WhatsApp profile picture (fetched in the background on a
/// new session; WhatsApp's own URLs expire). 404 when there is none, or it is hidden.
#[utoipa::path(get, path = "/v1/contacts/{id}/picture", tag = "contacts", params(("id" = String, Path, description = "Contact id")), responses((status = 200, description = "The picture", content_type = "image/jpeg", body = Vec<u8>), AuthErrors, NotFoundError), security(("bearer" = [])))]
pub async fn contact_picture(
    State(s): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let id = path_id(&id, "contact")?;
    let (f, got) = ventros_app::usecases::profile_picture::contact_picture(
        s.store.as_ref(),
        s.media.as_ref(),
        &p,
        id.into(),
    )
    .await?;
    let mut h = HeaderMap::new();
    let mime = f.mimetype.unwrap_or_else(|| "image/jpeg".into());
    if let Ok(v) = HeaderValue::from_str(&mime) {
        h.insert(header::CONTENT_TYPE, v);
    }
    if let Ok(v) = HeaderValue::from_str(&format!("\"{}\"", f.sha256.unwrap_or_default())) {
        h.insert(header::ETAG, v);
    }
    Ok((StatusCode::OK, h, Body::from(got.bytes)).into_response())
}

#[cfg(test)]
mod tests {
    use super::byte_range;

    #[test]
    fn ranges_are_read_like_browsers_send_them() {
        assert_eq!(byte_range(None, 100), Ok(None));
        assert_eq!(byte_range(Some("bytes=0-9"), 100), Ok(Some(0..10)));
        assert_eq!(byte_range(Some("bytes=90-"), 100), Ok(Some(90..100)));
        assert_eq!(byte_range(Some("bytes=-5"), 100), Ok(Some(95..100)));
        assert_eq!(byte_range(Some("bytes=50-500"), 100), Ok(Some(50..100)));
        assert_eq!(byte_range(Some("bytes=0-1,5-6"), 100), Ok(None));
        assert_eq!(byte_range(Some("items=0-1"), 100), Ok(None));
        for bad in [
            "bytes=100-",
            "bytes=5-2",
            "bytes=-0",
            "bytes=-",
            "bytes=x-1",
        ] {
            assert_eq!(byte_range(Some(bad), 100), Err(()), "{bad}");
        }
    }
}
