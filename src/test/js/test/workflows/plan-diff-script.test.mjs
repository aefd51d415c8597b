// Runs the plan-diff step of pull-request.yml, as written in the YAML, with a stand-in `java`
// that imitates `kilonode.jar plan`: checks how the review is assembled for changed, new, removed,
// failing and oversized stacks, without building anything.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { binDir, fixtureDir, runStep } from '../../lib/run-step.mjs';
import { findStep, loadWorkflow, runOf } from '../../lib/workflows.mjs';

const script = runOf(findStep(loadWorkflow('pull-request.yml').doc, 'plan-diff', 'plan'));

// java -jar target/kilonode.jar plan --stack S (--out DIR | --diff DIR --format markdown)
const FAKE_JAVA = `#!/usr/bin/env bash
set -euo pipefail
stack="" out="" diff="" format=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --stack) stack="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    --diff) diff="$2"; shift 2 ;;
    --format) format="$2"; shift 2 ;;
    *) shift ;;
  esac
done
tree="$(basename "$PWD")"
[[ -f "Pulumi.$stack.yaml" ]] || { echo "no Pulumi.$stack.yaml in $tree" >&2; exit 3; }
if [[ "$stack" == broken && "$tree" == head ]]; then echo "kilonode:workerCount must be >= 0" >&2; exit 1; fi
if [[ -n "$out" ]]; then
  mkdir -p "$out"
  printf '{"stack":"%s","tree":"%s"}\\n' "$stack" "$tree" > "$out/summary.json"
  exit 0
fi
[[ "$format" == markdown && -n "$diff" ]] || { echo "usage" >&2; exit 2; }
if [[ ! -f "$diff/summary.json" ]]; then
  [[ -n "\${FAKE_DIFF_NEEDS_BASE:-}" ]] && { echo "no plan in $diff" >&2; exit 4; }
  echo "#### $stack: everything added"
else
  echo "#### $stack: diff against $(cat "$diff/summary.json")"
fi
if [[ "$stack" == huge ]]; then
  echo '\`\`\`diff'
  for i in $(seq 1 3000); do echo "+ aws:ec2/instance:Instance worker-$i"; done
  echo '\`\`\`'
fi
`;

const TREES = {
  'head/Pulumi.dev.yaml': 'config: {}\n',
  'base/Pulumi.dev.yaml': 'config: {}\n',
  'head/Pulumi.scale.yaml': 'config: {}\n',
  'base/Pulumi.scale.yaml': 'config: {}\n',
  'head/Pulumi.fresh.yaml': 'config: {}\n',
  'base/Pulumi.gone.yaml': 'config: {}\n',
  'head/Pulumi.broken.yaml': 'config: {}\n',
  'base/Pulumi.broken.yaml': 'config: {}\n',
};

function run(files, env = {}) {
  const cwd = fixtureDir(files);
  const r = runStep(script, {
    cwd,
    pathPrefix: binDir({ java: FAKE_JAVA }),
    env: { BASE_BUILD: 'ok', BASE_SHA: 'a'.repeat(40), HEAD_SHA: 'b'.repeat(40), ...env },
  });
  const dir = join(r.runnerTemp, 'plan-review');
  const read = (name) => (existsSync(join(dir, name)) ? readFileSync(join(dir, name), 'utf8') : '');
  return { ...r, dir, review: read('plan-review.md'), comment: read('comment.md') };
}

function explain(r) {
  return `exit ${r.status}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`;
}

describe('pull-request.yml plan-diff script', () => {
  const r = run(TREES);

  it('completes and marks the review ready', () => {
    assert.equal(r.status, 0, explain(r));
    assert.equal(r.outputs.review, 'ready');
  });

  it('has one section per stack of either tree, in order', () => {
    const headings = [...r.review.matchAll(/^### Stack `([^`]+)`$/gm)].map((m) => m[1]);
    assert.deepEqual(headings, ['broken', 'dev', 'fresh', 'gone', 'scale']);
  });

  it('diffs a stack of both trees against the base plan', () => {
    assert.match(r.review, /#### dev: diff against \{"stack":"dev","tree":"base"\}/);
    assert.match(r.review, /#### scale: diff against \{"stack":"scale","tree":"base"\}/);
  });

  it('shows a new stack as new', () => {
    assert.match(r.review, /\*\*New stack\*\*[^\n]*\n\n#### fresh: everything added/);
  });

  it('warns that removing a stack file destroys nothing', () => {
    assert.match(r.review, /### Stack `gone`\n\n> \*\*Stack file removed\.\*\*/);
  });

  it('reports a stack that no longer plans, with its error, and fails the job later', () => {
    assert.match(r.review, /:x: `kilonode\.jar plan --stack broken` failed[\s\S]*workerCount must be >= 0/);
    assert.equal(r.outputs.failed, 'broken');
  });

  it('posts the whole review when it is small, and writes the job summary', () => {
    assert.equal(r.comment, r.review);
    assert.ok(r.summary.includes('## kilonode offline plan review'));
  });

  it('falls back to the plan summary when the diff needs a base plan', () => {
    const x = run(TREES, { FAKE_DIFF_NEEDS_BASE: '1' });
    assert.equal(x.status, 0, explain(x));
    assert.match(x.review, /### Stack `fresh`\n\n> \*\*New stack\*\*[^\n]*\n\n```json\n\{"stack":"fresh","tree":"head"\}/);
    assert.equal(x.outputs.failed, 'broken');
  });

  it('treats every stack as new when the base does not build', () => {
    const x = run(TREES, { BASE_BUILD: 'missing' });
    assert.equal(x.status, 0, explain(x));
    assert.match(x.review, /#### dev: everything added/);
    assert.doesNotMatch(x.review, /tree":"base"/);
  });

  it('truncates the comment to fit a pull-request comment', () => {
    const x = run({ 'head/Pulumi.huge.yaml': 'config: {}\n', 'base/Pulumi.huge.yaml': 'config: {}\n' });
    assert.equal(x.status, 0, explain(x));
    assert.ok(x.review.length > 65536, 'the fake output is large');
    assert.ok(statSync(join(x.dir, 'comment.md')).size < 65536);
    assert.match(x.comment, /_Truncated: the whole review is in the job summary/);
    assert.equal((x.comment.match(/^```/gm) || []).length % 2, 0, 'no code block left open');
    assert.match(x.comment, /^\+ aws:ec2\/instance:Instance worker-\d+\n```\n/m, 'cut at a line end');
  });

  it('says so when there is no stack file at all', () => {
    const x = run({ 'head/README.md': '', 'base/README.md': '' });
    assert.equal(x.status, 0, explain(x));
    assert.match(x.review, /No `Pulumi\.<stack>\.yaml` file in either tree/);
    assert.equal(x.outputs.failed, '');
  });
});
