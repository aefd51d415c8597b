// shellcheck (severity warning and above) over every `run:` script of the workflows.
// Skipped where shellcheck is not installed; .ci/run and the workflows install it with apt.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { loadWorkflows, runOf, steps } from '../../lib/workflows.mjs';

const version = spawnSync('shellcheck', ['--version'], { encoding: 'utf8' });
const skip = version.status === 0 ? false : 'shellcheck is not installed';

function shellcheck(script) {
  // GitHub expressions are substituted before bash sees the script; any left are placeholders.
  const input = script.replace(/\$\{\{[^}]*\}\}/g, 'GITHUB_EXPRESSION');
  const r = spawnSync('shellcheck', ['--shell=bash', '--severity=warning', '--format=gcc', '-'], { input, encoding: 'utf8' });
  return { status: r.status, findings: (r.stdout || '').trim() };
}

describe('shellcheck over run: scripts', { skip }, () => {
  it('flags a broken script (control)', () => {
    const { status, findings } = shellcheck('cd "$RUNNER_TEMP"/work\nrm -rf $dir/*\n');
    assert.notEqual(status, 0);
    assert.match(findings, /SC2164|SC2115|SC2086/);
  });

  for (const { file, doc } of loadWorkflows()) {
    for (const { jobId, index, step } of steps(doc)) {
      const run = runOf(step);
      if (!run) continue;
      it(`${file} ${jobId} step ${index} (${step.name ?? step.id ?? 'run'})`, () => {
        const { status, findings } = shellcheck(run);
        assert.equal(status, 0, findings);
      });
    }
  }
});
