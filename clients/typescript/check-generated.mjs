// Fails when src/gql/ is not what GraphQL Code Generator writes from ../../schema.graphql and
// the operations in src/ now: run `npm run generate` and commit the result.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const scratch = mkdtempSync(path.join(tmpdir(), 'doorman-codegen-'));
try {
  execFileSync('npx', ['graphql-codegen', '--config', 'codegen.ts'], {
    env: { ...process.env, DOORMAN_CODEGEN_OUT: `${scratch}/` },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const fresh = readdirSync(scratch).sort();
  const committed = readdirSync('src/gql').sort();
  const stale = fresh.filter(
    (name) => !committed.includes(name) || readFileSync(path.join(scratch, name), 'utf8') !== readFileSync(path.join('src/gql', name), 'utf8'),
  );
  const extra = committed.filter((name) => !fresh.includes(name));
  if (stale.length || extra.length) {
    console.error(`src/gql/ is out of date (${[...stale, ...extra].join(', ')}): run npm run generate`);
    process.exit(1);
  }
  console.log(`src/gql/ matches schema.graphql (${fresh.length} files)`);
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
