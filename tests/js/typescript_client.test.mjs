// The TypeScript client of clients/typescript/ (typed operations generated from
// schema.graphql) runs its example against the real server binary: compiled by tsc, it
// registers, invites, previews and joins. `.ci/run` installs that package first.

import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

import { startDoorman } from './support/doorman.mjs';

const client = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../clients/typescript');
let server;

before(async () => {
  server = await startDoorman();
});

after(async () => {
  await server?.stop();
});

test('the typed example registers, invites and joins through the API', async () => {
  assert.ok(
    existsSync(path.join(client, 'node_modules')),
    'clients/typescript has no node_modules: run npm ci there (as .ci/run does)',
  );
  const { stdout } = await promisify(execFile)('npm', ['run', '--silent', 'example', '--', server.baseUrl], {
    cwd: client,
    timeout: 120_000,
  });
  assert.match(stdout, /next step for the guest: VERIFY_EMAIL/);
  assert.match(stdout, /the email invitation waits: EMAIL_NOT_VERIFIED/);
  assert.match(stdout, /joined org-\w+ as VISITOR/);
});
