# Messages e-mail de Doorman en français. Chaque langue a les mêmes identifiants de message ; un test
# affiche chaque modèle dans chaque langue et échoue s'il en manque un.
# Les placeables sont du texte brut : les modèles HTML échappent tout ce que contient un message.

## Comment les dates sont écrites : un motif strftime (chrono), la locale des noms de mois et de jours
## (un nom de locale POSIX) et le sens d'écriture de la langue.
date-format = %-d %B %Y à %H:%M %Z
date-locale = fr_FR
text-direction = ltr

## Noms partagés par les modèles
role-admin = administrateur
role-member = membre
role-visitor = visiteur
someone = Quelqu'un
an-administrator = Un administrateur
or-open-link = Ou ouvrez ce lien :
sent-by = Envoyé par { $product }
sent-for = Envoyé par { $product } pour { $organization }

## Une invitation à rejoindre une organisation
invitation-subject = { $inviter } vous invite à rejoindre { $organization } sur { $product }
invitation-intro = { $inviter } vous invite à rejoindre { $organization } sur { $product } avec le rôle { $role }.
invitation-message = Son message :
invitation-accept = Accepter l'invitation
invitation-expires = Cette invitation expire le { $expires }.
invitation-ignore = Si vous ne l'attendiez pas, vous pouvez ignorer cet e-mail.

## Une invitation à créer un compte (un serveur accessible uniquement sur invitation)
registration-subject = Invitation à créer un compte { $product }
registration-subject-organization = Invitation à créer un compte { $product } et à rejoindre { $organization }
registration-intro = { $inviter } vous invite à créer un compte sur { $product }.
registration-intro-organization = { $inviter } vous invite à créer un compte sur { $product } et à rejoindre { $organization } avec le rôle { $role }.
registration-accept = Créer votre compte

## Un rappel d'une invitation encore sans réponse
reminder-subject = Rappel : { $subject }
reminder-intro = Cette invitation attend toujours votre réponse.
unsubscribe-hint = Cela ne vous intéresse pas ? Refusez l'invitation sur sa page et vous ne recevrez plus d'e-mails à son sujet.

## Confirmation de l'adresse e-mail d'un compte
verify-subject = Vérifiez votre adresse e-mail pour { $product }
verify-intro = Confirmez que cette adresse est bien la vôtre : vérifiez l'adresse e-mail du compte { $username } sur { $product }.
verify-button = Vérifier mon adresse e-mail
verify-expires = Le lien ne fonctionne qu'une seule fois et expire le { $expires }.
verify-ignore = Si vous n'avez pas créé ce compte ni modifié son adresse e-mail, vous pouvez ignorer cet e-mail.

## À l'ancienne adresse, après le changement de l'adresse e-mail d'un compte
changed-subject = L'adresse e-mail de votre compte { $product } a été modifiée
changed-body = L'adresse e-mail du compte { $username } sur { $product } a été remplacée par { $address }. Cette adresse-ci ne reçoit plus ses e-mails.
changed-help = Si vous n'êtes pas à l'origine de ce changement, contactez votre administrateur { $product }.

## À la personne qui a invité, lorsque son invitation est parvenue à la mauvaise personne
greeting = Bonjour { $name },
wrong-subject = Votre invitation envoyée à { $invitee } est parvenue à la mauvaise personne
wrong-body = L'invitation à rejoindre { $organization } que vous avez envoyée à { $invitee } est parvenue à une personne qui indique qu'elle ne lui était pas destinée. Elle a été annulée et son lien ne fonctionne plus.
wrong-help = Vérifiez l'adresse, puis invitez la bonne personne.

## Aux administrateurs d'une organisation, lorsqu'un point de terminaison de webhook a été désactivé
webhook-disabled-subject = Un point de terminaison de webhook de l'organisation { $organization } a été désactivé
webhook-disabled-body = { $product } a désactivé le point de terminaison de webhook { $url } : ses livraisons échouent depuis le { $since }. Plus aucun événement ne lui est envoyé.
webhook-disabled-help = Corrigez le récepteur, puis réactivez le point de terminaison. Les livraisons qui ont échoué peuvent être renvoyées avec redeliver.
