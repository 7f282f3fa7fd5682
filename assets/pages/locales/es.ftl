# Los textos de las páginas alojadas de Doorman (la página de invitación, la consola de
# administración, la vuelta del inicio de sesión) en español. Todos los idiomas tienen los mismos
# identificadores en el mismo orden, y cada mensaje las mismas variables; las páginas muestran un mensaje que falta como un error.
# Reglas (el servidor entrega estos archivos a las páginas como JSON): una línea por mensaje, solo
# texto y variables `$name`. `$product` es el nombre del producto configurado en el servidor.

## Lo escribe el servidor en la página, antes de que se ejecute su script
page-title-invitation = Invitación · { $product }
page-title-admin = Administración · { $product }
page-title-signin = Iniciando sesión · { $product }
loading-invitation = Cargando tu invitación…
loading-admin = Cargando la consola…
loading-signin = Iniciando tu sesión…
needs-javascript = Esta página necesita JavaScript.

## Compartido por las páginas
product-name = { $product }
continue-with = Continuar con { $provider }
sign-in-needs-https = Para iniciar sesión con un proveedor, esta página debe servirse por HTTPS.
or = o
sign-in = Iniciar sesión
sign-out = Cerrar sesión
field-login = Correo electrónico o nombre de usuario
field-password = Contraseña
never = nunca

## La página de invitación: qué significa un rechazo de la API y qué hacer
refusal-invitation-expired = Esta invitación ha caducado. Pide una nueva abajo.
refusal-invitation-cancelled = Esta invitación se ha cancelado. Pide una nueva a la persona que te invitó.
refusal-invitation-declined = Esta invitación se ha rechazado.
refusal-invitation-used-up = Este enlace se ha usado tantas veces como permite. Pide una nueva invitación abajo.
refusal-invitation-already-accepted = Esta invitación ya se ha usado.
refusal-invitation-superseded = Se ha enviado una invitación más reciente: usa el enlace del último correo o pide una nueva abajo.
refusal-invitation-paused = La organización ha pausado este enlace. Vuelve a intentarlo más tarde o pregunta a la persona que lo compartió.
refusal-invitation-not-found = Este enlace no lleva a ninguna invitación. Comprueba que has abierto el enlace completo.
refusal-email-mismatch = Esta invitación es para otra dirección de correo. Inicia sesión con la dirección invitada.
refusal-email-domain-not-allowed = Este enlace es solo para direcciones de correo de algunos dominios, y la tuya no es de ninguno de ellos.
refusal-email-not-verified = Primero verifica tu dirección de correo: abre el enlace que te enviamos y después vuelve.
refusal-already-member = Ya eres miembro de esta organización.
refusal-unauthenticated = Vuelve a iniciar sesión: tu sesión ha terminado, o el correo o la contraseña no eran correctos.
refusal-rate-limited = Demasiados intentos. Espera un momento y vuelve a intentarlo.
something-went-wrong = Algo ha salido mal. Vuelve a intentarlo.
invitation-unusable = Esta invitación ya no se puede usar.

## La página de invitación: la invitación
role-admin = Administrador
role-member = Miembro
role-visitor = Visitante
invite-heading = Te han invitado a unirte a { $organization }
invite-heading-register = Te han invitado a crear una cuenta en { $product }
fact-invited-by = Invitación de
fact-role = Rol
fact-for = Para
fact-expires = Caducidad

## La página de invitación: registrarse e iniciar sesión
sign-in-to-continue = Inicia sesión para continuar
create-your-account = Crear tu cuenta
field-email = Correo electrónico
field-username = Nombre de usuario
field-new-password = Contraseña (al menos 8 caracteres)
create-account = Crear cuenta
have-account = ¿Ya tienes una cuenta?
new-here = ¿Aún no tienes cuenta?
create-an-account = Crear una cuenta
account-ready = Tu cuenta está lista
account-ready-welcome = Te damos la bienvenida, { $username }. Ya puedes cerrar esta página.

## La página de invitación: responder a la invitación
joined-organization = Te has unido a { $organization }.
welcome-aboard = Te damos la bienvenida
joined-close-page = Te has unido. Ya puedes cerrar esta página.
accept-invitation = Aceptar la invitación
decline = Rechazar
invitation-declined = Invitación rechazada
will-not-join = No te unirás a { $organization }.
continue = Continuar
signed-in-as-sentence = Sesión iniciada como { $username }.
ask-new-invitation = Pedir una nueva invitación
new-invitation-requested = Hemos avisado a la organización. Recibirás un correo si te vuelven a invitar.
not-meant-for-you = ¿No era para ti?
tell-the-sender = Avisar a quien la envió
thank-you = Gracias
wrong-recipient-reported = La invitación se ha cancelado y se ha avisado a quien la envió.
verify-email-to-accept = Verifica tu dirección de correo ({ $email }) para aceptar: abre el enlace que te enviamos por correo y después vuelve a cargar esta página.
verification-email-sent = Un nuevo correo de verificación va de camino.
send-email-again = Volver a enviar el correo
switch-account = Has iniciado sesión como { $username }, pero esta invitación es para { $email }. Inicia sesión con la dirección invitada.
switch-account-someone-else = Has iniciado sesión como { $username }, pero esta invitación es para otra persona. Inicia sesión con la dirección invitada.
sign-out-and-switch = Cerrar sesión y cambiar de cuenta
reload-to-continue = Vuelve a cargar esta página para continuar.
invitation-cannot-be-shown = No se puede mostrar esta invitación
invitation-not-found = No se ha encontrado la invitación

## La consola de administración: iniciar sesión
admin-heading = Administración de { $product }
admin-sign-in-intro = Inicia sesión como administrador de una organización.
admin-no-organization = { $username } no administra ninguna organización.
admin-organization = Organización
admin-signed-in-as = Sesión iniciada como { $username }

## La consola de administración: los nombres de los valores de la API
admin-role-member = Miembro
admin-role-visitor = Visitante
admin-role-admin = Administrador
admin-status-pending = Pendiente
admin-status-accepted = Aceptada
admin-status-used-up = Agotada
admin-status-expired = Caducada
admin-status-cancelled = Cancelada
admin-status-declined = Rechazada
admin-delivery-not-requested = No solicitado
admin-delivery-queued = En cola
admin-delivery-sent = Enviado
admin-delivery-failed = Fallido

## La consola de administración: invitar por correo y compartir un enlace
admin-invite-by-email = Invitar por correo
admin-emails = Correos electrónicos (uno por línea o separados por comas)
admin-role = Rol
admin-personal-note = Nota personal (opcional)
admin-send-invitations = Enviar invitaciones
admin-invited = Invitación enviada a { $email }
admin-not-invited = { $input }: { $reason }
admin-invite-summary = Invitaciones enviadas: { $invited }; no enviadas: { $failed }.
admin-share-a-link = Compartir un enlace
admin-create-a-link = Crear un enlace
admin-most-uses = Número máximo de usos (vacío: sin límite)
admin-create-link = Crear enlace
admin-new-link = El nuevo enlace
admin-copy = Copiar
admin-link-copied = Enlace copiado.
admin-copy-by-hand = Pulsa Ctrl+C para copiar el enlace seleccionado.

## La consola de administración: la lista de invitaciones
admin-invitations = Invitaciones
admin-status-filter = Estado
admin-all-statuses = Todos los estados
admin-email-contains = El correo contiene
admin-invitation-count = Invitaciones: { $count }
admin-column-email = Correo electrónico
admin-column-role = Rol
admin-column-status = Estado
admin-column-delivery = Entrega o usos
admin-column-expires = Caducidad
admin-column-actions = Acciones
admin-link-badge = enlace
admin-uses = Usos: { $count }
admin-uses-of-most = Usos: { $count } de { $most }
admin-cancel = Cancelar
admin-cancel-email = Cancelar la invitación a { $email }
admin-cancel-link = Cancelar el enlace
admin-resend = Reenviar
admin-resend-to = Reenviar a { $email }
admin-done = Hecho.

## La consola de administración: las aceptaciones en directo
admin-live = En directo
admin-live-intro = Invitaciones aceptadas mientras esta página está abierta:
admin-live-joined = { $who } se ha unido como { $role } ({ $time })
admin-live-someone = Alguien
admin-live-a-member = miembro

## De vuelta del proveedor de identidad (/signin/callback)
signin-failed = No se ha podido iniciar sesión
signin-go-back = Volver e intentarlo de nuevo
signin-refused = Has cancelado, o el proveedor no ha permitido que inicies sesión.
signin-provider-error = El proveedor respondió: { $error }.
signin-not-started-here = Este inicio de sesión no empezó en esta pestaña, o ya se ha usado.
signin-no-provider = Este servidor ya no permite iniciar sesión con un proveedor.
signin-http-status = estado { $status }
signin-no-token = El proveedor no ha dado ningún token: { $reason }.
signin-other-grant = La respuesta del proveedor corresponde a otro inicio de sesión.
signin-unusable-token = El proveedor no ha dado ningún token que { $product } pueda usar.
