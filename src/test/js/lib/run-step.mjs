// Runs a workflow step's `run:` script the way a GitHub-hosted runner does (bash -e -o pipefail),
// in a directory of fixture files, with a chosen `yq` first on PATH.
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const SHIM = join(dirname(fileURLToPath(import.meta.url)), 'yq-shim.mjs');

/** The yq implementations to run guard scripts with: always the shim, and a real yq if installed. */
export function yqProviders() {
  const shimDir = mkdtempSync(join(tmpdir(), 'yq-shim-'));
  const wrapper = join(shimDir, 'yq');
  writeFileSync(wrapper, `#!/bin/sh\nexec "${process.execPath}" "${SHIM}" "$@"\n`);
  chmodSync(wrapper, 0o755);
  const providers = [{ name: 'yq-shim', pathPrefix: shimDir }];
  const real = spawnSync('yq', ['--version'], { encoding: 'utf8' });
  if (real.status === 0) {
    providers.push({ name: `installed ${(real.stdout || real.stderr).trim()}`, pathPrefix: '' });
  }
  return providers;
}

/** Writes { 'Pulumi.dev.yaml': '...', 'sub/x': '...' } into a fresh directory and returns it. */
export function fixtureDir(files) {
  const dir = mkdtempSync(join(tmpdir(), 'kilonode-stacks-'));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return dir;
}

/** A directory holding executable scripts { name: text }, to put first on PATH. */
export function binDir(scripts) {
  const dir = mkdtempSync(join(tmpdir(), 'kilonode-bin-'));
  for (const [name, text] of Object.entries(scripts)) {
    writeFileSync(join(dir, name), text);
    chmodSync(join(dir, name), 0o755);
  }
  return dir;
}

/**
 * Runs `script`; returns { status, stdout, stderr, outputs, runnerTemp, summary }: outputs as written
 * to $GITHUB_OUTPUT, summary as written to $GITHUB_STEP_SUMMARY. `pathPrefix` goes first on PATH
 * (a directory with stand-ins for yq, java, ...).
 */
export function runStep(script, { cwd, env = {}, pathPrefix = '' }) {
  const work = mkdtempSync(join(tmpdir(), 'kilonode-step-'));
  const file = join(work, 'step.sh');
  const output = join(work, 'output');
  const summary = join(work, 'summary');
  writeFileSync(file, script);
  writeFileSync(output, '');
  writeFileSync(summary, '');
  const PATH = pathPrefix ? `${pathPrefix}:${process.env.PATH}` : process.env.PATH;
  const r = spawnSync('bash', ['--noprofile', '--norc', '-eo', 'pipefail', file], {
    cwd,
    encoding: 'utf8',
    timeout: 30_000,
    env: {
      PATH,
      HOME: process.env.HOME ?? work,
      LANG: 'C.UTF-8',
      GITHUB_OUTPUT: output,
      GITHUB_STEP_SUMMARY: summary,
      GITHUB_RUN_ID: '1',
      RUNNER_TEMP: work,
      ...env,
    },
  });
  const outputs = {};
  for (const line of readFileSync(output, 'utf8').split('\n')) {
    const i = line.indexOf('=');
    if (i > 0) outputs[line.slice(0, i)] = line.slice(i + 1);
  }
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, outputs, error: r.error, runnerTemp: work, summary: readFileSync(summary, 'utf8') };
}
