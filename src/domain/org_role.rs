//! `OrgRole`: VISITOR < MEMBER < ADMIN, and who may grant what.

/// A member's role in an organization, ordered by power.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum OrgRole {
    Visitor,
    Member,
    Admin,
}

string_enum!(OrgRole {
    Visitor => "VISITOR",
    Member => "MEMBER",
    Admin => "ADMIN",
});

impl OrgRole {
    /// Whether someone holding `self` may invite others as `granted`.
    /// Admins invite up to their own role; members, where the organization allows it, up to MEMBER.
    pub fn can_grant(self, granted: Self, members_can_invite: bool) -> bool {
        match self {
            Self::Admin => granted <= self,
            Self::Member => members_can_invite && granted <= Self::Member,
            Self::Visitor => false,
        }
    }
}
#[cfg(test)]
mod tests {
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

    #[test]
    fn roles_round_trip_through_strings() {
        for role in [Visitor, Member, Admin] {
            assert_eq!(role.as_str().parse::<super::OrgRole>().unwrap(), role);
        }
    }
}
