// `/signin/callback`: where the identity provider sends the visitor back after "Continue with
// <provider>". Checks that the grant started in this tab (its `state`), exchanges the code at
// the provider's token endpoint with the PKCE verifier, keeps the bearer (the access token, or
// the ID token once its `nonce` matched) in this tab's sessionStorage like a password sign-in,
// and returns to the page the visitor came from. The code leaves the address bar at once.
'use strict';

const app = document.getElementById('app');

function failed(text, returnTo) {
  const heading = el('h1', { tabindex: '-1' }, t('signin-failed'));
  app.replaceChildren(
    heading,
    el('p', { class: 'notice error', role: 'alert' }, text),
    el('p', {}, el('a', { href: returnTo }, t('signin-go-back'))),
  );
  heading.focus();
}

/** The claims of a JWT, unverified: only to compare the nonce (Doorman verifies the token). */
function claimsOf(jwt) {
  const payload = (jwt || '').split('.')[1] || '';
  try {
    return JSON.parse(atob(payload.replace(/-/g, '+').replace(/_/g, '/')));
  } catch {
    return {};
  }
}

async function finishSignIn() {
  const params = new URLSearchParams(window.location.search);
  window.history.replaceState(null, '', SIGN_IN_CALLBACK);
  let grant = null;
  try {
    grant = JSON.parse(sessionStorage.getItem(SIGN_IN_KEY) || 'null');
  } catch {
    grant = null;
  }
  sessionStorage.removeItem(SIGN_IN_KEY);
  const returnTo = localPath(grant?.returnTo);
  if (params.get('error')) {
    const why = params.get('error') === 'access_denied'
      ? t('signin-refused')
      : t('signin-provider-error', { error: params.get('error_description') || params.get('error') });
    return failed(why, returnTo);
  }
  if (!grant || !params.get('code') || params.get('state') !== grant.state) {
    return failed(t('signin-not-started-here'), returnTo);
  }
  const { serverInfo } = await gql(`{ serverInfo { ${OIDC_SIGN_IN_FIELDS} } }`);
  const signIn = serverInfo.oidcSignIn;
  if (!signIn) return failed(t('signin-no-provider'), returnTo);
  const form = new URLSearchParams({
    grant_type: 'authorization_code',
    code: params.get('code'),
    redirect_uri: `${window.location.origin}${SIGN_IN_CALLBACK}`,
    client_id: signIn.clientId,
    code_verifier: grant.verifier,
  });
  if (signIn.resource) form.set('resource', signIn.resource);
  let tokens;
  try {
    const response = await fetch(signIn.tokenEndpoint, { method: 'POST', body: form });
    tokens = await response.json();
    if (!response.ok) throw new Error(tokens.error_description || tokens.error || t('signin-http-status', { status: response.status }));
  } catch (error) {
    return failed(t('signin-no-token', { reason: error.message }), returnTo);
  }
  if (tokens.id_token && claimsOf(tokens.id_token).nonce !== grant.nonce) {
    return failed(t('signin-other-grant'), returnTo);
  }
  const bearer = signIn.resource ? tokens.access_token : tokens.id_token;
  if (!bearer) return failed(t('signin-unusable-token'), returnTo);
  sessionStorage.setItem(SESSION_KEY, bearer);
  window.location.replace(returnTo);
}

finishSignIn().catch((error) => failed(error.message, '/admin'));
