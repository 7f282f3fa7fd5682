// The OpenID provider of `oidc.mjs` as a process, for tests in other languages: prints one
// JSON line `{ "issuer": …, "control": … }` and serves a control API on another port:
//   POST /token  { "account": "sub-alice", "ttl"?, "alg"?, "resource"? } → { accessToken, idToken }
//   POST /rotate → rotates the signing keys
// It exits when its standard input closes (the test that started it is gone).

import { createServer } from 'node:http';

import { startOidcProvider } from './oidc.mjs';

const oidc = await startOidcProvider();

async function body(req) {
  let text = '';
  for await (const chunk of req) text += chunk;
  return text ? JSON.parse(text) : {};
}

const control = createServer(async (req, res) => {
  try {
    let answer = {};
    if (req.method === 'POST' && req.url === '/token') {
      const { account, ...options } = await body(req);
      answer = await oidc.token(account, options);
    } else if (req.method === 'POST' && req.url === '/rotate') {
      oidc.rotateKeys();
    } else {
      res.statusCode = 404;
    }
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify(answer));
  } catch (error) {
    res.statusCode = 500;
    res.end(JSON.stringify({ error: String(error?.stack ?? error) }));
  }
});
await new Promise((resolve) => control.listen(0, '127.0.0.1', resolve));
process.stdout.write(
  `${JSON.stringify({ issuer: oidc.issuer, control: `http://127.0.0.1:${control.address().port}` })}\n`,
);
process.stdin.resume();
process.stdin.on('end', () => process.exit(0));
