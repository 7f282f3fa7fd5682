// What the hosted pages share: the page's words in its language (`t`), calling this server's
// `/graphql` with the tab's access token, and building elements whose values are text (never
// HTML). Loaded before each page's script, which uses these names.
'use strict';

/** The page's messages, id to text with `{name}` placeholders: the server puts its language's
 * catalogue (assets/pages/locales/<lang>.ftl) in the page as JSON. Read once. */
let pageMessages = null;

function messages() {
  if (pageMessages === null) {
    const source = document.getElementById('doorman-messages');
    try {
      pageMessages = source ? JSON.parse(source.textContent) : {};
    } catch (error) {
      console.error('the page messages do not parse: ' + error.message);
      pageMessages = {};
    }
  }
  return pageMessages;
}

/** Message `id` in the page's language, each `{name}` replaced by `values[name]` as text. An
 * unknown id is an error on the console (the browser tests fail on those) and shows as itself. */
function t(id, values = {}) {
  const all = messages();
  if (!Object.prototype.hasOwnProperty.call(all, id)) {
    console.error('no page message ' + id);
    return id;
  }
  // A name the call gives no value for stays as it is (and is reported), never "undefined".
  return all[id].replace(/\{([A-Za-z][A-Za-z0-9_-]*)\}/g, (whole, name) => {
    if (Object.prototype.hasOwnProperty.call(values, name)) return String(values[name]);
    console.error('no value for {' + name + '} in page message ' + id);
    return whole;
  });
}

/** The page's language (`<html lang>`, set by the server), for dates and numbers. */
function pageLanguage() {
  return document.documentElement.lang || undefined;
}

/** The access token of this tab (sessionStorage only). */
const SESSION_KEY = 'doorman.accessToken';

/** A GraphQL error with its `extensions.code`. */
class ApiError extends Error {
  constructor(error) {
    super(error.message);
    this.code = error.extensions?.code;
  }
}

/** Runs an operation on `/graphql`; the first error is thrown as an `ApiError`. */
async function gql(query, variables = {}) {
  const headers = {
    'content-type': 'application/json',
    accept: 'application/graphql-response+json, application/json',
  };
  const bearer = sessionStorage.getItem(SESSION_KEY);
  if (bearer) headers.authorization = `Bearer ${bearer}`;
  const response = await fetch('/graphql', {
    method: 'POST',
    headers,
    body: JSON.stringify({ query, variables }),
  });
  const body = await response.json();
  if (body.errors?.length) throw new ApiError(body.errors[0]);
  return body.data;
}

/** An element with attributes (`on…` ones become listeners) and children (strings as text). */
function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (name.startsWith('on')) node.addEventListener(name.slice(2), value);
    else if (value !== false && value !== null && value !== undefined) node.setAttribute(name, value);
  }
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    node.append(typeof child === 'string' ? document.createTextNode(child) : child);
  }
  return node;
}

/** Tells screen readers `text` (the page's status region). */
function say(text) {
  document.getElementById('announcer').textContent = text;
}

// ---- "Continue with <provider>": an authorization-code grant with PKCE ----

/** Where the identity provider sends the visitor back; `signin.js` finishes there. */
const SIGN_IN_CALLBACK = '/signin/callback';
/** The grant under way (state, nonce, PKCE verifier, where to return): this tab only. */
const SIGN_IN_KEY = 'doorman.signIn';

/** What a page asks `serverInfo` for to offer the provider. */
const OIDC_SIGN_IN_FIELDS = 'oidcSignIn { providerName clientId authorizationEndpoint tokenEndpoint scope resource }';

function base64url(bytes) {
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function randomText() {
  return base64url(crypto.getRandomValues(new Uint8Array(32)));
}

/** Only a path of this site is a place to return to after signing in. */
function localPath(path) {
  return typeof path === 'string' && path.startsWith('/') && !path.startsWith('//') && !path.startsWith('/\\')
    ? path
    : '/admin';
}

/** Sends the visitor to the provider of `signIn` (`serverInfo.oidcSignIn`); back at
 * `/signin/callback`, they are signed in and sent on to `returnTo`. */
async function continueWith(signIn, returnTo) {
  if (!window.crypto?.subtle) throw new Error(t('sign-in-needs-https'));
  const verifier = randomText();
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier));
  const grant = { state: randomText(), nonce: randomText(), verifier, returnTo: localPath(returnTo) };
  sessionStorage.setItem(SIGN_IN_KEY, JSON.stringify(grant));
  const params = {
    response_type: 'code',
    client_id: signIn.clientId,
    redirect_uri: `${window.location.origin}${SIGN_IN_CALLBACK}`,
    scope: signIn.scope,
    state: grant.state,
    nonce: grant.nonce,
    code_challenge: base64url(new Uint8Array(digest)),
    code_challenge_method: 'S256',
  };
  if (signIn.resource) params.resource = signIn.resource;
  const url = new URL(signIn.authorizationEndpoint);
  for (const [name, value] of Object.entries(params)) url.searchParams.set(name, value);
  window.location.assign(url.href);
}

/** The "Continue with <provider>" button; a failure to start is said in `errors`. */
function providerButton(signIn, returnTo, errors) {
  const button = el('button', {
    type: 'button',
    class: 'provider',
    onclick: async () => {
      button.disabled = true;
      try {
        await continueWith(signIn, returnTo);
      } catch (error) {
        errors.textContent = error.message;
        button.disabled = false;
      }
    },
  }, t('continue-with', { provider: signIn.providerName }));
  return button;
}
