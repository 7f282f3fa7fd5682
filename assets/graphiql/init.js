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

  ReactDOM.createRoot(container).render(
    React.createElement(GraphiQL, {
      fetcher: fetcher,
      defaultEditorToolsVisibility: true,
      // Headers (an access token) stay in this tab only.
      shouldPersistHeaders: false,
    }),
  );
})();
