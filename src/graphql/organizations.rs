//! `Organization`, `Membership`, `OrgSelector`, `createOrganization`, `organization`, and the
//! members' mutations (`updateMemberRole`, `removeMember`, `leaveOrganization`).

use async_graphql::{
    Context, Enum, ErrorExtensions, ID, InputObject, Json, MaybeUndefined, Object, OneofObject,
    Result, SimpleObject,
};

use super::connection::{ListConnection, connection, page_cost, page_request};
use super::context::{state, viewer};
use super::loaders::{OrgId, UserId, ViewerRoleIn, loader};
use super::objects::{Invitation, Membership, Organization, User};
use crate::domain::branding;
use crate::domain::email_address::{EmailAddress, EmailDomains};
use crate::domain::invitation_extras::Metadata;
use crate::domain::names::{DisplayName, Handle};
use crate::domain::org_role;
use crate::error::AppError;
use crate::service::administration::{self, OrgChanges};
use crate::service::invitations::queries;
use crate::service::organizations::{self, NewOrganization, OrgRef};

/// A member's role, ordered VISITOR < MEMBER < ADMIN.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "org_role::OrgRole")]
pub enum OrgRole {
    Visitor,
    Member,
    Admin,
}

/// Names an organization by exactly one of `id` or `name`.
#[derive(OneofObject)]
pub enum OrgSelector {
    Id(ID),
    Name(String),
}

impl OrgSelector {
    /// An id that is not a number names no organization.
    pub fn to_ref(&self) -> OrgRef {
        match self {
            Self::Id(id) => OrgRef::Id(id.parse().unwrap_or(-1)),
            Self::Name(name) => OrgRef::Name(name.clone()),
        }
    }
}

#[Object]
impl Organization {
    async fn id(&self) -> ID {
        self.0.id.into()
    }

    /// Unique lower-case handle.
    async fn name(&self) -> &str {
        administration::original_name(&self.0.name)
    }

    async fn display_name(&self) -> Option<&str> {
        self.0.display_name.as_deref()
    }

    /// Whether members (not only admins) may invite others, up to MEMBER.
    async fn members_can_invite(&self) -> bool {
        self.0.members_can_invite
    }

    /// The role a new invitation grants when it names none.
    async fn default_invite_role(&self) -> OrgRole {
        self.0.default_invite_role.into()
    }

    /// How many hours a new invitation lasts when it names no `expiresAt`; null: the
    /// server's default.
    async fn default_invite_expiry_hours(&self) -> Option<i32> {
        self.0.default_invite_expiry_hours
    }

    /// The domains a new link is limited to when it names none (empty = any).
    async fn default_allowed_email_domains(&self) -> Vec<String> {
        EmailDomains::stored(&self.0.default_allowed_email_domains).into_vec()
    }

    async fn created_at(&self) -> super::scalars::DateTime {
        self.0.created_at.into()
    }

    /// How its emails look; for its members (null for others, such as the holder of a link).
    async fn email_branding(&self, ctx: &Context<'_>) -> Result<Option<EmailBranding>> {
        let role = loader(ctx).load_one(ViewerRoleIn(self.0.id)).await?;
        Ok(role.map(|_| EmailBranding {
            logo_url: self.0.logo_url.clone(),
            accent_color: self.0.accent_color.clone(),
            reply_to: self.0.reply_to.clone(),
            email_footer: self.0.email_footer.clone(),
        }))
    }

    /// The language of its emails when an invitation names none; null: the server's.
    async fn default_locale(&self) -> Option<&str> {
        self.0.default_locale.as_deref()
    }

    /// The caller's role here; null when not a member.
    async fn viewer_role(&self, ctx: &Context<'_>) -> Result<Option<OrgRole>> {
        let role = loader(ctx).load_one(ViewerRoleIn(self.0.id)).await?;
        Ok(role.map(OrgRole::from))
    }

    /// Members, newest first; only members may list them.
    #[graphql(complexity = "page_cost(first) * child_complexity")]
    async fn members(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<ListConnection<Membership>> {
        let result = async {
            let page = page_request(first, after, 20)?;
            organizations::members(state(ctx), viewer(ctx), self.0.id, page).await
        }
        .await
        .map_err(|err| err.extend())?;
        Ok(connection(result, |m| m.id, Membership))
    }
}

#[Object]
impl Membership {
    async fn user(&self, ctx: &Context<'_>) -> Result<User> {
        let user = loader(ctx).load_one(UserId(self.0.user_id)).await?;
        user.map(User::new)
            .ok_or_else(|| AppError::not_found("the user no longer exists").extend())
    }

    async fn organization(&self, ctx: &Context<'_>) -> Result<Organization> {
        let org = loader(ctx).load_one(OrgId(self.0.organization_id)).await?;
        org.map(Organization)
            .ok_or_else(|| AppError::not_found("the organization no longer exists").extend())
    }

    // Every membership has a role; the field stays nullable in the published schema.
    async fn role(&self) -> Option<OrgRole> {
        Some(self.0.role.into())
    }

    async fn joined_at(&self) -> super::scalars::DateTime {
        self.0.joined_at.into()
    }

    /// The JSON object of the invitation this membership came through; for the
    /// organization's admins (null for others).
    async fn metadata(&self, ctx: &Context<'_>) -> Result<Option<Json<serde_json::Value>>> {
        let Some(text) = self.0.metadata.as_deref() else {
            return Ok(None);
        };
        let role = loader(ctx)
            .load_one(ViewerRoleIn(self.0.organization_id))
            .await?;
        Ok((role == Some(org_role::OrgRole::Admin)).then(|| Json(Metadata::stored(text))))
    }

    /// The invitation this membership came through, when the caller may see it.
    async fn invitation(&self, ctx: &Context<'_>) -> Result<Option<Invitation>> {
        let Some(id) = self.0.invitation_id else {
            return Ok(None);
        };
        let found = queries::membership_invitation(state(ctx), viewer(ctx), &self.0, id)
            .await
            .map_err(|err| err.extend())?;
        Ok(found.map(Invitation))
    }
}

#[derive(InputObject)]
pub struct CreateOrganizationInput {
    /// Unique handle: 1–39 letters, digits, '-' or '_'.
    pub name: String,
    pub display_name: Option<String>,
    /// Let members (not only admins) invite others, up to MEMBER.
    #[graphql(default)]
    pub members_can_invite: bool,
}

/// The settings `updateOrganization` changes; a field left out stays as it is.
#[derive(InputObject)]
pub struct UpdateOrganizationInput {
    /// A new unique handle; the id and every invitation link stay the same.
    pub name: Option<String>,
    /// A new display name; `null` clears it.
    pub display_name: MaybeUndefined<String>,
    /// Let members (not only admins) invite others, up to MEMBER.
    pub members_can_invite: Option<bool>,
    /// The role of a new invitation that names none: VISITOR or MEMBER.
    pub default_invite_role: Option<OrgRole>,
    /// How many hours a new invitation lasts when it names no `expiresAt`; `null` goes back
    /// to the server's default.
    pub default_invite_expiry_hours: MaybeUndefined<i32>,
    /// The domains a new link is limited to when it names none (`[]` = any).
    pub default_allowed_email_domains: Option<Vec<String>>,
    /// An `https` image at the top of its emails; `null` clears it.
    pub logo_url: MaybeUndefined<String>,
    /// `#rrggbb`: the colour of its emails' button and top border; `null` clears it.
    pub accent_color: MaybeUndefined<String>,
    /// Where replies to its emails go; `null` clears it.
    pub reply_to: MaybeUndefined<String>,
    /// One line (at most 200 characters) at the foot of its emails; `null` clears it.
    pub email_footer: MaybeUndefined<String>,
    /// The language of its emails when an invitation names none (one of
    /// `serverInfo.emailLocales`); `null`: the server's.
    pub default_locale: MaybeUndefined<String>,
}

/// How an organization's emails look: set with `updateOrganization`.
#[derive(SimpleObject)]
pub struct EmailBranding {
    /// The `https` image at the top of its emails.
    pub logo_url: Option<String>,
    /// `#rrggbb`: the button and top border (the product's green when unset).
    pub accent_color: Option<String>,
    /// Where replies to its emails go.
    pub reply_to: Option<String>,
    /// The line at the foot of its emails.
    pub email_footer: Option<String>,
}

/// A setting that `null` clears: `None` to leave it, `Some(None)` to clear it, else the
/// value `check` makes of it (or `BAD_USER_INPUT` with its reason).
fn clearable(
    value: MaybeUndefined<String>,
    check: impl Fn(&str) -> Result<String, String>,
) -> Result<Option<Option<String>>, AppError> {
    match value {
        MaybeUndefined::Undefined => Ok(None),
        MaybeUndefined::Null => Ok(Some(None)),
        MaybeUndefined::Value(raw) => check(&raw)
            .map(|value| Some(Some(value)))
            .map_err(AppError::bad_input),
    }
}

#[derive(Default)]
pub struct OrganizationsQuery;

#[Object]
impl OrganizationsQuery {
    /// An organization by id or name; null when there is none.
    async fn organization(
        &self,
        ctx: &Context<'_>,
        org: OrgSelector,
    ) -> Result<Option<Organization>> {
        let found = organizations::find_organization(state(ctx), viewer(ctx), &org.to_ref())
            .await
            .map_err(|err| err.extend())?;
        Ok(found.map(Organization))
    }
}

#[derive(Default)]
pub struct OrganizationsMutation;

#[Object]
impl OrganizationsMutation {
    /// Creates an organization; the caller becomes its ADMIN.
    async fn create_organization(
        &self,
        ctx: &Context<'_>,
        input: CreateOrganizationInput,
    ) -> Result<Organization> {
        async {
            let new = NewOrganization {
                name: Handle::parse(&input.name, "organization name")
                    .map_err(AppError::bad_input)?,
                display_name: DisplayName::parse(input.display_name.as_deref())
                    .map_err(AppError::bad_input)?,
                members_can_invite: input.members_can_invite,
            };
            organizations::create_organization(state(ctx), viewer(ctx), new).await
        }
        .await
        .map(Organization)
        .map_err(|err| err.extend())
    }

    /// Gives a member another role (org admins). The last admin cannot be demoted
    /// (`LAST_ADMIN`).
    async fn update_member_role(
        &self,
        ctx: &Context<'_>,
        org: OrgSelector,
        user_id: ID,
        role: OrgRole,
    ) -> Result<Membership> {
        let user_id = user_id.parse().unwrap_or(-1);
        administration::update_member_role(
            state(ctx),
            viewer(ctx),
            &org.to_ref(),
            user_id,
            role.into(),
        )
        .await
        .map(Membership)
        .map_err(|err| err.extend())
    }

    /// Removes a member (org admins); what they accepted stays accepted, their rights end at
    /// once. The last admin cannot be removed (`LAST_ADMIN`). True when done.
    async fn remove_member(
        &self,
        ctx: &Context<'_>,
        org: OrgSelector,
        user_id: ID,
    ) -> Result<bool> {
        let user_id = user_id.parse().unwrap_or(-1);
        administration::remove_member(state(ctx), viewer(ctx), &org.to_ref(), user_id)
            .await
            .map(|()| true)
            .map_err(|err| err.extend())
    }

    /// The caller leaves the organization; the last admin cannot (`LAST_ADMIN`). True when done.
    async fn leave_organization(&self, ctx: &Context<'_>, org: OrgSelector) -> Result<bool> {
        administration::leave_organization(state(ctx), viewer(ctx), &org.to_ref())
            .await
            .map(|()| true)
            .map_err(|err| err.extend())
    }

    /// Deletes an organization (org admins): its pending invitations are cancelled and their
    /// undelivered emails stopped, its members leave it, its name is free again. True when
    /// done.
    async fn delete_organization(&self, ctx: &Context<'_>, org: OrgSelector) -> Result<bool> {
        administration::delete_organization(state(ctx), viewer(ctx), &org.to_ref())
            .await
            .map(|_| true)
            .map_err(|err| err.extend())
    }

    /// Changes an organization's settings (org admins): its name, display name, whether
    /// members may invite, the defaults of new invitations, and its emails' branding and
    /// language. Each change is an
    /// `ORG_UPDATED` event in its log.
    async fn update_organization(
        &self,
        ctx: &Context<'_>,
        org: OrgSelector,
        input: UpdateOrganizationInput,
    ) -> Result<Organization> {
        async {
            let changes = OrgChanges {
                name: input
                    .name
                    .as_deref()
                    .map(|name| Handle::parse(name, "organization name"))
                    .transpose()
                    .map_err(AppError::bad_input)?,
                display_name: match input.display_name {
                    MaybeUndefined::Undefined => None,
                    MaybeUndefined::Null => Some(None),
                    MaybeUndefined::Value(name) => {
                        Some(DisplayName::parse(Some(&name)).map_err(AppError::bad_input)?)
                    }
                },
                members_can_invite: input.members_can_invite,
                default_invite_role: input.default_invite_role.map(Into::into),
                default_invite_expiry_hours: match input.default_invite_expiry_hours {
                    MaybeUndefined::Undefined => None,
                    MaybeUndefined::Null => Some(None),
                    MaybeUndefined::Value(hours) => {
                        Some(Some(u32::try_from(hours).map_err(|_| {
                            AppError::bad_input("defaultInviteExpiryHours must be positive")
                        })?))
                    }
                },
                default_allowed_email_domains: input
                    .default_allowed_email_domains
                    .as_deref()
                    .map(EmailDomains::parse)
                    .transpose()
                    .map_err(AppError::bad_input)?,
                logo_url: clearable(input.logo_url, branding::logo_url)?,
                accent_color: clearable(input.accent_color, branding::accent_color)?,
                reply_to: clearable(input.reply_to, |raw| {
                    EmailAddress::parse(raw)
                        .map(|address| address.to_string())
                        .map_err(|err| format!("replyTo: {err}"))
                })?,
                email_footer: clearable(input.email_footer, branding::email_footer)?,
                default_locale: clearable(input.default_locale, |raw| {
                    state(ctx).emails.languages().supported(raw)
                })?,
            };
            administration::update_organization(state(ctx), viewer(ctx), &org.to_ref(), changes)
                .await
        }
        .await
        .map(Organization)
        .map_err(|err| err.extend())
    }
}
