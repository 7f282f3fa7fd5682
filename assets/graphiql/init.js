// Doorman's own: starts GraphiQL (UMD globals React, ReactDOM, GraphiQL) on #graphiql.
// The endpoints come from the element's data attributes; the WebSocket URL is built from
// `location`, so the page works on any host, behind TLS (wss:) or not (ws:).
(function () {
  'use strict';

  // The <style> that GraphiQL's dialogs inject (react-remove-scroll) takes its nonce from this
  // global; the page's content security policy admits styles with this page's nonce only.
  window.__webpack_nonce__ = document.querySelector('meta[name="doorman-style-nonce"]').nonce;

  var container = document.getElementById('graphiql');
  var endpoint = new URL(container.dataset.endpoint, location.href).href;
  var scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  var subscriptionUrl = scheme + '//' + location.host + container.dataset.subscriptionEndpoint;

  var fetcher = GraphiQL.createFetcher({
    url: endpoint,
    subscriptionUrl: subscriptionUrl,
    // Doorman answers plain JSON; it has no @defer/@stream.
    enableIncrementalDelivery: false,
  });

  // The first tab: the README's first minutes, one named operation per step. Run them in
  // order with the run button's menu; put the access token of `Register` in the headers pane.
  var firstMinutes = [
    '# Welcome to Doorman. Run these in order (the run button offers each operation).',
    '# 1. Register: the first account on an empty server is its server admin.',
    'mutation Register {',
    '  register(input: { email: "alice@example.com", username: "alice", password: "correct horse battery" }) {',
    '    accessToken',
    '    user { id username isServerAdmin }',
    '  }',
    '}',
    '',
    '# 2. Put the token in the headers pane: {"Authorization": "Bearer <accessToken>"}',
    'mutation CreateOrganization {',
    '  createOrganization(input: { name: "acme", displayName: "Acme Inc." }) { id name viewerRole }',
    '}',
    '',
    '# 3. Invite: each email gets one outcome. The links go by email (files in mail/ by default).',
    'mutation Invite {',
    '  createOrgInvites(input: { org: { name: "acme" }, emails: ["bob@example.com", "carol@example.com"], message: "Welcome to Acme!" }) {',
    '    invitations { id email status expiresAt }',
    '    errors { input code message }',
    '  }',
    '}',
    '',
    '# 4. Anyone holding a token (the last part of the emailed link) may preview it.',
    'query Preview {',
    '  invitation(token: "<paste the token here>") {',
    '    organization { name } role emailHint status expiresAt invitedBy { username } nextStep',
    '  }',
    '}',
    '',
    '# 5. Signed in as the invitee: join. (Or open the link in a browser: the invitation page.)',
    'mutation Accept {',
    '  acceptInvitation(token: "<paste the token here>") {',
    '    membership { role organization { name } }',
    '    invitation { status }',
    '  }',
    '}',
    '',
  ].join('\n');

  ReactDOM.createRoot(container).render(
    React.createElement(GraphiQL, {
      fetcher: fetcher,
      // Only when this browser has no tabs stored yet; a new tab starts empty.
      defaultTabs: [{ query: firstMinutes }],
      defaultEditorToolsVisibility: true,
      // Headers (an access token) stay in this tab only.
      shouldPersistHeaders: false,
    }),
  );
})();
