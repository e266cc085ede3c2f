//! Role-based access: what each role may do. `docs/API.md` prints this matrix.

use crate::tenancy::Role;
use serde::Serialize;

/// One thing a caller may be allowed to do. Chats are read with `messages:read`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, utoipa::ToSchema)]
pub enum Permission {
    #[serde(rename = "contacts:read")]
    ContactsRead,
    #[serde(rename = "contacts:create")]
    ContactsCreate,
    #[serde(rename = "contacts:update")]
    ContactsUpdate,
    #[serde(rename = "contacts:delete")]
    ContactsDelete,
    #[serde(rename = "messages:read")]
    MessagesRead,
    #[serde(rename = "messages:send")]
    MessagesSend,
    #[serde(rename = "sessions:read")]
    SessionsRead,
    #[serde(rename = "sessions:update")]
    SessionsUpdate,
    #[serde(rename = "notes:read")]
    NotesRead,
    #[serde(rename = "notes:create")]
    NotesCreate,
    #[serde(rename = "notes:delete")]
    NotesDelete,
    #[serde(rename = "agents:read")]
    AgentsRead,
    #[serde(rename = "agents:manage")]
    AgentsManage,
    #[serde(rename = "pipelines:read")]
    PipelinesRead,
    #[serde(rename = "pipelines:manage")]
    PipelinesManage,
    #[serde(rename = "channels:read")]
    ChannelsRead,
    #[serde(rename = "channels:manage")]
    ChannelsManage,
    #[serde(rename = "users:manage")]
    UsersManage,
    #[serde(rename = "api_keys:manage")]
    ApiKeysManage,
    #[serde(rename = "projects:manage")]
    ProjectsManage,
    #[serde(rename = "events:read")]
    EventsRead,
    #[serde(rename = "jobs:manage")]
    JobsManage,
    #[serde(rename = "reports:read")]
    ReportsRead,
    #[serde(rename = "webhooks:manage")]
    WebhooksManage,
}

use Permission::*;

impl Permission {
    pub const ALL: [Permission; 24] = [
        ContactsRead,
        ContactsCreate,
        ContactsUpdate,
        ContactsDelete,
        MessagesRead,
        MessagesSend,
        SessionsRead,
        SessionsUpdate,
        NotesRead,
        NotesCreate,
        NotesDelete,
        AgentsRead,
        AgentsManage,
        PipelinesRead,
        PipelinesManage,
        ChannelsRead,
        ChannelsManage,
        UsersManage,
        ApiKeysManage,
        ProjectsManage,
        EventsRead,
        JobsManage,
        ReportsRead,
        WebhooksManage,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ContactsRead => "contacts:read",
            ContactsCreate => "contacts:create",
            ContactsUpdate => "contacts:update",
            ContactsDelete => "contacts:delete",
            MessagesRead => "messages:read",
            MessagesSend => "messages:send",
            SessionsRead => "sessions:read",
            SessionsUpdate => "sessions:update",
            NotesRead => "notes:read",
            NotesCreate => "notes:create",
            NotesDelete => "notes:delete",
            AgentsRead => "agents:read",
            AgentsManage => "agents:manage",
            PipelinesRead => "pipelines:read",
            PipelinesManage => "pipelines:manage",
            ChannelsRead => "channels:read",
            ChannelsManage => "channels:manage",
            UsersManage => "users:manage",
            ApiKeysManage => "api_keys:manage",
            ProjectsManage => "projects:manage",
            EventsRead => "events:read",
            JobsManage => "jobs:manage",
            ReportsRead => "reports:read",
            WebhooksManage => "webhooks:manage",
        }
    }
}

const SUPERVISOR: &[Permission] = &[
    ContactsRead,
    SessionsRead,
    MessagesRead,
    NotesRead,
    AgentsRead,
    PipelinesRead,
    ReportsRead,
];

const AGENT: &[Permission] = &[
    ContactsRead,
    ContactsUpdate,
    MessagesRead,
    MessagesSend,
    SessionsRead,
    SessionsUpdate,
    NotesCreate,
    NotesRead,
];

impl Role {
    /// Admins may do everything; the other roles hold a fixed list.
    pub fn allows(self, p: Permission) -> bool {
        match self {
            Role::Admin => true,
            Role::Supervisor => SUPERVISOR.contains(&p),
            Role::Agent => AGENT.contains(&p),
        }
    }

    pub fn permissions(self) -> Vec<Permission> {
        Permission::ALL
            .into_iter()
            .filter(|p| self.allows(*p))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_md_prints_this_matrix() {
        let squash = |s: &str| s.replace(' ', "");
        let doc = squash(include_str!("../../../docs/API.md"));
        for p in Permission::ALL {
            let cells: String = [Role::Admin, Role::Supervisor, Role::Agent]
                .map(|r| if r.allows(p) { "✓|" } else { "|" })
                .concat();
            let row = format!("|`{}`|{cells}", p.as_str());
            assert!(doc.contains(&row), "docs/API.md lacks the row {row}");
        }
    }

    #[test]
    fn matrix_matches_the_documented_roles() {
        assert_eq!(Role::Admin.permissions().len(), Permission::ALL.len());
        assert!(Role::Supervisor.allows(PipelinesRead));
        assert!(!Role::Supervisor.allows(ContactsUpdate));
        assert!(!Role::Supervisor.allows(NotesCreate));
        assert!(Role::Agent.allows(NotesCreate));
        assert!(!Role::Agent.allows(NotesDelete));
        assert!(!Role::Agent.allows(ContactsDelete));
        assert!(!Role::Agent.allows(AgentsRead));
        assert!(Role::Supervisor.allows(ReportsRead));
        assert!(!Role::Agent.allows(ReportsRead));
        for p in Permission::ALL {
            assert_eq!(
                serde_json::to_value(p).ok(),
                Some(serde_json::json!(p.as_str()))
            );
        }
    }
}
