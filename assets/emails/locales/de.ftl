# Doormans E-Mail-Nachrichten auf Deutsch. Jede Sprache hat dieselben Nachrichten-IDs; ein Test
# rendert jede Vorlage in jeder Sprache und schlägt fehl, wenn eine fehlt.
# Platzhalter sind reiner Text: Die HTML-Vorlagen maskieren alles, was eine Nachricht enthält.

## Wie Datumsangaben geschrieben werden: ein strftime-Muster (chrono), die Locale der Monats- und Tagesnamen
## (ein POSIX-Locale-Name) und die Schreibrichtung der Sprache.
date-format = %-d. %B %Y, %H:%M %Z
date-locale = de_DE
text-direction = ltr

## Namen, die von den Vorlagen gemeinsam genutzt werden
role-admin = Administrator
role-member = Mitglied
role-visitor = Gast
someone = Jemand
an-administrator = Ein Administrator
or-open-link = Oder öffne diesen Link:
sent-by = Gesendet von { $product }
sent-for = Gesendet von { $product } für { $organization }

## Eine Einladung, einer Organisation beizutreten
invitation-subject = { $inviter } hat dich eingeladen, { $organization } auf { $product } beizutreten
invitation-intro = { $inviter } hat dich eingeladen, { $organization } auf { $product } als { $role } beizutreten.
invitation-message = Persönliche Nachricht:
invitation-accept = Einladung annehmen
invitation-expires = Diese Einladung läuft am { $expires } ab.
invitation-ignore = Falls du sie nicht erwartet hast, kannst du diese E-Mail ignorieren.

## Eine Einladung, ein Konto zu erstellen (ein Server, der nur auf Einladung zugänglich ist)
registration-subject = Du wurdest eingeladen, ein Konto bei { $product } zu erstellen
registration-subject-organization = Du wurdest eingeladen, ein Konto bei { $product } zu erstellen und { $organization } beizutreten
registration-intro = { $inviter } hat dich eingeladen, ein Konto bei { $product } zu erstellen.
registration-intro-organization = { $inviter } hat dich eingeladen, ein Konto bei { $product } zu erstellen und { $organization } als { $role } beizutreten.
registration-accept = Konto erstellen

## Eine Erinnerung an eine Einladung, die noch nicht beantwortet wurde
reminder-subject = Erinnerung: { $subject }
reminder-intro = Diese Einladung wartet noch auf deine Antwort.
unsubscribe-hint = Kein Interesse? Lehne die Einladung auf ihrer Seite ab, dann erhältst du keine weiteren E-Mails dazu.

## Bestätigung der E-Mail-Adresse eines Kontos
verify-subject = Bestätige deine E-Mail-Adresse für { $product }
verify-intro = Bestätige, dass diese Adresse dir gehört: Verifiziere die E-Mail-Adresse des Kontos { $username } bei { $product }.
verify-button = E-Mail-Adresse bestätigen
verify-expires = Der Link kann nur einmal verwendet werden und läuft am { $expires } ab.
verify-ignore = Falls du dieses Konto nicht erstellt und seine E-Mail-Adresse nicht geändert hast, kannst du diese E-Mail ignorieren.

## An die alte Adresse, nachdem die E-Mail-Adresse eines Kontos geändert wurde
changed-subject = Die E-Mail-Adresse deines Kontos bei { $product } wurde geändert
changed-body = Die E-Mail-Adresse des Kontos { $username } bei { $product } wurde in { $address } geändert. An diese Adresse werden keine E-Mails für das Konto mehr gesendet.
changed-help = Falls du diese Änderung nicht vorgenommen hast, wende dich an deinen Administrator von { $product }.

## An eine einladende Person, deren Einladung die falsche Person erreicht hat
greeting = Hallo { $name },
wrong-subject = Deine Einladung an { $invitee } hat die falsche Person erreicht
wrong-body = Deine Einladung an { $invitee }, { $organization } beizutreten, hat jemanden erreicht, für den sie nach eigener Aussage nicht bestimmt war. Sie wurde widerrufen, und ihr Link funktioniert nicht mehr.
wrong-help = Überprüfe die Adresse und lade die richtige Person ein.

## An die Administratoren einer Organisation, wenn ein Webhook-Endpunkt deaktiviert wurde
webhook-disabled-subject = Ein Webhook-Endpunkt von { $organization } wurde deaktiviert
webhook-disabled-body = { $product } hat den Webhook-Endpunkt { $url } deaktiviert: Die Zustellungen an ihn schlagen seit dem { $since } fehl. Es werden keine Ereignisse mehr an ihn gesendet.
webhook-disabled-help = Behebe das Problem beim Empfänger und reaktiviere dann den Endpunkt. Fehlgeschlagene Zustellungen können mit redeliver erneut gesendet werden.
