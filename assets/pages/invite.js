// The invitation page, `/invite/<token>`: shows the invitation and walks the visitor to
// joining, driven by the API's `nextStep`. It talks only to this server's `/graphql`; every
// value from the API is set as text, never as HTML. The access token lives in this tab's
// sessionStorage only.
'use strict';

const app = document.getElementById('app');
const successUrl = app.dataset.successUrl || '';
const token = decodeURIComponent(window.location.pathname.split('/').filter(Boolean).pop() || '');

const PREVIEW = `query Preview($token: String!) {
  invitation(token: $token) {
    action role status expiresAt message emailHint nextStep tokenSuperseded redirectUrl
    organization { name displayName }
    invitedBy { username displayName }
  }
  me { username email emailVerified }
  serverInfo { registrationMode signInMethods ${OIDC_SIGN_IN_FIELDS} }
}`;

/** What a refusal means, as a sentence and what to do about it: the id of its message
 * (`null`: the API's own message says it best). */
const REFUSALS = {
  INVITATION_EXPIRED: 'refusal-invitation-expired',
  INVITATION_CANCELLED: 'refusal-invitation-cancelled',
  INVITATION_DECLINED: 'refusal-invitation-declined',
  INVITATION_USED_UP: 'refusal-invitation-used-up',
  INVITATION_ALREADY_ACCEPTED: 'refusal-invitation-already-accepted',
  INVITATION_SUPERSEDED: 'refusal-invitation-superseded',
  INVITATION_PAUSED: 'refusal-invitation-paused',
  INVITATION_NOT_FOUND: 'refusal-invitation-not-found',
  EMAIL_MISMATCH: 'refusal-email-mismatch',
  EMAIL_DOMAIN_NOT_ALLOWED: 'refusal-email-domain-not-allowed',
  EMAIL_NOT_VERIFIED: 'refusal-email-not-verified',
  ALREADY_MEMBER: 'refusal-already-member',
  UNAUTHENTICATED: 'refusal-unauthenticated',
  RATE_LIMITED: 'refusal-rate-limited',
  BAD_USER_INPUT: null,
  CONFLICT: null,
};

/** The message of each role's name. */
const ROLES = { ADMIN: 'role-admin', MEMBER: 'role-member', VISITOR: 'role-visitor' };

function sentence(error) {
  const refusal = Object.prototype.hasOwnProperty.call(REFUSALS, error.code) ? REFUSALS[error.code] : null;
  if (refusal) return t(refusal);
  return error.message || t('something-went-wrong');
}

/** Replaces the page's content and moves focus to its heading, so it is announced. */
function render(...children) {
  app.replaceChildren(...children.flat(Infinity).filter(Boolean));
  const heading = app.querySelector('h1');
  if (heading) {
    heading.setAttribute('tabindex', '-1');
    heading.focus();
  }
}

function errorBox() {
  return el('p', { class: 'notice error', role: 'alert', id: 'error' });
}

function showError(error) {
  const box = document.getElementById('error');
  if (box) box.textContent = sentence(error);
  else say(sentence(error));
}

function field(label, name, type, autocomplete, extra = {}) {
  return el('label', {}, label, el('input', { name, type, autocomplete, required: '', ...extra }));
}

/** A form whose submit runs `action` with its values, showing failures in its error box. */
function form(label, fields, submit, action) {
  const errors = errorBox();
  const node = el(
    'form',
    {
      'aria-label': label,
      novalidate: '',
      onsubmit: async (event) => {
        event.preventDefault();
        const values = Object.fromEntries(new FormData(node));
        const button = node.querySelector('button[type=submit]');
        button.disabled = true;
        errors.textContent = '';
        try {
          await action(values);
        } catch (error) {
          errors.textContent = sentence(error);
          button.disabled = false;
        }
      },
    },
    errors,
    fields,
    el('button', { type: 'submit' }, submit),
  );
  return node;
}

function orgName(invitation) {
  const org = invitation.organization;
  return org ? org.displayName || org.name : t('product-name');
}

function facts(invitation) {
  const inviter = invitation.invitedBy;
  const rows = [];
  if (inviter) rows.push([t('fact-invited-by'), inviter.displayName || inviter.username]);
  if (invitation.role) rows.push([t('fact-role'), ROLES[invitation.role] ? t(ROLES[invitation.role]) : invitation.role]);
  if (invitation.emailHint) rows.push([t('fact-for'), invitation.emailHint]);
  rows.push([
    t('fact-expires'),
    invitation.expiresAt ? new Date(invitation.expiresAt).toLocaleString(pageLanguage()) : t('never'),
  ]);
  return [
    el('dl', { class: 'facts' }, rows.map(([term, value]) => [el('dt', {}, term), el('dd', {}, value)])),
    invitation.message ? el('blockquote', {}, invitation.message) : null,
  ];
}

function heading(invitation) {
  return invitation.action === 'REGISTER_ACCOUNT' && !invitation.organization
    ? t('invite-heading-register')
    : t('invite-heading', { organization: orgName(invitation) });
}

async function signedIn(payload) {
  sessionStorage.setItem(SESSION_KEY, payload.accessToken);
  await load();
}

/** Whether this server takes passwords (`register`, `login`). */
function passwords(server) {
  return server.signInMethods.includes('PASSWORD');
}

/** "Continue with <provider>" when the server names one, above the password form if any. */
function providerChoice(server) {
  if (!server.oidcSignIn) return null;
  const errors = el('p', { class: 'notice error', role: 'alert' });
  return [
    errors,
    // Back to this address, with its `?lang=` if any.
    el('div', { class: 'actions' }, providerButton(server.oidcSignIn, window.location.pathname + window.location.search, errors)),
    passwords(server) ? el('p', { class: 'divider' }, t('or')) : null,
  ];
}

function signUp(invitation, server) {
  const invitationOnly = server.registrationMode === 'INVITATION_ONLY';
  if (!passwords(server)) return [el('h2', {}, t('sign-in-to-continue')), providerChoice(server)];
  return [
    el('h2', {}, t('create-your-account')),
    providerChoice(server),
    form(
      t('create-your-account'),
      [
        field(t('field-email'), 'email', 'email', 'email'),
        field(t('field-username'), 'username', 'text', 'username'),
        field(t('field-new-password'), 'password', 'password', 'new-password', { minlength: '8' }),
      ],
      t('create-account'),
      async (values) => {
        const input = { email: values.email, username: values.username, password: values.password };
        if (invitationOnly) input.invitationToken = token;
        const data = await gql(
          'mutation Register($input: RegisterInput!) { register(input: $input) { accessToken } }',
          { input },
        );
        if (!invitationOnly) {
          await signedIn(data.register);
          return;
        }
        // Registering with the token used it: the account joined (or, for a registration
        // invitation, exists) already.
        sessionStorage.setItem(SESSION_KEY, data.register.accessToken);
        if (invitation.organization) {
          say(t('joined-organization', { organization: orgName(invitation) }));
          finish(invitation.redirectUrl);
        } else {
          render(
            el('h1', {}, t('account-ready')),
            el('p', { class: 'notice success', role: 'status' }, t('account-ready-welcome', { username: values.username })),
          );
        }
      },
    ),
    el('p', {}, t('have-account'), ' ', el('button', { class: 'link', type: 'button', onclick: () => show('SIGN_IN') }, t('sign-in'))),
  ];
}

function signIn(server) {
  if (!passwords(server)) return [el('h2', {}, t('sign-in-to-continue')), providerChoice(server)];
  return [
    el('h2', {}, t('sign-in')),
    providerChoice(server),
    form(
      t('sign-in'),
      [
        field(t('field-login'), 'login', 'text', 'username'),
        field(t('field-password'), 'password', 'password', 'current-password'),
      ],
      t('sign-in'),
      async (values) => {
        const data = await gql(
          'mutation Login($input: LoginInput!) { login(input: $input) { accessToken } }',
          { input: { login: values.login, password: values.password } },
        );
        await signedIn(data.login);
      },
    ),
    el('p', {}, t('new-here'), ' ', el('button', { class: 'link', type: 'button', onclick: () => show('SIGN_UP') }, t('create-an-account'))),
  ];
}

function signOutButton(label = t('sign-out')) {
  return el('button', {
    class: 'secondary',
    type: 'button',
    onclick: async () => {
      sessionStorage.removeItem(SESSION_KEY);
      await load();
    },
  }, label);
}

function finish(redirectUrl) {
  const target = redirectUrl || successUrl;
  if (target) {
    window.location.assign(target);
    return;
  }
  render(el('h1', {}, t('welcome-aboard')), el('p', { class: 'notice success', role: 'status' }, t('joined-close-page')));
}

function acceptActions(invitation) {
  const errors = errorBox();
  const accept = el('button', {
    type: 'button',
    onclick: async () => {
      accept.disabled = true;
      try {
        const data = await gql(
          'mutation Accept($token: String!) { acceptInvitation(token: $token) { redirectUrl organization { name displayName } } }',
          { token },
        );
        const org = data.acceptInvitation.organization;
        say(t('joined-organization', { organization: org.displayName || org.name }));
        finish(data.acceptInvitation.redirectUrl);
      } catch (error) {
        errors.textContent = sentence(error);
        accept.disabled = false;
      }
    },
  }, t('accept-invitation'));
  const decline = invitation.emailHint
    ? el('button', {
        class: 'secondary',
        type: 'button',
        onclick: async () => {
          try {
            await gql('mutation Decline($token: String!) { declineInvitation(token: $token) { status } }', { token });
            render(el('h1', {}, t('invitation-declined')), el('p', {}, t('will-not-join', { organization: orgName(invitation) })));
          } catch (error) {
            errors.textContent = sentence(error);
          }
        },
      }, t('decline'))
    : null;
  return [errors, el('div', { class: 'actions' }, accept, decline)];
}

function requestNew(invitation) {
  const done = el('p', { role: 'status' });
  const ask = el('button', {
    type: 'button',
    onclick: async () => {
      ask.disabled = true;
      await gql('mutation Ask($token: String!) { requestNewInvitation(token: $token) }', { token });
      done.textContent = t('new-invitation-requested');
    },
  }, t('ask-new-invitation'));
  const why = invitation.tokenSuperseded
    ? REFUSALS.INVITATION_SUPERSEDED
    : {
        EXPIRED: REFUSALS.INVITATION_EXPIRED,
        CANCELLED: REFUSALS.INVITATION_CANCELLED,
        DECLINED: REFUSALS.INVITATION_DECLINED,
        USED_UP: REFUSALS.INVITATION_USED_UP,
        ACCEPTED: REFUSALS.INVITATION_ALREADY_ACCEPTED,
      }[invitation.status] || 'invitation-unusable';
  return [el('p', { class: 'notice error', role: 'alert' }, t(why)), el('div', { class: 'actions' }, ask), done];
}

function wrongRecipient(invitation) {
  if (!invitation.emailHint || invitation.status !== 'PENDING' || invitation.tokenSuperseded) return null;
  return el('p', { class: 'muted' }, t('not-meant-for-you'), ' ', el('button', {
    class: 'link',
    type: 'button',
    onclick: async () => {
      await gql('mutation Wrong($token: String!) { reportWrongRecipient(token: $token) }', { token });
      render(el('h1', {}, t('thank-you')), el('p', {}, t('wrong-recipient-reported')));
    },
  }, t('tell-the-sender')));
}

let current = null;

/** Shows the screen for `step`, with the invitation's facts above it. */
function show(step) {
  const { invitation, me, serverInfo } = current;
  const body = {
    SIGN_UP: () => signUp(invitation, serverInfo),
    SIGN_IN: () => signIn(serverInfo),
    VERIFY_EMAIL: () => [
      el('p', {}, t('verify-email-to-accept', { email: me.email })),
      el('div', { class: 'actions' }, el('button', {
        type: 'button',
        onclick: async (event) => {
          event.target.disabled = true;
          try {
            await gql('mutation Again { requestEmailVerification { emailVerified } }');
            say(t('verification-email-sent'));
          } catch (error) {
            showError(error);
            event.target.disabled = false;
          }
        },
      }, t('send-email-again')), signOutButton()),
      errorBox(),
    ],
    SWITCH_ACCOUNT: () => [
      el('p', { class: 'notice error', role: 'alert' }, invitation.emailHint
        ? t('switch-account', { username: me.username, email: invitation.emailHint })
        : t('switch-account-someone-else', { username: me.username })),
      el('div', { class: 'actions' }, signOutButton(t('sign-out-and-switch'))),
    ],
    ACCEPT: () => [me ? el('p', { class: 'muted' }, t('signed-in-as-sentence', { username: me.username })) : null, acceptActions(invitation)],
    ALREADY_MEMBER: () => [
      el('p', { class: 'notice success', role: 'status' }, t(REFUSALS.ALREADY_MEMBER)),
      el('div', { class: 'actions' }, el('button', { type: 'button', onclick: () => finish(invitation.redirectUrl) }, t('continue'))),
    ],
    REQUEST_NEW: () => requestNew(invitation),
  }[step];
  render(
    el('h1', {}, heading(invitation)),
    facts(invitation),
    body ? body() : el('p', {}, t('reload-to-continue')),
    wrongRecipient(invitation),
  );
}

async function load() {
  let data;
  try {
    data = await gql(PREVIEW, { token });
  } catch (error) {
    if (error.code === 'UNAUTHENTICATED' && sessionStorage.getItem(SESSION_KEY)) {
      sessionStorage.removeItem(SESSION_KEY);
      return load();
    }
    render(el('h1', {}, t('invitation-cannot-be-shown')), el('p', { class: 'notice error', role: 'alert' }, sentence(error)));
    return;
  }
  if (!data.invitation) {
    render(el('h1', {}, t('invitation-not-found')), el('p', {}, t(REFUSALS.INVITATION_NOT_FOUND)));
    return;
  }
  current = data;
  show(data.invitation.nextStep);
}

load();
