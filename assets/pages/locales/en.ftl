# The words of Doorman's hosted pages (the invitation page, the admin console, the sign-in
# callback) in English. Every language has the same message ids in the same order, and each
# message the same variables; the pages show a missing message as an error.
# Rules (the server reads these files as JSON for the pages): one line per message, and only
# text and variables `$name`. `$product` is the product name the server is set up with.

## Written by the server into the page, before its script runs
page-title-invitation = Invitation · { $product }
page-title-admin = Admin · { $product }
page-title-signin = Signing in · { $product }
loading-invitation = Loading your invitation…
loading-admin = Loading the console…
loading-signin = Signing you in…
needs-javascript = This page needs JavaScript.

## Shared by the pages
product-name = { $product }
continue-with = Continue with { $provider }
sign-in-needs-https = Signing in with a provider needs this page to be served over HTTPS.
or = or
sign-in = Sign in
sign-out = Sign out
field-login = Email or username
field-password = Password
never = never

## The invitation page: what a refusal of the API means, and what to do about it
refusal-invitation-expired = This invitation has expired. Ask for a new one below.
refusal-invitation-cancelled = This invitation was cancelled. Ask the person who invited you for a new one.
refusal-invitation-declined = This invitation was declined.
refusal-invitation-used-up = This link has been used as many times as it allows. Ask for a new one below.
refusal-invitation-already-accepted = This invitation was already used.
refusal-invitation-superseded = A newer invitation was sent: use the link in the latest email, or ask for a new one below.
refusal-invitation-paused = This link is paused by the organization. Try again later, or ask the person who shared it.
refusal-invitation-not-found = This link does not lead to an invitation. Check that you opened the whole link.
refusal-email-mismatch = This invitation is for another email address. Sign in with the invited address.
refusal-email-domain-not-allowed = This link is only for email addresses of some domains, and yours is not one of them.
refusal-email-not-verified = Verify your email address first: open the link we sent you, then come back.
refusal-already-member = You are already a member of this organization.
refusal-unauthenticated = Sign in again: your session ended, or the email or password was wrong.
refusal-rate-limited = Too many attempts. Wait a moment and try again.
something-went-wrong = Something went wrong. Try again.
invitation-unusable = This invitation can no longer be used.

## The invitation page: the invitation
role-admin = Admin
role-member = Member
role-visitor = Visitor
invite-heading = You are invited to join { $organization }
invite-heading-register = You are invited to create a { $product } account
fact-invited-by = Invited by
fact-role = Role
fact-for = For
fact-expires = Expires

## The invitation page: signing up and signing in
sign-in-to-continue = Sign in to continue
create-your-account = Create your account
field-email = Email
field-username = Username
field-new-password = Password (at least 8 characters)
create-account = Create account
have-account = Already have an account?
new-here = New here?
create-an-account = Create an account
account-ready = Your account is ready
account-ready-welcome = Welcome, { $username }. You can close this page.

## The invitation page: answering the invitation
joined-organization = You joined { $organization }.
welcome-aboard = Welcome aboard
joined-close-page = You joined. You can close this page.
accept-invitation = Accept invitation
decline = Decline
invitation-declined = Invitation declined
will-not-join = You will not join { $organization }.
continue = Continue
signed-in-as-sentence = Signed in as { $username }.
ask-new-invitation = Ask for a new invitation
new-invitation-requested = We told the organization. You will get an email if they invite you again.
not-meant-for-you = Not meant for you?
tell-the-sender = Tell the sender
thank-you = Thank you
wrong-recipient-reported = The invitation was cancelled and the person who sent it was told.
verify-email-to-accept = Verify your email address ({ $email }) to accept: open the link we emailed you, then reload this page.
verification-email-sent = A new verification email is on its way.
send-email-again = Send the email again
switch-account = You are signed in as { $username }, but this invitation is for { $email }. Sign in with the invited address.
switch-account-someone-else = You are signed in as { $username }, but this invitation is for someone else. Sign in with the invited address.
sign-out-and-switch = Sign out and switch account
reload-to-continue = Reload this page to continue.
invitation-cannot-be-shown = This invitation cannot be shown
invitation-not-found = Invitation not found

## The admin console: signing in
admin-heading = { $product } admin
admin-sign-in-intro = Sign in as an organization admin.
admin-no-organization = { $username } administers no organization.
admin-organization = Organization
admin-signed-in-as = Signed in as { $username }

## The admin console: the names of the API's values, as the API spells them in English
admin-role-member = MEMBER
admin-role-visitor = VISITOR
admin-role-admin = ADMIN
admin-status-pending = PENDING
admin-status-accepted = ACCEPTED
admin-status-used-up = USED_UP
admin-status-expired = EXPIRED
admin-status-cancelled = CANCELLED
admin-status-declined = DECLINED
admin-delivery-not-requested = NOT_REQUESTED
admin-delivery-queued = QUEUED
admin-delivery-sent = SENT
admin-delivery-failed = FAILED

## The admin console: inviting by email and sharing a link
admin-invite-by-email = Invite by email
admin-emails = Emails (one per line, or separated by commas)
admin-role = Role
admin-personal-note = Personal note (optional)
admin-send-invitations = Send invitations
admin-invited = Invited { $email }
admin-not-invited = { $input }: { $reason }
admin-invite-summary = { $invited } invited, { $failed } not.
admin-share-a-link = Share a link
admin-create-a-link = Create a link
admin-most-uses = Most uses (empty: no limit)
admin-create-link = Create link
admin-new-link = The new link
admin-copy = Copy
admin-link-copied = Link copied.
admin-copy-by-hand = Press Ctrl+C to copy the selected link.

## The admin console: the list of invitations
admin-invitations = Invitations
admin-status-filter = Status
admin-all-statuses = All statuses
admin-email-contains = Email contains
admin-invitation-count = { $count } invitations
admin-column-email = Email
admin-column-role = Role
admin-column-status = Status
admin-column-delivery = Delivery or uses
admin-column-expires = Expires
admin-column-actions = Actions
admin-link-badge = link
admin-uses = { $count } used
admin-uses-of-most = { $count } of { $most } used
admin-cancel = Cancel
admin-cancel-email = Cancel { $email }
admin-cancel-link = Cancel link
admin-resend = Resend
admin-resend-to = Resend to { $email }
admin-done = Done.

## The admin console: acceptances as they happen
admin-live = Live
admin-live-intro = Invitations accepted while this page is open:
admin-live-joined = { $who } joined as { $role } ({ $time })
admin-live-someone = someone
admin-live-a-member = member

## Back from the identity provider (/signin/callback)
signin-failed = Signing in did not work
signin-go-back = Go back and try again
signin-refused = You cancelled, or the provider refused to sign you in.
signin-provider-error = The provider answered: { $error }.
signin-not-started-here = This sign-in did not start in this tab, or it was already used.
signin-no-provider = This server no longer signs in with a provider.
signin-http-status = status { $status }
signin-no-token = The provider did not give a token: { $reason }.
signin-other-grant = The provider answered for another sign-in.
signin-unusable-token = The provider gave no token { $product } can use.
