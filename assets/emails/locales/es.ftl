# Mensajes de correo electrónico de Doorman en español. Todos los idiomas tienen los mismos identificadores de mensaje; una prueba
# genera cada plantilla en cada idioma y falla si falta alguno.
# Los placeables son texto plano: las plantillas HTML escapan todo lo que dice un mensaje.

## Cómo se escriben las fechas: un patrón strftime (chrono), la configuración regional de los nombres de meses y días
## (un nombre de configuración regional POSIX) y la dirección del texto del idioma.
date-format = %-d de %B de %Y, %H:%M %Z
date-locale = es_ES
text-direction = ltr

## Nombres compartidos por las plantillas
role-admin = administrador
role-member = miembro
role-visitor = visitante
someone = Alguien
an-administrator = Un administrador
or-open-link = O abre este enlace:
sent-by = Enviado por { $product }
sent-for = Enviado por { $product } para { $organization }

## Una invitación para unirse a una organización
invitation-subject = { $inviter } te ha invitado a unirte a { $organization } en { $product }
invitation-intro = { $inviter } te ha invitado a unirte a { $organization } en { $product } como { $role }.
invitation-message = Su mensaje:
invitation-accept = Aceptar la invitación
invitation-expires = Esta invitación caduca el { $expires }.
invitation-ignore = Si no la esperabas, puedes ignorar este correo.

## Una invitación para crear una cuenta (un servidor al que solo se accede por invitación)
registration-subject = Te han invitado a crear una cuenta en { $product }
registration-subject-organization = Te han invitado a crear una cuenta en { $product } y unirte a { $organization }
registration-intro = { $inviter } te ha invitado a crear una cuenta en { $product }.
registration-intro-organization = { $inviter } te ha invitado a crear una cuenta en { $product } y unirte a { $organization } como { $role }.
registration-accept = Crear tu cuenta

## Un recordatorio de una invitación que aún no tiene respuesta
reminder-subject = Recordatorio: { $subject }
reminder-intro = Esta invitación sigue esperando tu respuesta.
unsubscribe-hint = ¿No te interesa? Rechaza la invitación en su página y no recibirás más correos sobre ella.

## Confirmación de la dirección de correo electrónico de una cuenta
verify-subject = Verifica tu dirección de correo electrónico para { $product }
verify-intro = Confirma que esta dirección es tuya: verifica la dirección de correo electrónico de la cuenta { $username } en { $product }.
verify-button = Verificar mi dirección de correo
verify-expires = El enlace solo funciona una vez y caduca el { $expires }.
verify-ignore = Si no has creado esta cuenta ni has cambiado su dirección de correo, puedes ignorar este mensaje.

## A la dirección anterior, después de que cambiara la dirección de correo de una cuenta
changed-subject = Se ha cambiado la dirección de correo electrónico de tu cuenta de { $product }
changed-body = La dirección de correo electrónico de la cuenta { $username } en { $product } se ha cambiado a { $address }. Esta dirección ya no recibe los correos de la cuenta.
changed-help = Si no has hecho este cambio, ponte en contacto con tu administrador de { $product }.

## A quien invitó, cuando su invitación llegó a la persona equivocada
greeting = Hola, { $name }:
wrong-subject = Tu invitación a { $invitee } ha llegado a la persona equivocada
wrong-body = La invitación para unirse a { $organization } que enviaste a { $invitee } ha llegado a una persona que indica que no era para ella. Se ha cancelado y su enlace ya no funciona.
wrong-help = Comprueba la dirección e invita a la persona correcta.

## A los administradores de una organización, cuando se desactivó un punto de conexión de webhook
webhook-disabled-subject = Se ha desactivado un punto de conexión de webhook de { $organization }
webhook-disabled-body = { $product } ha desactivado el punto de conexión de webhook { $url }: sus entregas fallan desde el { $since }. Ya no se le envía ningún evento.
webhook-disabled-help = Corrige el receptor y, después, reanuda el punto de conexión. Las entregas que fallaron se pueden volver a enviar con redeliver.
