// Starts the Doorman server binary for a test file: a fresh SQLite file in a temporary folder,
// a free port on 127.0.0.1, only our DOORMAN_* settings. Stop it with `stop()` in `after`.
//
// DOORMAN_BIN names the binary (default: ../../target/debug/doorman from tests/js).

import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const testsDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const binary = path.resolve(testsDir, process.env.DOORMAN_BIN ?? '../../target/debug/doorman');

/** A port nothing listens on: bound to 0, then released. */
function freePort() {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

async function waitForHealth(server, url, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (server.process.exitCode !== null) {
      throw new Error(`doorman exited with ${server.process.exitCode}:\n${server.log()}`);
    }
    try {
      const response = await fetch(`${url}/healthz`);
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      throw new Error(`doorman did not answer /healthz within ${timeoutMs} ms:\n${server.log()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * Starts the server and waits until it is healthy; `settings` adds DOORMAN_* variables.
 * @param {Record<string, string>} settings
 * @returns {Promise<{ baseUrl: string, port: number, mailDir: string, log: () => string, stop: () => Promise<void> }>}
 */
export async function startDoorman(settings = {}) {
  const workDir = await mkdtemp(path.join(tmpdir(), 'doorman-js-'));
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  // Only our settings: DOORMAN_* variables of the calling shell must not leak in.
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !name.startsWith('DOORMAN_')),
  );
  const child = spawn(binary, [], {
    env: {
      ...env,
      DOORMAN_DATABASE_URL: `sqlite://${workDir}/doorman.db?mode=rwc`,
      DOORMAN_LISTEN: `127.0.0.1:${port}`,
      DOORMAN_MAIL_DIR: path.join(workDir, 'mail'),
      DOORMAN_TOKEN_SECRET: 'doorman-js-test-secret-0123456789abcdef',
      // Links in emails point at this server, as on a fresh install.
      DOORMAN_PUBLIC_URL: baseUrl,
      ...settings,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));

  const server = {
    baseUrl,
    port,
    mailDir: path.join(workDir, 'mail'),
    process: child,
    log: () => output,
    async stop() {
      if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(timer);
      }
      await rm(workDir, { recursive: true, force: true });
    },
  };
  try {
    await new Promise((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', (error) => reject(new Error(`cannot start ${binary}: ${error.message}`)));
    });
    await waitForHealth(server, baseUrl, 30_000);
  } catch (error) {
    await server.stop();
    throw error;
  }
  return server;
}
