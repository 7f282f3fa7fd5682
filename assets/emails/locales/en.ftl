# Doorman's email messages in English. Every language has the same message ids; a test
# renders every template in every language and fails on a missing one.
# Placeables are plain text: the HTML templates escape whatever a message says.

## How dates are written: a strftime pattern (chrono), the locale of month and day names
## (a POSIX locale name), and the text direction of the language.
date-format = %B %-d, %Y, %H:%M %Z
date-locale = en_US
text-direction = ltr

## Names shared by the templates
role-admin = admin
role-member = member
role-visitor = visitor
someone = Someone
an-administrator = An administrator
or-open-link = Or open this link:
sent-by = Sent by { $product }
sent-for = Sent by { $product } for { $organization }

## An invitation to join an organization
invitation-subject = { $inviter } invited you to join { $organization } on { $product }
invitation-intro = { $inviter } invited you to join { $organization } on { $product } as { $role }.
invitation-message = Their message:
invitation-accept = Accept the invitation
invitation-expires = This invitation expires on { $expires }.
invitation-ignore = If you were not expecting it, you can ignore this email.

## An invitation to create an account (an invitation-only server)
registration-subject = You're invited to create a { $product } account
registration-subject-organization = You're invited to create a { $product } account and join { $organization }
registration-intro = { $inviter } invited you to create an account on { $product }.
registration-intro-organization = { $inviter } invited you to create an account on { $product } and join { $organization } as { $role }.
registration-accept = Create your account

## A reminder of an invitation that was not answered yet
reminder-subject = Reminder: { $subject }
reminder-intro = This invitation is still waiting for your answer.
unsubscribe-hint = Not interested? Decline the invitation on its page, and no more emails about it will come.

## Confirming an account's email address
verify-subject = Verify your email address for { $product }
verify-intro = Confirm that this address is yours: verify the email address of the { $product } account { $username }.
verify-button = Verify my email address
verify-expires = The link works once and expires on { $expires }.
verify-ignore = If you did not create this account or change its email, you can ignore this email.

## To the old address, after an account's email changed
changed-subject = The email address of your { $product } account changed
changed-body = The email address of the { $product } account { $username } was changed to { $address }. This address no longer receives its mail.
changed-help = If you did not make this change, contact your { $product } administrator.

## To an inviter whose invitation reached the wrong person
greeting = Hello { $name },
wrong-subject = Your invitation to { $invitee } reached the wrong person
wrong-body = The invitation you sent to { $invitee } to join { $organization } reached someone who says it was not meant for them. It was cancelled, and its link no longer works.
wrong-help = Check the address, and invite the right person.

## To an organization's admins, when a webhook endpoint was disabled
webhook-disabled-subject = A webhook endpoint of { $organization } was disabled
webhook-disabled-body = { $product } disabled the webhook endpoint { $url }: its deliveries have failed since { $since }. No events are sent to it any more.
webhook-disabled-help = Fix the receiver, then resume the endpoint. Deliveries that failed can be sent again with redeliver.
