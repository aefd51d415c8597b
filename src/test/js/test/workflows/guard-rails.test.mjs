// Structural guard rails of the workflows, read from the parsed YAML.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  actionName,
  changesStack,
  environmentName,
  jobs,
  loadWorkflow,
  loadWorkflows,
  pinProblem,
  runOf,
  steps,
  usesRefs,
} from '../../lib/workflows.mjs';

const workflows = loadWorkflows();

/** Steps that post or edit a pull-request comment of their own (not pulumi/actions previews). */
function commentSteps(doc) {
  return steps(doc).filter(({ step }) => {
    const name = actionName(step);
    if (name === 'marocchino/sticky-pull-request-comment') return true;
    if (name === 'actions/github-script') {
      return /create(Comment|ReviewComment)|updateComment/.test(String(step.with?.script ?? ''));
    }
    return /\bgh\s+(pr\s+comment|api\b[^\n]*\/comments)/.test(runOf(step));
  });
}

describe('pinProblem (control)', () => {
  it('accepts full version tags, commit SHAs and local actions', () => {
    for (const ok of [
      'actions/checkout@v7.0.1',
      'pulumi/actions@v7.0.0',
      'github/codeql-action/init@v3.28.0',
      'actions/checkout@0123456789abcdef0123456789abcdef01234567',
      './.github/actions/local',
    ]) {
      assert.equal(pinProblem(ok), null, ok);
    }
  });
  it('rejects branches, major-only tags and missing refs', () => {
    for (const bad of ['actions/checkout@main', 'actions/checkout@v4', 'actions/checkout@v4.2', 'actions/checkout', 'docker://alpine:latest']) {
      assert.notEqual(pinProblem(bad), null, bad);
    }
  });
});

for (const { file, doc } of workflows) {
  describe(`${file}: common guard rails`, () => {
    it('pins every uses: to a full version tag or commit SHA', () => {
      const refs = usesRefs(doc);
      assert.ok(refs.length > 0, 'no uses: at all?');
      const problems = refs
        .map(({ where, uses }) => ({ where, uses, problem: pinProblem(uses) }))
        .filter((r) => r.problem)
        .map((r) => `${r.where}: ${r.uses}: ${r.problem}`);
      assert.deepEqual(problems, []);
    });

    it('grants no permissions by default and declares them per job', () => {
      assert.deepEqual(doc.permissions, {}, 'top-level permissions must be {}');
      for (const { jobId, job } of jobs(doc)) {
        assert.equal(typeof job.permissions, 'object', `job ${jobId} must declare its permissions`);
        for (const [scope, level] of Object.entries(job.permissions)) {
          assert.ok(['read', 'write', 'none'].includes(level), `${jobId}: ${scope}: ${level}`);
        }
        assert.notEqual(job.permissions.contents, 'write', `${jobId} must not write repository contents`);
      }
    });

    it('asks for id-token: write only where AWS credentials are configured', () => {
      for (const { jobId, job } of jobs(doc)) {
        const usesAws = (job.steps || []).some((s) => actionName(s) === 'aws-actions/configure-aws-credentials');
        assert.equal(job.permissions?.['id-token'] === 'write', usesAws, `${jobId}: id-token: write iff it assumes the AWS role`);
        if (usesAws) {
          const aws = job.steps.find((s) => actionName(s) === 'aws-actions/configure-aws-credentials');
          assert.ok(aws.with?.['role-to-assume'], `${jobId}: OIDC role-to-assume`);
          assert.equal(aws.with?.['aws-access-key-id'], undefined, `${jobId}: no long-lived AWS keys`);
        }
      }
    });

    it('asks for pull-requests: write only where a comment is posted', () => {
      for (const { jobId, job } of jobs(doc)) {
        const comments = (job.steps || []).some(
          (s) =>
            commentSteps({ jobs: { [jobId]: { steps: [s] } } }).length > 0 ||
            (actionName(s) === 'pulumi/actions' && String(s.with?.['comment-on-pr']) === 'true'),
        );
        assert.equal(job.permissions?.['pull-requests'] === 'write', comments, `${jobId}: pull-requests: write iff it comments`);
      }
    });

    it('never traces shell commands (secrets could be echoed)', () => {
      for (const { jobId, index, step } of steps(doc)) {
        const run = runOf(step);
        assert.doesNotMatch(run, /\bset\s+-[a-wyz]*x|\bset\s+-o\s+xtrace|\bbash\s+-[a-z]*x/, `${jobId} step ${index}`);
        assert.doesNotMatch(String(step.shell ?? ''), /-[a-z]*x/, `${jobId} step ${index} shell`);
      }
      assert.doesNotMatch(String(doc.defaults?.run?.shell ?? ''), /-[a-z]*x/);
    });

    it('passes secrets and untrusted inputs to scripts only through env', () => {
      for (const { jobId, index, step } of steps(doc)) {
        const run = runOf(step);
        assert.doesNotMatch(run, /\$\{\{[^}]*\bsecrets\./, `${jobId} step ${index}: secrets inside run:`);
        assert.doesNotMatch(run, /\$\{\{[^}]*\b(github\.event|inputs|matrix)\./, `${jobId} step ${index}: expression inside run:`);
      }
    });

    it('keys no `if:` on secrets directly', () => {
      const ifs = [
        ...jobs(doc).map(({ jobId, job }) => [jobId, job.if]),
        ...steps(doc).map(({ jobId, index, step }) => [`${jobId} step ${index}`, step.if]),
      ];
      for (const [where, cond] of ifs) {
        assert.doesNotMatch(String(cond ?? ''), /\bsecrets\./, where);
      }
    });

    it('puts a time limit on every job', () => {
      for (const { jobId, job } of jobs(doc)) {
        assert.ok(Number.isInteger(job['timeout-minutes']), `${jobId} has no timeout-minutes`);
      }
    });

    it('serialises every change of a stack in its kilonode-stack-<stack> group', () => {
      for (const { jobId, job } of jobs(doc)) {
        if (!(job.steps || []).some(changesStack)) continue;
        const c = job.concurrency;
        assert.equal(typeof c, 'object', `${jobId} changes a stack without a concurrency group`);
        assert.match(String(c.group), /^kilonode-stack-/, `${jobId}: group ${c.group}`);
        assert.equal(c['cancel-in-progress'], false, `${jobId} must never cancel a running update`);
      }
    });

    it('never targets the production environment outside main.yml', () => {
      if (file === 'main.yml') return;
      for (const { jobId, job } of jobs(doc)) {
        assert.equal(environmentName(job), undefined, `${jobId} uses an environment`);
      }
    });
  });
}

describe('pull-request.yml', () => {
  const { doc } = loadWorkflow('pull-request.yml');

  it('runs on pull_request, never pull_request_target', () => {
    assert.ok(doc.on.pull_request !== undefined);
    assert.equal(doc.on.pull_request_target, undefined);
  });

  it('builds with JDK 17 (temurin, maven cache) and runs ./mvnw -B verify', () => {
    const java = steps(doc).filter(({ jobId, step }) => jobId === 'verify' && actionName(step) === 'actions/setup-java');
    assert.equal(java.length, 1);
    assert.equal(String(java[0].step.with['java-version']), '17');
    assert.equal(java[0].step.with.distribution, 'temurin');
    assert.equal(java[0].step.with.cache, 'maven');
    const runs = steps(doc).filter(({ jobId }) => jobId === 'verify').map(({ step }) => runOf(step)).join('\n');
    assert.match(runs, /apt-get install[^\n]*shellcheck[^\n]*cloud-init/);
    assert.match(runs, /\.\/mvnw -B verify/);
  });

  it('diffs the offline plan of every stack against the base branch', () => {
    const job = doc.jobs['plan-diff'];
    const checkouts = job.steps.filter((s) => actionName(s) === 'actions/checkout');
    assert.ok(checkouts.some((s) => /pull_request\.base\.sha/.test(String(s.with?.ref))), 'base branch checked out');
    assert.equal(new Set(checkouts.map((s) => s.with?.path)).size, 2, 'two separate directories');
    const scripts = job.steps.map(runOf).join('\n');
    assert.match(scripts, /Pulumi\.\*\.yaml/);
    assert.match(scripts, /kilonode\.jar plan --stack "\$s" --out/);
    assert.match(scripts, /kilonode\.jar plan --stack "\$s" --diff "\$base_plan" --format markdown/);
    assert.deepEqual(job.permissions, { contents: 'read' });
    assert.doesNotMatch(JSON.stringify(job), /secrets\./, 'the plan diff needs no secret');
  });

  it('posts the plan review as exactly one comment, updated in place', () => {
    const posted = commentSteps(doc);
    assert.equal(posted.length, 1, `comment steps: ${posted.map((p) => `${p.jobId}[${p.index}]`).join(', ')}`);
    const { job, step } = posted[0];
    assert.equal(actionName(step), 'marocchino/sticky-pull-request-comment');
    assert.ok(step.with?.header, 'a header makes the comment sticky (edited, not re-posted)');
    assert.ok(step.with?.path, 'the review is posted from the artifact');
    for (const flag of ['append', 'recreate', 'hide_and_recreate']) {
      assert.notEqual(String(step.with?.[flag]), 'true', `${flag} would not update in place`);
    }
    assert.doesNotMatch(JSON.stringify(job.steps), /actions\/checkout|mvnw|java -jar/, 'the commenting job runs no pull-request code');
  });

  it('previews in the cloud only when the gate says credentials are configured', () => {
    const job = doc.jobs.preview;
    assert.match(String(job.if), /needs\.gate\.outputs\.cloud\s*==\s*'true'/);
    assert.ok([].concat(job.needs).includes('gate'));
    const pulumi = job.steps.find((s) => actionName(s) === 'pulumi/actions');
    assert.equal(pulumi.with.command, 'preview');
    assert.equal(String(pulumi.with.diff), 'true');
    assert.equal(pulumi.with.policyPacks, 'policies');
    assert.equal(pulumi.with.policyPackConfigs, '${{ matrix.policyConfig }}');
    assert.match(JSON.stringify(job.strategy.matrix), /needs\.gate\.outputs\.stacks/);
    assert.equal(String(pulumi.with['comment-on-pr']), 'true');
    assert.match(String(pulumi.env?.PULUMI_CONFIG_PASSPHRASE), /secrets\.PULUMI_CONFIG_PASSPHRASE/);
    const aws = job.steps.find((s) => actionName(s) === 'aws-actions/configure-aws-credentials');
    assert.match(String(aws.with['role-to-assume']), /vars\.AWS_ROLE_ARN/);
    const gate = doc.jobs.gate;
    assert.match(String(gate.outputs.cloud), /steps\.cloud\.outputs/);
  });

  it('reads the backend from vars.PULUMI_BACKEND_URL with a file:// fallback', () => {
    assert.match(doc.env.PULUMI_BACKEND_URL, /vars\.PULUMI_BACKEND_URL\s*\|\|\s*'file:\/\//);
  });
});

describe('main.yml', () => {
  const { doc } = loadWorkflow('main.yml');

  it('runs on pushes to main', () => {
    assert.deepEqual(doc.on.push.branches, ['main']);
  });

  it('tests before deploying', () => {
    for (const { jobId, job } of jobs(doc)) {
      if (!(job.steps || []).some(changesStack)) continue;
      assert.ok([].concat(job.needs).includes('verify'), `${jobId} must wait for verify`);
    }
  });

  it('runs pulumi up with the policy pack', () => {
    const ups = steps(doc).filter(({ step }) => actionName(step) === 'pulumi/actions' && step.with?.command === 'up');
    assert.ok(ups.length >= 2, 'dev and production');
    for (const { jobId, step } of ups) {
      assert.equal(step.with.policyPacks, 'policies', jobId);
      const expected = jobId === 'deploy-dev' ? 'policies/config/dev.json' : 'policies/config/production.json';
      assert.equal(step.with.policyPackConfigs, expected, jobId);
    }
  });

  it('updates dev automatically, after its own guard', () => {
    const job = doc.jobs['deploy-dev'];
    const up = job.steps.find((s) => actionName(s) === 'pulumi/actions');
    assert.equal(up.with['stack-name'], 'dev');
    const guardIndex = job.steps.findIndex((s) => s.id === 'guard');
    assert.ok(guardIndex >= 0 && guardIndex < job.steps.indexOf(up), 'guard before up');
    assert.match(runOf(job.steps[guardIndex]), /kilonode:production/);
    assert.match(String(up.if), /steps\.guard\.outputs\.verified\s*==\s*'true'/);
  });

  it('updates production stacks only through the production environment', () => {
    for (const { jobId, job } of jobs(doc)) {
      for (const step of job.steps || []) {
        if (!changesStack(step)) continue;
        const stack = String(step.with?.['stack-name'] ?? '');
        if (stack === 'dev') continue;
        assert.equal(environmentName(job), 'production', `${jobId} updates ${stack || 'a stack'} outside the production environment`);
      }
    }
    const prod = doc.jobs['deploy-production'];
    assert.equal(environmentName(prod), 'production');
    assert.match(JSON.stringify(prod.strategy.matrix), /needs\.gate\.outputs\.production/);
    assert.equal(prod.strategy['max-parallel'], 1);
  });

  it('sorts prod and kilonode:production stacks into the production list', () => {
    const script = runOf(doc.jobs.gate.steps.find((s) => s.id === 'stacks'));
    assert.match(script, /kilonode:production/);
    assert.match(script, /prod\|production/);
  });
});

describe('cost-control.yml', () => {
  const { doc } = loadWorkflow('cost-control.yml');

  it('offers workflow_dispatch (stack, destroy|park) and a daily schedule', () => {
    const inputs = doc.on.workflow_dispatch.inputs;
    assert.equal(inputs.stack.required, true);
    assert.equal(inputs.action.type, 'choice');
    assert.deepEqual([...inputs.action.options].sort(), ['destroy', 'park']);
    assert.ok(Array.isArray(doc.on.schedule) && doc.on.schedule.length === 1);
    const fields = doc.on.schedule[0].cron.trim().split(/\s+/);
    assert.equal(fields.length, 5);
    assert.deepEqual(fields.slice(2), ['*', '*', '*'], 'once a day');
  });

  it('has a production guard for the manual run and for the schedule', () => {
    const select = doc.jobs.select;
    const manual = select.steps.find((s) => s.id === 'manual');
    const expired = select.steps.find((s) => s.id === 'expired');
    for (const [label, step] of [['manual', manual], ['schedule', expired]]) {
      assert.ok(step, `${label} guard step`);
      assert.match(step.name, /^Guard: /);
      assert.match(runOf(step), /kilonode:production/, `${label} reads kilonode:production`);
      assert.match(runOf(step), /prod\|production/, `${label} checks the name`);
    }
    assert.match(runOf(expired), /kilonode:expiresOn/);
    assert.match(runOf(expired), /kilonode:expiryAction/);
  });

  it('checks again in the job that acts, before anything reaches Pulumi or AWS', () => {
    const job = doc.jobs.apply;
    const guardIndex = job.steps.findIndex((s) => s.id === 'guard');
    assert.ok(guardIndex >= 0, 'apply has a guard step');
    const guard = job.steps[guardIndex];
    assert.match(guard.name, /^Guard: /);
    assert.match(runOf(guard), /kilonode:production/);
    assert.match(runOf(guard), /prod\|production/);
    job.steps.forEach((step, i) => {
      const sensitive =
        changesStack(step) ||
        /\bpulumi\b/.test(runOf(step)) ||
        ['pulumi/actions', 'aws-actions/configure-aws-credentials'].includes(actionName(step));
      if (!sensitive) return;
      assert.ok(i > guardIndex, `step ${i} runs before the guard`);
      assert.match(String(step.if), /steps\.guard\.outputs\.verified\s*==\s*'true'/, `step ${i} (${step.name}) is not gated on the guard`);
    });
  });

  it('destroys with pulumi destroy --yes and parks with kilonode:parked, never changing workerCount', () => {
    const scripts = doc.jobs.apply.steps.map(runOf).join('\n');
    assert.match(scripts, /pulumi destroy --stack "\$STACK" --yes/);
    assert.match(scripts, /pulumi config set --stack "\$STACK" kilonode:parked true/);
    // workerCount sizes the control plane (tuning tier, etcd quota): parking must not touch it.
    const configCommands = scripts.split('\n').filter((l) => /pulumi config (set|rm)/.test(l) && !/^\s*#/.test(l));
    assert.ok(configCommands.length > 0);
    for (const line of configCommands) {
      assert.doesNotMatch(line, /kilonode:(workerCount|masterCount|masterInstanceType|workerGroups)\b/, line);
    }
    assert.match(scripts, /pulumi up --stack "\$STACK" --yes[^\n]*\\\n\s*--policy-pack policies --policy-pack-config policies\/config\/dev\.json/);
    const cli = doc.jobs.apply.steps.filter((s) => actionName(s) === 'pulumi/actions');
    assert.ok(cli.every((s) => s.with?.command === undefined), 'pulumi/actions only installs the CLI here');
  });

  it('acts only when the selection guard produced targets', () => {
    assert.deepEqual([].concat(doc.jobs.apply.needs), ['select']);
    assert.match(String(doc.jobs.apply.if), /needs\.select\.outputs\.targets != '\[\]'/);
    assert.match(JSON.stringify(doc.jobs.apply.strategy.matrix), /needs\.select\.outputs\.targets/);
  });
});
