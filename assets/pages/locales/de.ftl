# Die Texte von Doormans gehosteten Seiten (Einladungsseite, Admin-Konsole, Rückkehr von der
# Anmeldung) auf Deutsch. Jede Sprache hat dieselben Nachrichten-IDs in derselben Reihenfolge und
# jede Nachricht dieselben Variablen; eine fehlende Nachricht zeigen die Seiten als Fehler an.
# Regeln (der Server gibt diese Dateien den Seiten als JSON): eine Zeile pro Nachricht, nur Text
# und Variablen `$name`. `$product` ist der Produktname, mit dem der Server eingerichtet ist.

## Vom Server in die Seite geschrieben, bevor ihr Skript läuft
page-title-invitation = Einladung · { $product }
page-title-admin = Verwaltung · { $product }
page-title-signin = Anmeldung · { $product }
loading-invitation = Deine Einladung wird geladen…
loading-admin = Die Konsole wird geladen…
loading-signin = Du wirst angemeldet…
needs-javascript = Diese Seite benötigt JavaScript.

## Von den Seiten gemeinsam genutzt
product-name = { $product }
continue-with = Weiter mit { $provider }
sign-in-needs-https = Für die Anmeldung über einen Anbieter muss diese Seite über HTTPS bereitgestellt werden.
or = oder
sign-in = Anmelden
sign-out = Abmelden
field-login = E-Mail-Adresse oder Benutzername
field-password = Passwort
never = nie

## Die Einladungsseite: was eine Ablehnung der API bedeutet und was zu tun ist
refusal-invitation-expired = Diese Einladung ist abgelaufen. Fordere unten eine neue an.
refusal-invitation-cancelled = Diese Einladung wurde widerrufen. Bitte die Person, die dich eingeladen hat, um eine neue.
refusal-invitation-declined = Diese Einladung wurde abgelehnt.
refusal-invitation-used-up = Dieser Link wurde so oft verwendet, wie er erlaubt. Fordere unten eine neue Einladung an.
refusal-invitation-already-accepted = Diese Einladung wurde bereits verwendet.
refusal-invitation-superseded = Es wurde eine neuere Einladung gesendet: Verwende den Link in der neuesten E-Mail oder fordere unten eine neue an.
refusal-invitation-paused = Dieser Link wurde von der Organisation pausiert. Versuche es später erneut oder frage die Person, die ihn geteilt hat.
refusal-invitation-not-found = Dieser Link führt zu keiner Einladung. Prüfe, ob du den vollständigen Link geöffnet hast.
refusal-email-mismatch = Diese Einladung gilt für eine andere E-Mail-Adresse. Melde dich mit der eingeladenen Adresse an.
refusal-email-domain-not-allowed = Dieser Link gilt nur für E-Mail-Adressen bestimmter Domains, und deine gehört nicht dazu.
refusal-email-not-verified = Bestätige zuerst deine E-Mail-Adresse: Öffne den Link, den wir dir gesendet haben, und komm dann zurück.
refusal-already-member = Du bist bereits Mitglied dieser Organisation.
refusal-unauthenticated = Melde dich erneut an: Deine Sitzung ist abgelaufen, oder die E-Mail-Adresse oder das Passwort war falsch.
refusal-rate-limited = Zu viele Versuche. Warte einen Moment und versuche es dann erneut.
something-went-wrong = Etwas ist schiefgelaufen. Versuche es erneut.
invitation-unusable = Diese Einladung kann nicht mehr verwendet werden.

## Die Einladungsseite: die Einladung
role-admin = Administrator
role-member = Mitglied
role-visitor = Gast
invite-heading = Du wurdest eingeladen, { $organization } beizutreten
invite-heading-register = Du wurdest eingeladen, ein Konto bei { $product } zu erstellen
fact-invited-by = Eingeladen von
fact-role = Rolle
fact-for = Für
fact-expires = Läuft ab

## Die Einladungsseite: Registrieren und Anmelden
sign-in-to-continue = Melde dich an, um fortzufahren
create-your-account = Konto erstellen
field-email = E-Mail-Adresse
field-username = Benutzername
field-new-password = Passwort (mindestens 8 Zeichen)
create-account = Konto erstellen
have-account = Du hast schon ein Konto?
new-here = Neu hier?
create-an-account = Ein Konto erstellen
account-ready = Dein Konto ist bereit
account-ready-welcome = Willkommen, { $username }. Du kannst diese Seite jetzt schließen.

## Die Einladungsseite: auf die Einladung antworten
joined-organization = Du bist { $organization } beigetreten.
welcome-aboard = Willkommen an Bord
joined-close-page = Du bist beigetreten. Du kannst diese Seite jetzt schließen.
accept-invitation = Einladung annehmen
decline = Ablehnen
invitation-declined = Einladung abgelehnt
will-not-join = Du trittst { $organization } nicht bei.
continue = Weiter
signed-in-as-sentence = Angemeldet als { $username }.
ask-new-invitation = Neue Einladung anfordern
new-invitation-requested = Wir haben der Organisation Bescheid gegeben. Du erhältst eine E-Mail, wenn sie dich erneut einlädt.
not-meant-for-you = Nicht für dich bestimmt?
tell-the-sender = Der einladenden Person Bescheid geben
thank-you = Danke
wrong-recipient-reported = Die Einladung wurde widerrufen, und die Person, die sie gesendet hat, wurde benachrichtigt.
verify-email-to-accept = Bestätige deine E-Mail-Adresse ({ $email }), um die Einladung anzunehmen: Öffne den Link, den wir dir per E-Mail gesendet haben, und lade diese Seite dann neu.
verification-email-sent = Eine neue Bestätigungs-E-Mail ist unterwegs.
send-email-again = E-Mail erneut senden
switch-account = Du bist als { $username } angemeldet, aber diese Einladung gilt für { $email }. Melde dich mit der eingeladenen Adresse an.
switch-account-someone-else = Du bist als { $username } angemeldet, aber diese Einladung gilt für jemand anderen. Melde dich mit der eingeladenen Adresse an.
sign-out-and-switch = Abmelden und Konto wechseln
reload-to-continue = Lade diese Seite neu, um fortzufahren.
invitation-cannot-be-shown = Diese Einladung kann nicht angezeigt werden
invitation-not-found = Einladung nicht gefunden

## Die Admin-Konsole: Anmeldung
admin-heading = { $product }-Verwaltung
admin-sign-in-intro = Melde dich als Administrator einer Organisation an.
admin-no-organization = { $username } verwaltet keine Organisation.
admin-organization = Organisation
admin-signed-in-as = Angemeldet als { $username }

## Die Admin-Konsole: die Namen der Werte der API
admin-role-member = Mitglied
admin-role-visitor = Gast
admin-role-admin = Administrator
admin-status-pending = Offen
admin-status-accepted = Angenommen
admin-status-used-up = Aufgebraucht
admin-status-expired = Abgelaufen
admin-status-cancelled = Widerrufen
admin-status-declined = Abgelehnt
admin-delivery-not-requested = Nicht angefordert
admin-delivery-queued = In der Warteschlange
admin-delivery-sent = Gesendet
admin-delivery-failed = Fehlgeschlagen

## Die Admin-Konsole: per E-Mail einladen und einen Link teilen
admin-invite-by-email = Per E-Mail einladen
admin-emails = E-Mail-Adressen (eine pro Zeile oder durch Kommas getrennt)
admin-role = Rolle
admin-personal-note = Persönliche Nachricht (optional)
admin-send-invitations = Einladungen senden
admin-invited = { $email } eingeladen
admin-not-invited = { $input }: { $reason }
admin-invite-summary = Eingeladen: { $invited }, nicht eingeladen: { $failed }.
admin-share-a-link = Einen Link teilen
admin-create-a-link = Einen Link erstellen
admin-most-uses = Höchstzahl an Verwendungen (leer: unbegrenzt)
admin-create-link = Link erstellen
admin-new-link = Der neue Link
admin-copy = Kopieren
admin-link-copied = Link kopiert.
admin-copy-by-hand = Drücke Strg+C, um den markierten Link zu kopieren.

## Die Admin-Konsole: die Liste der Einladungen
admin-invitations = Einladungen
admin-status-filter = Status
admin-all-statuses = Alle Status
admin-email-contains = E-Mail-Adresse enthält
admin-invitation-count = Einladungen: { $count }
admin-column-email = E-Mail-Adresse
admin-column-role = Rolle
admin-column-status = Status
admin-column-delivery = Zustellung oder Verwendungen
admin-column-expires = Läuft ab
admin-column-actions = Aktionen
admin-link-badge = Link
admin-uses = { $count }-mal verwendet
admin-uses-of-most = { $count } von { $most } verwendet
admin-cancel = Widerrufen
admin-cancel-email = Einladung an { $email } widerrufen
admin-cancel-link = Link widerrufen
admin-resend = Erneut senden
admin-resend-to = Erneut an { $email } senden
admin-done = Erledigt.

## Die Admin-Konsole: Annahmen, während sie geschehen
admin-live = Live
admin-live-intro = Einladungen, die angenommen werden, während diese Seite geöffnet ist:
admin-live-joined = { $who } ist als { $role } beigetreten ({ $time })
admin-live-someone = Jemand
admin-live-a-member = Mitglied

## Zurück vom Identitätsanbieter (/signin/callback)
signin-failed = Die Anmeldung hat nicht funktioniert
signin-go-back = Zurück und erneut versuchen
signin-refused = Du hast abgebrochen, oder der Anbieter hat deine Anmeldung abgelehnt.
signin-provider-error = Antwort des Anbieters: { $error }.
signin-not-started-here = Diese Anmeldung wurde nicht in diesem Tab gestartet oder wurde bereits verwendet.
signin-no-provider = Dieser Server bietet keine Anmeldung über einen Anbieter mehr an.
signin-http-status = Status { $status }
signin-no-token = Der Anbieter hat kein Token ausgestellt: { $reason }.
signin-other-grant = Die Antwort des Anbieters gehört zu einer anderen Anmeldung.
signin-unusable-token = Der Anbieter hat kein Token ausgestellt, das { $product } verwenden kann.
