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

/** What a refusal means, as a sentence and what to do about it. */
const REFUSALS = {
  INVITATION_EXPIRED: 'This invitation has expired. Ask for a new one below.',
  INVITATION_CANCELLED: 'This invitation was cancelled. Ask the person who invited you for a new one.',
  INVITATION_DECLINED: 'This invitation was declined.',
  INVITATION_USED_UP: 'This link has been used as many times as it allows. Ask for a new one below.',
  INVITATION_ALREADY_ACCEPTED: 'This invitation was already used.',
  INVITATION_SUPERSEDED: 'A newer invitation was sent: use the link in the latest email, or ask for a new one below.',
  INVITATION_PAUSED: 'This link is paused by the organization. Try again later, or ask the person who shared it.',
  INVITATION_NOT_FOUND: 'This link does not lead to an invitation. Check that you opened the whole link.',
  EMAIL_MISMATCH: 'This invitation is for another email address. Sign in with the invited address.',
  EMAIL_DOMAIN_NOT_ALLOWED: 'This link is only for email addresses of some domains, and yours is not one of them.',
  EMAIL_NOT_VERIFIED: 'Verify your email address first: open the link we sent you, then come back.',
  ALREADY_MEMBER: 'You are already a member of this organization.',
  UNAUTHENTICATED: 'Sign in again: your session ended, or the email or password was wrong.',
  RATE_LIMITED: 'Too many attempts. Wait a moment and try again.',
  BAD_USER_INPUT: null,
  CONFLICT: null,
};

const ROLES = { ADMIN: 'Admin', MEMBER: 'Member', VISITOR: 'Visitor' };

function sentence(error) {
  return REFUSALS[error.code] || error.message || 'Something went wrong. Try again.';
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
  return org ? org.displayName || org.name : 'Doorman';
}

function facts(invitation) {
  const inviter = invitation.invitedBy;
  const rows = [];
  if (inviter) rows.push(['Invited by', inviter.displayName || inviter.username]);
  if (invitation.role) rows.push(['Role', ROLES[invitation.role] || invitation.role]);
  if (invitation.emailHint) rows.push(['For', invitation.emailHint]);
  rows.push([
    'Expires',
    invitation.expiresAt ? new Date(invitation.expiresAt).toLocaleString() : 'never',
  ]);
  return [
    el('dl', { class: 'facts' }, rows.map(([term, value]) => [el('dt', {}, term), el('dd', {}, value)])),
    invitation.message ? el('blockquote', {}, invitation.message) : null,
  ];
}

function heading(invitation) {
  return invitation.action === 'REGISTER_ACCOUNT' && !invitation.organization
    ? 'You are invited to create a Doorman account'
    : `You are invited to join ${orgName(invitation)}`;
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
    el('div', { class: 'actions' }, providerButton(server.oidcSignIn, window.location.pathname, errors)),
    passwords(server) ? el('p', { class: 'divider' }, 'or') : null,
  ];
}

function signUp(invitation, server) {
  const invitationOnly = server.registrationMode === 'INVITATION_ONLY';
  if (!passwords(server)) return [el('h2', {}, 'Sign in to continue'), providerChoice(server)];
  return [
    el('h2', {}, 'Create your account'),
    providerChoice(server),
    form(
      'Create your account',
      [
        field('Email', 'email', 'email', 'email'),
        field('Username', 'username', 'text', 'username'),
        field('Password (at least 8 characters)', 'password', 'password', 'new-password', { minlength: '8' }),
      ],
      'Create account',
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
          say(`You joined ${orgName(invitation)}.`);
          finish(invitation.redirectUrl);
        } else {
          render(
            el('h1', {}, 'Your account is ready'),
            el('p', { class: 'notice success', role: 'status' }, `Welcome, ${values.username}. You can close this page.`),
          );
        }
      },
    ),
    el('p', {}, 'Already have an account? ', el('button', { class: 'link', type: 'button', onclick: () => show('SIGN_IN') }, 'Sign in')),
  ];
}

function signIn(server) {
  if (!passwords(server)) return [el('h2', {}, 'Sign in to continue'), providerChoice(server)];
  return [
    el('h2', {}, 'Sign in'),
    providerChoice(server),
    form(
      'Sign in',
      [
        field('Email or username', 'login', 'text', 'username'),
        field('Password', 'password', 'password', 'current-password'),
      ],
      'Sign in',
      async (values) => {
        const data = await gql(
          'mutation Login($input: LoginInput!) { login(input: $input) { accessToken } }',
          { input: { login: values.login, password: values.password } },
        );
        await signedIn(data.login);
      },
    ),
    el('p', {}, 'New here? ', el('button', { class: 'link', type: 'button', onclick: () => show('SIGN_UP') }, 'Create an account')),
  ];
}

function signOutButton(label = 'Sign out') {
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
  render(el('h1', {}, 'Welcome aboard'), el('p', { class: 'notice success', role: 'status' }, 'You joined. You can close this page.'));
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
        say(`You joined ${org.displayName || org.name}.`);
        finish(data.acceptInvitation.redirectUrl);
      } catch (error) {
        errors.textContent = sentence(error);
        accept.disabled = false;
      }
    },
  }, 'Accept invitation');
  const decline = invitation.emailHint
    ? el('button', {
        class: 'secondary',
        type: 'button',
        onclick: async () => {
          try {
            await gql('mutation Decline($token: String!) { declineInvitation(token: $token) { status } }', { token });
            render(el('h1', {}, 'Invitation declined'), el('p', {}, `You will not join ${orgName(invitation)}.`));
          } catch (error) {
            errors.textContent = sentence(error);
          }
        },
      }, 'Decline')
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
      done.textContent = 'We told the organization. You will get an email if they invite you again.';
    },
  }, 'Ask for a new invitation');
  const why = invitation.tokenSuperseded
    ? REFUSALS.INVITATION_SUPERSEDED
    : {
        EXPIRED: REFUSALS.INVITATION_EXPIRED,
        CANCELLED: REFUSALS.INVITATION_CANCELLED,
        DECLINED: REFUSALS.INVITATION_DECLINED,
        USED_UP: REFUSALS.INVITATION_USED_UP,
        ACCEPTED: REFUSALS.INVITATION_ALREADY_ACCEPTED,
      }[invitation.status] || 'This invitation can no longer be used.';
  return [el('p', { class: 'notice error', role: 'alert' }, why), el('div', { class: 'actions' }, ask), done];
}

function wrongRecipient(invitation) {
  if (!invitation.emailHint || invitation.status !== 'PENDING' || invitation.tokenSuperseded) return null;
  return el('p', { class: 'muted' }, 'Not meant for you? ', el('button', {
    class: 'link',
    type: 'button',
    onclick: async () => {
      await gql('mutation Wrong($token: String!) { reportWrongRecipient(token: $token) }', { token });
      render(el('h1', {}, 'Thank you'), el('p', {}, 'The invitation was cancelled and the person who sent it was told.'));
    },
  }, 'Tell the sender'));
}

let current = null;

/** Shows the screen for `step`, with the invitation's facts above it. */
function show(step) {
  const { invitation, me, serverInfo } = current;
  const body = {
    SIGN_UP: () => signUp(invitation, serverInfo),
    SIGN_IN: () => signIn(serverInfo),
    VERIFY_EMAIL: () => [
      el('p', {}, `Verify your email address (${me.email}) to accept: open the link we emailed you, then reload this page.`),
      el('div', { class: 'actions' }, el('button', {
        type: 'button',
        onclick: async (event) => {
          event.target.disabled = true;
          try {
            await gql('mutation Again { requestEmailVerification { emailVerified } }');
            say('A new verification email is on its way.');
          } catch (error) {
            showError(error);
            event.target.disabled = false;
          }
        },
      }, 'Send the email again'), signOutButton()),
      errorBox(),
    ],
    SWITCH_ACCOUNT: () => [
      el('p', { class: 'notice error', role: 'alert' },
        `You are signed in as ${me.username}, but this invitation is for ${invitation.emailHint || 'someone else'}. Sign in with the invited address.`),
      el('div', { class: 'actions' }, signOutButton('Sign out and switch account')),
    ],
    ACCEPT: () => [me ? el('p', { class: 'muted' }, `Signed in as ${me.username}.`) : null, acceptActions(invitation)],
    ALREADY_MEMBER: () => [
      el('p', { class: 'notice success', role: 'status' }, REFUSALS.ALREADY_MEMBER),
      el('div', { class: 'actions' }, el('button', { type: 'button', onclick: () => finish(invitation.redirectUrl) }, 'Continue')),
    ],
    REQUEST_NEW: () => requestNew(invitation),
  }[step];
  render(
    el('h1', {}, heading(invitation)),
    facts(invitation),
    body ? body() : el('p', {}, 'Reload this page to continue.'),
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
    render(el('h1', {}, 'This invitation cannot be shown'), el('p', { class: 'notice error', role: 'alert' }, sentence(error)));
    return;
  }
  if (!data.invitation) {
    render(el('h1', {}, 'Invitation not found'), el('p', {}, REFUSALS.INVITATION_NOT_FOUND));
    return;
  }
  current = data;
  show(data.invitation.nextStep);
}

load();
