# Les textes des pages hébergées de Doorman (la page d'invitation, la console d'administration, le
# retour de connexion) en français. Chaque langue a les mêmes identifiants de message dans le même
# ordre, et chaque message les mêmes variables ; les pages signalent un message manquant comme une erreur.
# Règles (le serveur transmet ces fichiers aux pages en JSON) : une ligne par message, uniquement du
# texte et des variables `$name`. `$product` est le nom du produit configuré sur le serveur.

## Écrit par le serveur dans la page, avant l'exécution de son script
page-title-invitation = Invitation · { $product }
page-title-admin = Administration · { $product }
page-title-signin = Connexion · { $product }
loading-invitation = Chargement de votre invitation…
loading-admin = Chargement de la console…
loading-signin = Connexion en cours…
needs-javascript = Cette page nécessite JavaScript.

## Partagé par les pages
product-name = { $product }
continue-with = Continuer avec { $provider }
sign-in-needs-https = Pour se connecter avec un fournisseur, cette page doit être servie en HTTPS.
or = ou
sign-in = Se connecter
sign-out = Se déconnecter
field-login = Adresse e-mail ou nom d'utilisateur
field-password = Mot de passe
never = jamais

## La page d'invitation : ce que signifie un refus de l'API, et que faire
refusal-invitation-expired = Cette invitation a expiré. Demandez-en une nouvelle ci-dessous.
refusal-invitation-cancelled = Cette invitation a été annulée. Demandez-en une nouvelle à la personne qui vous a invité.
refusal-invitation-declined = Cette invitation a été refusée.
refusal-invitation-used-up = Ce lien a été utilisé autant de fois qu'il le permet. Demandez une nouvelle invitation ci-dessous.
refusal-invitation-already-accepted = Cette invitation a déjà été utilisée.
refusal-invitation-superseded = Une invitation plus récente a été envoyée : utilisez le lien du dernier e-mail, ou demandez-en une nouvelle ci-dessous.
refusal-invitation-paused = Ce lien a été suspendu par l'organisation. Réessayez plus tard, ou adressez-vous à la personne qui l'a partagé.
refusal-invitation-not-found = Ce lien ne mène à aucune invitation. Vérifiez que vous avez ouvert le lien en entier.
refusal-email-mismatch = Cette invitation est destinée à une autre adresse e-mail. Connectez-vous avec l'adresse invitée.
refusal-email-domain-not-allowed = Ce lien est réservé aux adresses e-mail de certains domaines, et la vôtre n'en fait pas partie.
refusal-email-not-verified = Vérifiez d'abord votre adresse e-mail : ouvrez le lien que nous vous avons envoyé, puis revenez.
refusal-already-member = Vous êtes déjà membre de cette organisation.
refusal-unauthenticated = Reconnectez-vous : votre session a pris fin, ou l'adresse e-mail ou le mot de passe était incorrect.
refusal-rate-limited = Trop de tentatives. Patientez un instant, puis réessayez.
something-went-wrong = Une erreur s'est produite. Réessayez.
invitation-unusable = Cette invitation ne peut plus être utilisée.

## La page d'invitation : l'invitation
role-admin = Administrateur
role-member = Membre
role-visitor = Visiteur
invite-heading = Invitation à rejoindre { $organization }
invite-heading-register = Invitation à créer un compte { $product }
fact-invited-by = De la part de
fact-role = Rôle
fact-for = Pour
fact-expires = Expiration

## La page d'invitation : inscription et connexion
sign-in-to-continue = Connectez-vous pour continuer
create-your-account = Créer votre compte
field-email = Adresse e-mail
field-username = Nom d'utilisateur
field-new-password = Mot de passe (8 caractères au moins)
create-account = Créer le compte
have-account = Vous avez déjà un compte ?
new-here = Pas encore de compte ?
create-an-account = Créer un compte
account-ready = Votre compte est prêt
account-ready-welcome = Bienvenue, { $username }. Vous pouvez fermer cette page.

## La page d'invitation : répondre à l'invitation
joined-organization = Vous avez rejoint { $organization }.
welcome-aboard = Bienvenue à bord
joined-close-page = C'est fait, vous avez rejoint l'organisation. Vous pouvez fermer cette page.
accept-invitation = Accepter l'invitation
decline = Refuser
invitation-declined = Invitation refusée
will-not-join = Vous ne rejoindrez pas { $organization }.
continue = Continuer
signed-in-as-sentence = Compte connecté : { $username }.
ask-new-invitation = Demander une nouvelle invitation
new-invitation-requested = Nous avons prévenu l'organisation. Vous recevrez un e-mail si elle vous invite à nouveau.
not-meant-for-you = Cette invitation ne vous est pas destinée ?
tell-the-sender = Prévenir la personne qui l'a envoyée
thank-you = Merci
wrong-recipient-reported = L'invitation a été annulée et la personne qui l'a envoyée a été prévenue.
verify-email-to-accept = Vérifiez votre adresse e-mail ({ $email }) pour accepter : ouvrez le lien que nous vous avons envoyé par e-mail, puis rechargez cette page.
verification-email-sent = Un nouvel e-mail de vérification est en route.
send-email-again = Renvoyer l'e-mail
switch-account = Vous utilisez le compte { $username }, mais cette invitation est destinée à { $email }. Connectez-vous avec l'adresse invitée.
switch-account-someone-else = Vous utilisez le compte { $username }, mais cette invitation est destinée à quelqu'un d'autre. Connectez-vous avec l'adresse invitée.
sign-out-and-switch = Se déconnecter et changer de compte
reload-to-continue = Rechargez cette page pour continuer.
invitation-cannot-be-shown = Cette invitation ne peut pas être affichée
invitation-not-found = Invitation introuvable

## La console d'administration : connexion
admin-heading = Administration de { $product }
admin-sign-in-intro = Connectez-vous en tant qu'administrateur d'une organisation.
admin-no-organization = { $username } n'administre aucune organisation.
admin-organization = Organisation
admin-signed-in-as = Compte connecté : { $username }

## La console d'administration : les noms des valeurs de l'API
admin-role-member = Membre
admin-role-visitor = Visiteur
admin-role-admin = Administrateur
admin-status-pending = En attente
admin-status-accepted = Acceptée
admin-status-used-up = Épuisée
admin-status-expired = Expirée
admin-status-cancelled = Annulée
admin-status-declined = Refusée
admin-delivery-not-requested = Non demandé
admin-delivery-queued = En file d'attente
admin-delivery-sent = Envoyé
admin-delivery-failed = Échec

## La console d'administration : inviter par e-mail et partager un lien
admin-invite-by-email = Inviter par e-mail
admin-emails = Adresses e-mail (une par ligne, ou séparées par des virgules)
admin-role = Rôle
admin-personal-note = Message personnel (facultatif)
admin-send-invitations = Envoyer les invitations
admin-invited = Invitation envoyée à { $email }
admin-not-invited = { $input } : { $reason }
admin-invite-summary = Invitations envoyées : { $invited }, non envoyées : { $failed }.
admin-share-a-link = Partager un lien
admin-create-a-link = Créer un lien
admin-most-uses = Nombre maximal d'utilisations (vide : illimité)
admin-create-link = Créer le lien
admin-new-link = Le nouveau lien
admin-copy = Copier
admin-link-copied = Lien copié.
admin-copy-by-hand = Appuyez sur Ctrl+C pour copier le lien sélectionné.

## La console d'administration : la liste des invitations
admin-invitations = Invitations
admin-status-filter = Statut
admin-all-statuses = Tous les statuts
admin-email-contains = L'adresse e-mail contient
admin-invitation-count = Invitations : { $count }
admin-column-email = Adresse e-mail
admin-column-role = Rôle
admin-column-status = Statut
admin-column-delivery = Envoi ou utilisations
admin-column-expires = Expiration
admin-column-actions = Actions
admin-link-badge = lien
admin-uses = Utilisations : { $count }
admin-uses-of-most = Utilisations : { $count } sur { $most }
admin-cancel = Annuler
admin-cancel-email = Annuler l'invitation envoyée à { $email }
admin-cancel-link = Annuler le lien
admin-resend = Renvoyer
admin-resend-to = Renvoyer à { $email }
admin-done = C'est fait.

## La console d'administration : les acceptations en direct
admin-live = En direct
admin-live-intro = Invitations acceptées depuis l'ouverture de cette page :
admin-live-joined = { $who } a rejoint l'organisation avec le rôle { $role } ({ $time })
admin-live-someone = Quelqu'un
admin-live-a-member = membre

## De retour du fournisseur d'identité (/signin/callback)
signin-failed = La connexion n'a pas abouti
signin-go-back = Revenir en arrière et réessayer
signin-refused = Vous avez annulé, ou le fournisseur a refusé de vous connecter.
signin-provider-error = Réponse du fournisseur : { $error }.
signin-not-started-here = Cette connexion n'a pas commencé dans cet onglet, ou elle a déjà été utilisée.
signin-no-provider = Ce serveur ne permet plus de se connecter avec un fournisseur.
signin-http-status = statut { $status }
signin-no-token = Le fournisseur n'a pas fourni de jeton : { $reason }.
signin-other-grant = La réponse du fournisseur concerne une autre connexion.
signin-unusable-token = Le fournisseur n'a fourni aucun jeton utilisable par { $product }.
