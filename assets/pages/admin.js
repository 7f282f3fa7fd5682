// The admin console, `/admin`: for an organization's admins, the few screens a team needs
// before it writes its own: invite by email, share a link, list, cancel and resend
// invitations, and watch them being accepted, live over `/graphql/ws`. A worked example of the
// API: every call below is a plain GraphQL operation. Values from the API are set as text.
'use strict';

const app = document.getElementById('app');
const STATUSES = ['PENDING', 'ACCEPTED', 'USED_UP', 'EXPIRED', 'CANCELLED', 'DECLINED'];
const ROLES = ['MEMBER', 'VISITOR', 'ADMIN'];
const DELIVERIES = ['NOT_REQUESTED', 'QUEUED', 'SENT', 'FAILED'];

/** The name of an API value (`ROLES`, `STATUSES`, `DELIVERIES`) in the page's language: its
 * message `<kind>-<value in kebab case>`; a value this page does not know shows as it is. */
function nameOf(kind, known, value) {
  return known.includes(value) ? t(`${kind}-${value.toLowerCase().replace(/_/g, '-')}`) : value;
}

const roleName = (role) => nameOf('admin-role', ROLES, role);
const statusName = (status) => nameOf('admin-status', STATUSES, status);
const deliveryName = (delivery) => nameOf('admin-delivery', DELIVERIES, delivery);

/** A number as the page's language writes it. */
function number(value) {
  return Number(value).toLocaleString(pageLanguage());
}

function roleSelect(name, label) {
  return el('label', {}, label, el('select', { name }, ROLES.map((role) => el('option', { value: role }, roleName(role)))));
}

/** A form that runs `action` with its values and shows a failure in its own alert. */
function form(label, children, submit, action) {
  const errors = el('p', { class: 'notice error', role: 'alert' });
  const node = el('form', {
    'aria-label': label,
    novalidate: '',
    onsubmit: async (event) => {
      event.preventDefault();
      const button = node.querySelector('button[type=submit]');
      button.disabled = true;
      errors.textContent = '';
      try {
        await action(Object.fromEntries(new FormData(node)), node);
      } catch (error) {
        errors.textContent = error.message;
      } finally {
        button.disabled = false;
      }
    },
  }, errors, children, el('button', { type: 'submit' }, submit));
  return node;
}

async function signInScreen() {
  let server = { signInMethods: ['PASSWORD'], oidcSignIn: null };
  try {
    ({ serverInfo: server } = await gql(`{ serverInfo { signInMethods ${OIDC_SIGN_IN_FIELDS} } }`));
  } catch {
    // The password form still works.
  }
  const providerErrors = el('p', { class: 'notice error', role: 'alert' });
  const provider = server.oidcSignIn
    ? [providerErrors, el('div', { class: 'actions' }, providerButton(server.oidcSignIn, '/admin', providerErrors))]
    : null;
  const passwordForm = server.signInMethods.includes('PASSWORD')
    ? form(t('sign-in'), [
      el('label', {}, t('field-login'), el('input', { name: 'login', autocomplete: 'username', required: '' })),
      el('label', {}, t('field-password'), el('input', { name: 'password', type: 'password', autocomplete: 'current-password', required: '' })),
    ], t('sign-in'), async (values) => {
      const data = await gql('mutation Login($input: LoginInput!) { login(input: $input) { accessToken } }', { input: values });
      sessionStorage.setItem(SESSION_KEY, data.login.accessToken);
      await start();
    })
    : null;
  const screen = [
    el('h1', { tabindex: '-1' }, t('admin-heading')),
    el('p', {}, t('admin-sign-in-intro')),
    provider,
    provider && passwordForm ? el('p', { class: 'divider' }, t('or')) : null,
    passwordForm,
  ];
  app.replaceChildren(...screen.flat().filter(Boolean));
  app.querySelector('h1').focus();
}

let org = null;
let socket = null;

async function start() {
  let me;
  try {
    ({ me } = await gql('{ me { username memberships { role organization { name displayName } } } }'));
  } catch (error) {
    sessionStorage.removeItem(SESSION_KEY);
    return signInScreen();
  }
  if (!me) return signInScreen();
  const orgs = me.memberships.filter((m) => m.role === 'ADMIN').map((m) => m.organization);
  if (orgs.length === 0) {
    app.replaceChildren(el('h1', {}, t('admin-heading')), el('p', {}, t('admin-no-organization', { username: me.username })), signOut());
    return;
  }
  const picker = el('select', { name: 'org', onchange: () => open(orgs.find((o) => o.name === picker.value)) },
    orgs.map((o) => el('option', { value: o.name }, o.displayName || o.name)));
  app.replaceChildren(
    el('h1', { tabindex: '-1' }, t('admin-heading')),
    el('div', { class: 'row' }, el('label', {}, t('admin-organization'), picker), el('p', { class: 'muted' }, t('admin-signed-in-as', { username: me.username })), signOut()),
    el('div', { id: 'console' }),
  );
  app.querySelector('h1').focus();
  open(orgs[0]);
}

function signOut() {
  return el('button', { type: 'button', class: 'secondary', onclick: () => {
    sessionStorage.removeItem(SESSION_KEY);
    socket?.close();
    signInScreen();
  } }, t('sign-out'));
}

function open(selected) {
  org = selected;
  const consoleNode = document.getElementById('console');
  const outcomes = el('ul', { class: 'outcomes', 'aria-live': 'polite' });
  const linkOut = el('div');
  const live = el('ul', { class: 'live', id: 'live', 'aria-live': 'polite' });
  const filter = el('select', { name: 'status', 'aria-label': t('admin-status-filter'), onchange: () => refresh() },
    el('option', { value: '' }, t('admin-all-statuses')), STATUSES.map((s) => el('option', { value: s }, statusName(s))));
  const search = el('input', { type: 'search', name: 'email', 'aria-label': t('admin-email-contains'), placeholder: t('admin-email-contains'), onchange: () => refresh() });
  const table = el('div', { class: 'table-wrap', id: 'invitations' });

  consoleNode.replaceChildren(
    el('section', {}, el('h2', {}, t('admin-invite-by-email')), form(t('admin-invite-by-email'), [
      el('label', {}, t('admin-emails'), el('textarea', { name: 'emails', required: '' })),
      el('div', { class: 'row' }, roleSelect('role', t('admin-role')), el('label', {}, t('admin-personal-note'), el('input', { name: 'message' }))),
    ], t('admin-send-invitations'), async (values, node) => {
      const emails = values.emails.split(/[\s,;]+/).filter(Boolean);
      const data = await gql(`mutation Invite($input: CreateOrgInvitesInput!) {
        createOrgInvites(input: $input) { invitations { email } errors { input code message } } }`,
      { input: { org: { name: org.name }, emails, role: values.role, message: values.message || null } });
      const { invitations, errors } = data.createOrgInvites;
      outcomes.replaceChildren(
        ...invitations.map((i) => el('li', {}, t('admin-invited', { email: i.email }))),
        ...errors.map((e) => el('li', {}, t('admin-not-invited', { input: e.input, reason: e.message }))),
      );
      say(t('admin-invite-summary', { invited: number(invitations.length), failed: number(errors.length) }));
      node.reset();
      await refresh();
    }), outcomes),
    el('section', {}, el('h2', {}, t('admin-share-a-link')), form(t('admin-create-a-link'), [
      el('div', { class: 'row' }, roleSelect('role', t('admin-role')), el('label', {}, t('admin-most-uses'), el('input', { name: 'maxUses', type: 'number', min: '1', inputmode: 'numeric' }))),
    ], t('admin-create-link'), async (values) => {
      const data = await gql(`mutation Link($input: CreateInviteLinkInput!) { createInviteLink(input: $input) { invitationLink } }`,
        { input: { org: { name: org.name }, role: values.role, maxUses: values.maxUses ? Number(values.maxUses) : null } });
      const link = data.createInviteLink.invitationLink;
      const field = el('input', { readonly: '', value: link, 'aria-label': t('admin-new-link'), id: 'new-link' });
      linkOut.replaceChildren(el('div', { class: 'row' }, field, el('button', { type: 'button', class: 'secondary', onclick: async () => {
        field.select();
        try { await navigator.clipboard.writeText(link); say(t('admin-link-copied')); } catch { say(t('admin-copy-by-hand')); }
      } }, t('admin-copy'))));
      await refresh();
    }), linkOut),
    el('section', {}, el('h2', {}, t('admin-invitations')), el('div', { class: 'row' }, filter, search), table),
    el('section', {}, el('h2', {}, t('admin-live')), el('p', { class: 'muted' }, t('admin-live-intro')), live),
  );
  refresh();
  listen(live);
}

async function refresh() {
  const table = document.getElementById('invitations');
  const status = document.querySelector('select[name=status]').value;
  const email = document.querySelector('input[name=email]').value || null;
  const data = await gql(`query List($org: String!, $status: [InvitationStatus!], $email: String) {
    orgInvitations(org: { name: $org }, status: $status, email: $email, first: 50) {
      totalCount nodes { id email role status expiresAt usageCount maxUses emailStatus } } }`,
  { org: org.name, status: status ? [status] : null, email });
  const rows = data.orgInvitations.nodes.map((i) => el('tr', {},
    el('td', {}, i.email || el('span', { class: 'badge' }, t('admin-link-badge'))),
    el('td', {}, roleName(i.role)),
    el('td', {}, statusName(i.status)),
    el('td', {}, i.email
      ? deliveryName(i.emailStatus)
      : i.maxUses
        ? t('admin-uses-of-most', { count: number(i.usageCount), most: number(i.maxUses) })
        : t('admin-uses', { count: number(i.usageCount) })),
    el('td', {}, i.expiresAt ? new Date(i.expiresAt).toLocaleDateString(pageLanguage()) : t('never')),
    el('td', {}, el('div', { class: 'actions' },
      ['PENDING', 'EXPIRED'].includes(i.status)
        ? el('button', { type: 'button', class: 'secondary', 'aria-label': i.email ? t('admin-cancel-email', { email: i.email }) : t('admin-cancel-link'), onclick: () => act('mutation($id: ID!) { cancelInvitation(id: $id) { id } }', i) }, t('admin-cancel'))
        : null,
      i.email && ['PENDING', 'EXPIRED'].includes(i.status)
        ? el('button', { type: 'button', class: 'secondary', 'aria-label': t('admin-resend-to', { email: i.email }), onclick: () => act('mutation($id: ID!) { resend(input: { ids: [$id] }) { errors { message } } }', i) }, t('admin-resend'))
        : null,
    )),
  ));
  table.replaceChildren(
    el('p', { class: 'muted' }, t('admin-invitation-count', { count: number(data.orgInvitations.totalCount) })),
    el('table', {}, el('thead', {}, el('tr', {}, [
      'admin-column-email', 'admin-column-role', 'admin-column-status', 'admin-column-delivery', 'admin-column-expires', 'admin-column-actions',
    ].map((id) => el('th', { scope: 'col' }, t(id))))), el('tbody', {}, rows)),
  );
}

async function act(mutation, invitation) {
  try {
    const data = await gql(mutation, { id: invitation.id });
    const problem = data.resend?.errors?.[0]?.message;
    say(problem || t('admin-done'));
  } catch (error) {
    say(error.message);
  }
  await refresh();
}

/** The `orgEvents` subscription over graphql-transport-ws: each acceptance joins the list. */
function listen(live) {
  socket?.close();
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  socket = new WebSocket(`${scheme}//${location.host}/graphql/ws`, 'graphql-transport-ws');
  const current = socket;
  socket.addEventListener('open', () => {
    current.send(JSON.stringify({ type: 'connection_init', payload: { Authorization: `Bearer ${sessionStorage.getItem(SESSION_KEY)}` } }));
  });
  socket.addEventListener('message', (message) => {
    const frame = JSON.parse(message.data);
    if (frame.type === 'connection_ack') {
      current.send(JSON.stringify({ id: '1', type: 'subscribe', payload: {
        query: `subscription Live($org: String!) { orgEvents(org: { name: $org }, kinds: [ACCEPTED]) {
          at actor { username } invitation { email role } } }`,
        variables: { org: org.name },
      } }));
    } else if (frame.type === 'ping') {
      current.send(JSON.stringify({ type: 'pong' }));
    } else if (frame.type === 'next' && frame.payload.data) {
      const event = frame.payload.data.orgEvents;
      const who = event.actor?.username || t('admin-live-someone');
      const role = event.invitation?.role ? roleName(event.invitation.role) : t('admin-live-a-member');
      live.prepend(el('li', {}, t('admin-live-joined', { who, role, time: new Date(event.at).toLocaleTimeString(pageLanguage()) })));
      refresh();
    }
  });
}

if (sessionStorage.getItem(SESSION_KEY)) start();
else signInScreen();
