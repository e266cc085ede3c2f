//! Contacts: create, read, patch, search, tags, sort, bulk tags and soft delete.

use crate::both_backends;
use crate::helpers::{TestApp, code, conversation, field, id};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

both_backends!(
    creating_a_contact_normalises_phone_and_email,
    a_taken_phone_is_409,
    invalid_contacts_are_422_naming_the_field,
    a_missing_body_is_400_invalid_json,
    patch_clears_with_null_and_merges_custom_fields,
    patch_to_a_taken_phone_is_409,
    patch_cannot_move_a_contact_to_another_tenant,
    search_matches_names_case_insensitively,
    search_matches_phone_digits_however_formatted,
    search_treats_like_wildcards_literally,
    the_tags_filter_matches_any_tag,
    newest_first_pages_with_a_cursor,
    sort_by_update_puts_the_last_updated_first,
    the_created_range_filters_contacts,
    an_unknown_sort_or_time_is_422,
    bulk_tags_add_and_remove_on_every_contact,
    bulk_tags_with_an_unknown_contact_change_nothing,
    bulk_tags_need_contacts,
    a_deleted_contact_is_gone,
    a_deleted_contacts_phone_can_be_used_again,
    deleting_a_contact_keeps_its_conversations,
);

/// Ana Souza (vip, lead), Bruno Lima (lead), Carla Ana (no tags), created in that order.
async fn three(app: &TestApp, k: &str) -> Vec<String> {
    let mut ids = Vec::new();
    for (name, phone, tags) in [
        ("Ana Souza", "+55 11 91234-0001", json!(["vip", "lead"])),
        ("Bruno Lima", "+5511912340002", json!(["lead"])),
        ("Carla Ana", "+5521912340003", json!([])),
    ] {
        let (s, v) = app
            .post("/v1/contacts", k, json!({"name": name, "phone": phone, "tags": tags, "email": "X@Example.com", "custom_fields": {"plan": "gold", "seats": 3}}))
            .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        ids.push(id(&v));
    }
    ids
}

fn names(v: &Value) -> Vec<String> {
    v["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap().to_string())
        .collect()
}

async fn key(app: &TestApp) -> String {
    app.tenant("acme").await.api_key
}

async fn creating_a_contact_normalises_phone_and_email(app: &TestApp) {
    let k = key(app).await;
    let ids = three(app, &k).await;
    let (_, first) = app.get(&format!("/v1/contacts/{}", ids[0]), &k).await;
    assert_eq!(first["email"], "x@example.com");
    assert_eq!(first["phone"], "+5511912340001");
    assert_eq!(first["wa_id"], "5511912340001@c.us");
}

async fn a_taken_phone_is_409(app: &TestApp) {
    let k = key(app).await;
    three(app, &k).await;
    let (s, v) = app
        .post(
            "/v1/contacts",
            &k,
            json!({"name": "Again", "phone": "+5511912340001"}),
        )
        .await;
    assert_eq!(
        (s, code(&v)),
        (StatusCode::CONFLICT, Some("contact_phone_taken"))
    );
}

/// Bad phone, blank name, custom fields that are not an object or too big, blank tags, and
/// fields a client may not set (mass assignment).
async fn invalid_contacts_are_422_naming_the_field(app: &TestApp) {
    let k = key(app).await;
    let ids = three(app, &k).await;
    for bad in [
        json!({"name": "X", "phone": "12"}),
        json!({"name": "", "phone": "+5511912349999"}),
        json!({"name": "X", "phone": "+5511912349999", "custom_fields": [1]}),
        json!({"name": "X", "phone": "+5511912349999", "custom_fields": {"big": "x".repeat(17 * 1024)}}),
        json!({"name": "X", "phone": "+5511912349999", "tags": [""]}),
        json!({"name": "X", "phone": "+5511912349999", "id": ids[0]}),
        json!({"name": "X", "phone": "+5511912349999", "created_at": "2020-01-01T00:00:00Z"}),
    ] {
        let (s, v) = app.post("/v1/contacts", &k, bad.clone()).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{bad} → {v}");
        assert!(field(&v).is_some(), "{v}");
    }
}

async fn a_missing_body_is_400_invalid_json(app: &TestApp) {
    let k = key(app).await;
    let r = app
        .send(
            Method::POST,
            "/v1/contacts",
            Some(&k),
            None,
            &[("content-type", "application/json")],
        )
        .await;
    assert_eq!(
        (r.status, code(&r.body)),
        (StatusCode::BAD_REQUEST, Some("invalid_json"))
    );
}

async fn patch_clears_with_null_and_merges_custom_fields(app: &TestApp) {
    let k = key(app).await;
    let ids = three(app, &k).await;
    let (s, v) = app
        .patch(&format!("/v1/contacts/{}", ids[0]), &k, json!({"email": null, "custom_fields": {"plan": null, "city": "Recife"}, "name": "Ana S."}))
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["email"], Value::Null);
    assert_eq!(v["name"], "Ana S.");
    assert_eq!(v["custom_fields"], json!({"seats": 3, "city": "Recife"}));
    let (_, stored) = app.get(&format!("/v1/contacts/{}", ids[0]), &k).await;
    assert_eq!(stored["custom_fields"], v["custom_fields"]);
}

async fn patch_to_a_taken_phone_is_409(app: &TestApp) {
    let k = key(app).await;
    let ids = three(app, &k).await;
    let (s, v) = app
        .patch(
            &format!("/v1/contacts/{}", ids[0]),
            &k,
            json!({"phone": "+5511912340002"}),
        )
        .await;
    assert_eq!(
        (s, code(&v)),
        (StatusCode::CONFLICT, Some("contact_phone_taken"))
    );
}

async fn patch_cannot_move_a_contact_to_another_tenant(app: &TestApp) {
    let t = app.tenant("acme").await;
    let ids = three(app, &t.api_key).await;
    let (s, _) = app
        .patch(
            &format!("/v1/contacts/{}", ids[0]),
            &t.api_key,
            json!({"tenant_id": t.tenant_id}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
}

async fn search_matches_names_case_insensitively(app: &TestApp) {
    let k = key(app).await;
    three(app, &k).await;
    let (_, v) = app.get("/v1/contacts?search=ana", &k).await;
    assert_eq!(names(&v), ["Ana Souza", "Carla Ana"]);
}

async fn search_matches_phone_digits_however_formatted(app: &TestApp) {
    let k = key(app).await;
    three(app, &k).await;
    let (_, v) = app.get("/v1/contacts?search=%2B55%2021", &k).await;
    assert_eq!(names(&v), ["Carla Ana"]);
}

async fn search_treats_like_wildcards_literally(app: &TestApp) {
    let k = key(app).await;
    three(app, &k).await;
    let (_, v) = app.get("/v1/contacts?search=%25", &k).await;
    assert_eq!(names(&v).len(), 0);
}

async fn the_tags_filter_matches_any_tag(app: &TestApp) {
    let k = key(app).await;
    three(app, &k).await;
    let (_, v) = app.get("/v1/contacts?tags=vip,nothing", &k).await;
    assert_eq!(names(&v), ["Ana Souza"]);
    let (_, v) = app.get("/v1/contacts?tags=lead", &k).await;
    assert_eq!(names(&v).len(), 2);
}

async fn newest_first_pages_with_a_cursor(app: &TestApp) {
    let k = key(app).await;
    three(app, &k).await;
    let (_, v) = app.get("/v1/contacts?sort=-created_at", &k).await;
    assert_eq!(names(&v), ["Carla Ana", "Bruno Lima", "Ana Souza"]);
    let (_, v) = app.get("/v1/contacts?sort=-created_at&limit=2", &k).await;
    assert_eq!(names(&v), ["Carla Ana", "Bruno Lima"]);
    let cursor = v["next_cursor"].as_str().unwrap().to_string();
    let (_, v2) = app
        .get(
            &format!("/v1/contacts?sort=-created_at&limit=2&cursor={cursor}"),
            &k,
        )
        .await;
    assert_eq!(names(&v2), ["Ana Souza"]);
}

async fn sort_by_update_puts_the_last_updated_first(app: &TestApp) {
    let k = key(app).await;
    let ids = three(app, &k).await;
    app.patch(
        &format!("/v1/contacts/{}", ids[0]),
        &k,
        json!({"name": "Ana S."}),
    )
    .await;
    let (_, v) = app.get("/v1/contacts?sort=-updated_at&limit=1", &k).await;
    assert_eq!(names(&v), ["Ana S."]);
}

async fn the_created_range_filters_contacts(app: &TestApp) {
    let k = key(app).await;
    three(app, &k).await;
    let (_, v) = app
        .get(
            "/v1/contacts?created_after=2000-01-01T00:00:00Z&created_before=2100-01-01T00:00:00Z",
            &k,
        )
        .await;
    assert_eq!(names(&v).len(), 3);
    let (_, v) = app
        .get("/v1/contacts?created_before=2000-01-01T00:00:00Z", &k)
        .await;
    assert_eq!(names(&v).len(), 0);
}

async fn an_unknown_sort_or_time_is_422(app: &TestApp) {
    let k = key(app).await;
    let (s, v) = app.get("/v1/contacts?sort=name", &k).await;
    assert_eq!(
        (s, field(&v)),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("sort"))
    );
    let (s, _) = app.get("/v1/contacts?created_after=yesterday", &k).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
}

async fn bulk_tags_add_and_remove_on_every_contact(app: &TestApp) {
    let k = key(app).await;
    let ids = three(app, &k).await;
    let (s, v) = app
        .post(
            "/v1/contacts/bulk-tags",
            &k,
            json!({"contact_ids": [ids[1], ids[2]], "add": ["q3"], "remove": ["lead"]}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["data"][0]["tags"], json!(["q3"]));
    assert_eq!(v["data"][1]["tags"], json!(["q3"]));
}

async fn bulk_tags_with_an_unknown_contact_change_nothing(app: &TestApp) {
    let k = key(app).await;
    let ids = three(app, &k).await;
    let (s, _) = app
        .post(
            "/v1/contacts/bulk-tags",
            &k,
            json!({"contact_ids": [ids[0], uuid::Uuid::now_v7()], "add": ["never"]}),
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (_, v) = app.get("/v1/contacts?tags=never", &k).await;
    assert_eq!(names(&v).len(), 0, "nothing half-written");
}

async fn bulk_tags_need_contacts(app: &TestApp) {
    let k = key(app).await;
    let (s, _) = app
        .post(
            "/v1/contacts/bulk-tags",
            &k,
            json!({"contact_ids": [], "add": ["x"]}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
}

async fn a_deleted_contact_is_gone(app: &TestApp) {
    let k = key(app).await;
    let ids = three(app, &k).await;
    let path = format!("/v1/contacts/{}", ids[1]);
    assert_eq!(app.delete(&path, &k).await, StatusCode::NO_CONTENT);
    assert_eq!(app.get(&path, &k).await.0, StatusCode::NOT_FOUND);
    assert_eq!(app.delete(&path, &k).await, StatusCode::NOT_FOUND);
}

async fn a_deleted_contacts_phone_can_be_used_again(app: &TestApp) {
    let k = key(app).await;
    let ids = three(app, &k).await;
    app.delete(&format!("/v1/contacts/{}", ids[1]), &k).await;
    let (s, v) = app
        .post(
            "/v1/contacts",
            &k,
            json!({"name": "Bruno again", "phone": "+5511912340002"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_ne!(v["id"], json!(ids[1]));
}

async fn deleting_a_contact_keeps_its_conversations(app: &TestApp) {
    let k = key(app).await;
    let conv = conversation(app, &k, "5511966665555").await;
    assert_eq!(
        app.delete(&format!("/v1/contacts/{}", conv.contact), &k)
            .await,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        app.get(&format!("/v1/chats/{}", conv.chat), &k).await.0,
        StatusCode::OK
    );
    assert_eq!(
        app.list(&format!("/v1/sessions/{}/messages", conv.session), &k)
            .await
            .len(),
        2
    );
}
