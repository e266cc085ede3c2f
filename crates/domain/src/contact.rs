//! Contacts: a person the business talks to, unique per tenant by phone (or by WhatsApp LID
//! while the phone is unknown).

use crate::DomainError;
use crate::ids::{ContactId, PipelineId, ProjectId, TenantId};
use crate::phone::Phone;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Contact {
    pub id: ContactId,
    pub tenant_id: TenantId,
    pub project_id: ProjectId,
    pub phone: Option<Phone>,
    /// `…@c.us` id when known.
    pub wa_id: Option<String>,
    /// `…@lid` id when known.
    pub lid: Option<String>,
    pub name: Option<String>,
    pub push_name: Option<String>,
    pub email: Option<String>,
    pub profile_picture_url: Option<String>,
    pub tags: Vec<String>,
    pub custom_fields: serde_json::Value,
    /// The pipeline the contact is in, if any.
    pub pipeline_id: Option<PipelineId>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// What ingestion learned about a contact from one WhatsApp event.
#[derive(Debug, Clone, PartialEq)]
pub struct ContactSighting {
    pub phone: Option<Phone>,
    pub wa_id: Option<String>,
    pub lid: Option<String>,
    pub push_name: Option<String>,
}

impl ContactSighting {
    pub fn has_identity(&self) -> bool {
        self.phone.is_some() || self.lid.is_some()
    }

    /// A new contact from this sighting: the name starts as the push name.
    pub fn to_new_contact(
        &self,
        tenant_id: TenantId,
        project_id: ProjectId,
        now: DateTime<Utc>,
    ) -> Contact {
        Contact {
            id: ContactId::new(),
            tenant_id,
            project_id,
            phone: self.phone.clone(),
            wa_id: self.wa_id.clone(),
            lid: self.lid.clone(),
            name: self.push_name.clone(),
            push_name: self.push_name.clone(),
            email: None,
            profile_picture_url: None,
            tags: Vec::new(),
            custom_fields: serde_json::json!({}),
            pipeline_id: None,
            created_at: now,
            updated_at: now,
        }
    }

    /// Fields of `existing` that this sighting fills in or changes; `None` when nothing does.
    /// A name someone set is kept; only an empty name is filled from the push name.
    pub fn changes_to(&self, existing: &Contact) -> Option<ContactChanges> {
        let mut c = ContactChanges::default();
        if let Some(p) = &self.push_name {
            if existing.push_name.as_deref() != Some(p.as_str()) {
                c.push_name = Some(p.clone());
            }
            if existing.name.is_none() {
                c.name = Some(p.clone());
            }
        }
        if existing.wa_id.is_none() {
            c.wa_id = self.wa_id.clone();
        }
        if existing.lid.is_none() {
            c.lid = self.lid.clone();
        }
        if existing.phone.is_none() {
            c.phone = self.phone.clone();
        }
        if c == ContactChanges::default() {
            None
        } else {
            Some(c)
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct ContactChanges {
    pub name: Option<String>,
    pub push_name: Option<String>,
    pub wa_id: Option<String>,
    pub lid: Option<String>,
    pub phone: Option<Phone>,
}

impl ContactChanges {
    pub fn apply(&self, c: &mut Contact, now: DateTime<Utc>) {
        if let Some(v) = &self.name {
            c.name = Some(v.clone());
        }
        if let Some(v) = &self.push_name {
            c.push_name = Some(v.clone());
        }
        if let Some(v) = &self.wa_id {
            c.wa_id = Some(v.clone());
        }
        if let Some(v) = &self.lid {
            c.lid = Some(v.clone());
        }
        if let Some(v) = &self.phone {
            c.phone = Some(v.clone());
        }
        c.updated_at = now;
    }

    pub fn field_names(&self) -> Vec<&'static str> {
        let mut v = Vec::new();
        if self.name.is_some() {
            v.push("name");
        }
        if self.push_name.is_some() {
            v.push("push_name");
        }
        if self.wa_id.is_some() {
            v.push("wa_id");
        }
        if self.lid.is_some() {
            v.push("lid");
        }
        if self.phone.is_some() {
            v.push("phone");
        }
        v
    }
}

pub const MAX_TAGS: usize = 50;
pub const MAX_TAG_CHARS: usize = 64;
pub const MAX_CUSTOM_FIELDS_BYTES: usize = 16 * 1024;

/// Trims tags, drops duplicates (first one wins) and checks count and length.
pub fn validate_tags(tags: &[String]) -> Result<Vec<String>, DomainError> {
    let mut out: Vec<String> = Vec::with_capacity(tags.len());
    for t in tags {
        let t = t.trim();
        if t.is_empty() || t.chars().count() > MAX_TAG_CHARS {
            return Err(DomainError::invalid(
                "tags",
                format!("each tag has 1 to {MAX_TAG_CHARS} characters"),
            ));
        }
        if !out.iter().any(|o| o == t) {
            out.push(t.to_string());
        }
    }
    if out.len() > MAX_TAGS {
        return Err(DomainError::invalid(
            "tags",
            format!("at most {MAX_TAGS} tags per contact"),
        ));
    }
    Ok(out)
}

/// Custom fields are one JSON object of at most 16 KiB with keys of 1 to 64 characters.
pub fn validate_custom_fields(v: &serde_json::Value) -> Result<(), DomainError> {
    let Some(obj) = v.as_object() else {
        return Err(DomainError::invalid(
            "custom_fields",
            "must be a JSON object",
        ));
    };
    if obj.keys().any(|k| k.is_empty() || k.chars().count() > 64) {
        return Err(DomainError::invalid(
            "custom_fields",
            "keys have 1 to 64 characters",
        ));
    }
    if v.to_string().len() > MAX_CUSTOM_FIELDS_BYTES {
        return Err(DomainError::invalid(
            "custom_fields",
            format!("at most {MAX_CUSTOM_FIELDS_BYTES} bytes of JSON"),
        ));
    }
    Ok(())
}

/// A change to a contact. The outer `Option` says whether the field was sent; an inner
/// `None` (JSON `null`) clears it. `custom_fields` is merged key by key (a `null` value
/// removes that key); `custom_fields: null` clears them all.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ContactPatch {
    pub name: Option<Option<String>>,
    pub phone: Option<Option<Phone>>,
    pub email: Option<Option<String>>,
    pub tags: Option<Vec<String>>,
    pub custom_fields: Option<Option<serde_json::Map<String, serde_json::Value>>>,
    /// `Some(None)` takes the contact out of its pipeline.
    pub pipeline_id: Option<Option<PipelineId>>,
}

impl ContactPatch {
    /// Applies the patch and returns the names of the fields that changed.
    pub fn apply(
        &self,
        c: &mut Contact,
        now: DateTime<Utc>,
    ) -> Result<Vec<&'static str>, DomainError> {
        let before = c.clone();
        if let Some(v) = &self.name {
            c.name = v.clone();
        }
        if let Some(v) = &self.phone {
            c.phone = v.clone();
            if c.phone.is_none() && c.lid.is_none() {
                return Err(DomainError::invalid(
                    "phone",
                    "a contact without a WhatsApp id needs a phone",
                ));
            }
        }
        if let Some(v) = &self.email {
            c.email = v.clone();
        }
        if let Some(v) = &self.tags {
            c.tags = v.clone();
        }
        match &self.custom_fields {
            None => {}
            Some(None) => c.custom_fields = serde_json::json!({}),
            Some(Some(m)) => {
                let mut cur = c.custom_fields.as_object().cloned().unwrap_or_default();
                for (k, v) in m {
                    if v.is_null() {
                        cur.remove(k);
                    } else {
                        cur.insert(k.clone(), v.clone());
                    }
                }
                c.custom_fields = serde_json::Value::Object(cur);
                validate_custom_fields(&c.custom_fields)?;
            }
        }
        if let Some(v) = self.pipeline_id {
            c.pipeline_id = v;
        }
        let mut changed = Vec::new();
        if before.name != c.name {
            changed.push("name");
        }
        if before.phone != c.phone {
            changed.push("phone");
        }
        if before.email != c.email {
            changed.push("email");
        }
        if before.tags != c.tags {
            changed.push("tags");
        }
        if before.custom_fields != c.custom_fields {
            changed.push("custom_fields");
        }
        if before.pipeline_id != c.pipeline_id {
            changed.push("pipeline_id");
        }
        if !changed.is_empty() {
            c.updated_at = now;
        }
        Ok(changed)
    }
}

/// The job that asks WhatsApp for the phone number behind a contact known only by its LID.
pub const LID_LOOKUP_JOB: &str = "contact.lid_lookup";

/// What the LID lookup job carries: whose number, asked through which channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct LidLookupJob {
    pub contact_id: ContactId,
    pub channel_id: crate::ids::ChannelId,
}

impl LidLookupJob {
    /// One live job per contact: arming it again moves it.
    pub fn job(
        scope: crate::tenancy::Scope,
        contact: ContactId,
        channel: crate::ids::ChannelId,
        now: DateTime<Utc>,
    ) -> crate::job::Job {
        crate::job::Job::pending(
            scope,
            LID_LOOKUP_JOB,
            format!("{LID_LOOKUP_JOB}:{contact}"),
            serde_json::json!(LidLookupJob {
                contact_id: contact,
                channel_id: channel
            }),
            now,
            now,
        )
    }
}

impl Contact {
    /// Known only by its LID: the phone number is still to be learned.
    pub fn lid_only(&self) -> bool {
        self.phone.is_none() && self.lid.is_some()
    }

    /// Takes in `other`, the same person first seen by its LID: the LID, and whatever this
    /// contact does not have yet (names, email, pipeline); tags are joined, custom fields
    /// this contact already has win.
    pub fn absorb(&mut self, other: &Contact, now: DateTime<Utc>) {
        if self.lid.is_none() {
            self.lid = other.lid.clone();
        }
        for (mine, theirs) in [
            (&mut self.name, &other.name),
            (&mut self.push_name, &other.push_name),
            (&mut self.email, &other.email),
        ] {
            if mine.is_none() {
                mine.clone_from(theirs);
            }
        }
        if self.pipeline_id.is_none() {
            self.pipeline_id = other.pipeline_id;
        }
        for t in &other.tags {
            if !self.tags.contains(t) {
                self.tags.push(t.clone());
            }
        }
        if let (serde_json::Value::Object(mine), serde_json::Value::Object(theirs)) =
            (&mut self.custom_fields, &other.custom_fields)
        {
            for (k, v) in theirs {
                mine.entry(k.clone()).or_insert_with(|| v.clone());
            }
        }
        self.updated_at = now;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_phone_contact_absorbs_its_lid_twin() {
        let now = Utc::now();
        let mut phone = sighting(None).to_new_contact(TenantId::new(), ProjectId::new(), now);
        phone.name = Some("Ana Souza".into());
        phone.tags = vec!["lead".into()];
        phone.custom_fields = serde_json::json!({"plan": "gold"});
        let lid = ContactSighting {
            phone: None,
            wa_id: None,
            lid: Some("123456789@lid".into()),
            push_name: Some("Ana".into()),
        };
        let mut twin = lid.to_new_contact(phone.tenant_id, phone.project_id, now);
        twin.tags = vec!["vip".into(), "lead".into()];
        twin.custom_fields = serde_json::json!({"plan": "silver", "city": "Recife"});
        assert!(twin.lid_only() && !phone.lid_only());
        phone.absorb(&twin, now);
        assert_eq!(phone.lid.as_deref(), Some("123456789@lid"));
        assert_eq!(phone.name.as_deref(), Some("Ana Souza"));
        assert_eq!(phone.push_name.as_deref(), Some("Ana"));
        assert_eq!(phone.tags, vec!["lead".to_string(), "vip".to_string()]);
        assert_eq!(
            phone.custom_fields,
            serde_json::json!({"plan": "gold", "city": "Recife"})
        );
    }

    fn sighting(push: Option<&str>) -> ContactSighting {
        ContactSighting {
            phone: Phone::parse("+5511999998888").ok(),
            wa_id: Some("5511999998888@c.us".into()),
            lid: None,
            push_name: push.map(String::from),
        }
    }

    #[test]
    fn new_contact_takes_push_name() {
        let c = sighting(Some("Ana")).to_new_contact(TenantId::new(), ProjectId::new(), Utc::now());
        assert_eq!(c.name.as_deref(), Some("Ana"));
    }

    #[test]
    fn keeps_a_set_name_and_reports_only_changes() {
        let mut c = sighting(None).to_new_contact(TenantId::new(), ProjectId::new(), Utc::now());
        assert_eq!(sighting(None).changes_to(&c), None);
        c.name = Some("Ana Maria".into());
        let ch = sighting(Some("Ana")).changes_to(&c);
        assert_eq!(
            ch.as_ref().map(|c| c.field_names()),
            Some(vec!["push_name"])
        );
    }

    #[test]
    fn tags_and_custom_fields_are_bounded() {
        assert_eq!(
            validate_tags(&[" vip ".into(), "vip".into(), "lead".into()]),
            Ok(vec!["vip".to_string(), "lead".to_string()])
        );
        assert!(validate_tags(&["".into()]).is_err());
        let many: Vec<String> = (0..51).map(|i| format!("t{i}")).collect();
        assert!(validate_tags(&many).is_err());
        assert!(validate_custom_fields(&serde_json::json!([1])).is_err());
        let big = "x".repeat(MAX_CUSTOM_FIELDS_BYTES);
        assert!(validate_custom_fields(&serde_json::json!({ "a": big })).is_err());
        assert!(validate_custom_fields(&serde_json::json!({"plan": "gold"})).is_ok());
    }

    #[test]
    fn patch_clears_with_null_and_merges_custom_fields() {
        let mut c =
            sighting(Some("Ana")).to_new_contact(TenantId::new(), ProjectId::new(), Utc::now());
        c.email = Some("ana@example.com".into());
        c.custom_fields = serde_json::json!({"plan": "gold", "city": "Recife"});
        let mut m = serde_json::Map::new();
        m.insert("plan".into(), serde_json::Value::Null);
        m.insert("size".into(), serde_json::json!(3));
        let p = ContactPatch {
            email: Some(None),
            custom_fields: Some(Some(m)),
            ..Default::default()
        };
        let changed = p.apply(&mut c, Utc::now());
        assert_eq!(changed, Ok(vec!["email", "custom_fields"]));
        assert_eq!(c.email, None);
        assert_eq!(
            c.custom_fields,
            serde_json::json!({"city": "Recife", "size": 3})
        );
        let clear_phone = ContactPatch {
            phone: Some(None),
            ..Default::default()
        };
        assert!(clear_phone.apply(&mut c, Utc::now()).is_err());
    }
}
