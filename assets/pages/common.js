// What the hosted pages share: calling this server's `/graphql` with the tab's access token,
// and building elements whose values are text (never HTML). Loaded before each page's script,
// which uses these names.
'use strict';

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
