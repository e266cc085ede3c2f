//! Contacts: a person the business talks to, unique per tenant by phone (or by WhatsApp LID
//! while the phone is unknown).

use crate::ids::{ContactId, ProjectId, TenantId};
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
