//! `OrgRole`: VISITOR < MEMBER < ADMIN, and who may grant what.

pub use entity::enums::OrgRole;

/// What a role may do.
pub trait Grants {
    /// Whether someone holding this role may invite others as `granted`. Admins invite up to
    /// their own role; members, where the organization allows it, up to MEMBER.
    fn can_grant(self, granted: OrgRole, members_can_invite: bool) -> bool;
}

impl Grants for OrgRole {
    fn can_grant(self, granted: OrgRole, members_can_invite: bool) -> bool {
        match self {
            OrgRole::Admin => granted <= self,
            OrgRole::Member => members_can_invite && granted <= OrgRole::Member,
            OrgRole::Visitor => false,
        }
    }
}
#[cfg(test)]
mod tests {
    use super::Grants;
    use super::OrgRole::{Admin, Member, Visitor};

    #[test]
    fn roles_are_ordered() {
        assert!(Visitor < Member && Member < Admin);
    }

    #[test]
    fn admins_grant_up_to_admin_and_members_only_when_allowed() {
        assert!(Admin.can_grant(Admin, false));
        assert!(!Member.can_grant(Member, false));
        assert!(Member.can_grant(Member, true));
        assert!(!Member.can_grant(Admin, true));
        assert!(!Visitor.can_grant(Visitor, true));
    }
}
