// Runs the guard scripts of the workflows, as written in the YAML, against fixture stack files:
// production must be refused or skipped whatever the path to it (name, flag, quoted flag,
// missing or unreadable file), and ordinary stacks must go through.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { findStep, loadWorkflow, runOf } from '../../lib/workflows.mjs';
import { fixtureDir, runStep, yqProviders } from '../../lib/run-step.mjs';

const STACKS = {
  'Pulumi.dev.yaml': 'encryptionsalt: v1:abc\nconfig:\n  aws:region: us-east-1\n  kilonode:workerCount: "3"\n  kilonode:production: false\n',
  'Pulumi.scale.yaml': 'config:\n  kilonode:workerCount: "1000"\n  kilonode:expiresOn: "2000-01-31"\n  kilonode:expiryAction: destroy\n',
  'Pulumi.parkme.yaml': 'config:\n  kilonode:expiresOn: 2001-02-03\n',
  'Pulumi.later.yaml': 'config:\n  kilonode:expiresOn: "2999-12-31"\n  kilonode:expiryAction: destroy\n',
  'Pulumi.prod.yaml': 'config:\n  kilonode:expiresOn: "2000-01-01"\n  kilonode:expiryAction: destroy\n',
  'Pulumi.critical.yaml': 'config:\n  kilonode:production: true\n  kilonode:expiresOn: "2000-01-01"\n  kilonode:expiryAction: destroy\n',
  'Pulumi.quoted.yaml': 'config:\n  kilonode:production: "true"\n  kilonode:expiresOn: "2000-01-01"\n',
  'Pulumi.eu-prod.yaml': 'config:\n  kilonode:expiresOn: "2000-01-01"\n  kilonode:expiryAction: destroy\n',
  'Pulumi.noexpiry.yaml': 'config:\n  aws:region: us-east-1\n',
  'Pulumi.baddate.yaml': 'config:\n  kilonode:expiresOn: "31/12/2000"\n',
  'Pulumi.badaction.yaml': 'config:\n  kilonode:expiresOn: "2000-01-01"\n  kilonode:expiryAction: nuke\n',
};
const ODD = { ...STACKS, 'Pulumi.odd.yaml': 'config:\n  kilonode:production: maybe\n' };
const DEV_IS_PRODUCTION = { 'Pulumi.dev.yaml': 'config:\n  kilonode:production: true\n', 'Pulumi.scale.yaml': 'config: {}\n' };
const DEV_EXPIRED = { 'Pulumi.dev.yaml': 'config:\n  kilonode:expiresOn: "2000-01-01"\n  kilonode:expiryAction: destroy\n' };
const PRODUCTION_STACKS = ['critical', 'eu-prod', 'prod', 'quoted'];

const costControl = loadWorkflow('cost-control.yml').doc;
const main = loadWorkflow('main.yml').doc;
const manualGuard = runOf(findStep(costControl, 'select', 'manual'));
const scheduleGuard = runOf(findStep(costControl, 'select', 'expired'));
const applyGuard = runOf(findStep(costControl, 'apply', 'guard'));
const gateSort = runOf(findStep(main, 'gate', 'stacks'));
const devGuard = runOf(findStep(main, 'deploy-dev', 'guard'));
const previewList = runOf(findStep(loadWorkflow('pull-request.yml').doc, 'gate', 'stacks'));

const stacksDir = fixtureDir(STACKS);
const oddDir = fixtureDir(ODD);
const devProdDir = fixtureDir(DEV_IS_PRODUCTION);
const devExpiredDir = fixtureDir(DEV_EXPIRED);

function explain(r) {
  return `exit ${r.status}${r.error ? ` (${r.error.message})` : ''}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`;
}

for (const yq of yqProviders()) {
  describe(`guard scripts with ${yq.name}`, () => {
    describe('cost-control: manual run (select job)', () => {
      const run = (env, cwd = stacksDir) => runStep(manualGuard, { cwd, env: { CONFIRM: '', ...env }, pathPrefix: yq.pathPrefix });

      it('lets a non-production stack be parked', () => {
        const r = run({ STACK: 'dev', ACTION: 'park' });
        assert.equal(r.status, 0, explain(r));
        assert.deepEqual(JSON.parse(r.outputs.targets), [{ stack: 'dev', action: 'park' }]);
      });

      it('destroys only with the stack name confirmed', () => {
        const refused = run({ STACK: 'scale', ACTION: 'destroy' });
        assert.notEqual(refused.status, 0, explain(refused));
        assert.equal(refused.outputs.targets, undefined);
        const ok = run({ STACK: 'scale', ACTION: 'destroy', CONFIRM: 'scale' });
        assert.equal(ok.status, 0, explain(ok));
        assert.deepEqual(JSON.parse(ok.outputs.targets), [{ stack: 'scale', action: 'destroy' }]);
      });

      for (const stack of [...PRODUCTION_STACKS, 'production', 'PROD', 'prod-eu']) {
        for (const action of ['park', 'destroy']) {
          it(`refuses to ${action} ${stack}`, () => {
            const r = run({ STACK: stack, ACTION: action, CONFIRM: stack });
            assert.notEqual(r.status, 0, explain(r));
            assert.equal(r.outputs.targets, undefined);
          });
        }
      }

      it('refuses a stack without a stack file, an odd flag, a bad name or action', () => {
        for (const [env, cwd] of [
          [{ STACK: 'ghost', ACTION: 'park' }, stacksDir],
          [{ STACK: 'odd', ACTION: 'park' }, oddDir],
          [{ STACK: 'dev; rm -rf /', ACTION: 'park' }, stacksDir],
          [{ STACK: '../dev', ACTION: 'park' }, stacksDir],
          [{ STACK: 'dev', ACTION: 'nuke' }, stacksDir],
        ]) {
          const r = run(env, cwd);
          assert.notEqual(r.status, 0, `${JSON.stringify(env)}: ${explain(r)}`);
          assert.equal(r.outputs.targets, undefined);
        }
      });
    });

    describe('cost-control: schedule (select job)', () => {
      it('parks or destroys the expired non-production stacks only', () => {
        const r = runStep(scheduleGuard, { cwd: stacksDir, pathPrefix: yq.pathPrefix });
        assert.equal(r.status, 0, explain(r));
        const targets = JSON.parse(r.outputs.targets);
        const byStack = Object.fromEntries(targets.map((t) => [t.stack, t.action]));
        assert.deepEqual(byStack, { scale: 'destroy', parkme: 'park' }, explain(r));
        for (const stack of PRODUCTION_STACKS) {
          assert.ok(!(stack in byStack), `${stack} is production`);
        }
      });

      it('stops when it cannot tell whether a stack is production', () => {
        const r = runStep(scheduleGuard, { cwd: oddDir, pathPrefix: yq.pathPrefix });
        assert.notEqual(r.status, 0, explain(r));
        assert.equal(r.outputs.targets, undefined);
      });

      it('does nothing without stack files', () => {
        const r = runStep(scheduleGuard, { cwd: fixtureDir({}), pathPrefix: yq.pathPrefix });
        assert.equal(r.status, 0, explain(r));
        assert.deepEqual(JSON.parse(r.outputs.targets), []);
      });
    });

    describe('cost-control: second guard (apply job)', () => {
      const run = (env, cwd = stacksDir) => runStep(applyGuard, { cwd, env, pathPrefix: yq.pathPrefix });

      it('verifies a non-production stack', () => {
        for (const [stack, action] of [['dev', 'park'], ['scale', 'destroy']]) {
          const r = run({ STACK: stack, ACTION: action });
          assert.equal(r.status, 0, explain(r));
          assert.equal(r.outputs.verified, 'true');
        }
      });

      for (const stack of [...PRODUCTION_STACKS, 'production', 'ghost']) {
        it(`refuses ${stack}`, () => {
          const r = run({ STACK: stack, ACTION: 'destroy' });
          assert.notEqual(r.status, 0, explain(r));
          assert.equal(r.outputs.verified, undefined);
        });
      }

      it('refuses an odd production flag', () => {
        const r = run({ STACK: 'odd', ACTION: 'park' }, oddDir);
        assert.notEqual(r.status, 0, explain(r));
        assert.equal(r.outputs.verified, undefined);
      });
    });

    describe('main: sorting the stacks (gate job)', () => {
      it('deploys dev automatically and sends production stacks to the environment', () => {
        const r = runStep(gateSort, { cwd: stacksDir, pathPrefix: yq.pathPrefix });
        assert.equal(r.status, 0, explain(r));
        assert.equal(r.outputs.dev, 'true');
        assert.deepEqual(JSON.parse(r.outputs.production).sort(), PRODUCTION_STACKS);
      });

      it('treats a dev stack flagged production as production', () => {
        const r = runStep(gateSort, { cwd: devProdDir, pathPrefix: yq.pathPrefix });
        assert.equal(r.status, 0, explain(r));
        assert.equal(r.outputs.dev, 'false');
        assert.deepEqual(JSON.parse(r.outputs.production), ['dev']);
      });

      it('leaves an expired dev stack to cost-control', () => {
        const r = runStep(gateSort, { cwd: devExpiredDir, pathPrefix: yq.pathPrefix });
        assert.equal(r.status, 0, explain(r));
        assert.equal(r.outputs.dev, 'false');
        assert.deepEqual(JSON.parse(r.outputs.production), []);
      });

      it('stops on a flag it cannot read', () => {
        const r = runStep(gateSort, { cwd: oddDir, pathPrefix: yq.pathPrefix });
        assert.notEqual(r.status, 0, explain(r));
      });
    });

    describe('pull-request: stacks to preview (gate job)', () => {
      it('previews production stacks with the production policy configuration', () => {
        const r = runStep(previewList, { cwd: stacksDir, pathPrefix: yq.pathPrefix });
        assert.equal(r.status, 0, explain(r));
        const configs = Object.fromEntries(JSON.parse(r.outputs.json).map((e) => [e.stack, e.policyConfig]));
        const expected = {};
        for (const name of Object.keys(STACKS)) {
          const stack = name.slice('Pulumi.'.length, -'.yaml'.length);
          expected[stack] = `policies/config/${PRODUCTION_STACKS.includes(stack) ? 'production' : 'dev'}.json`;
        }
        assert.deepEqual(configs, expected);
      });

      it('stops on a flag it cannot read', () => {
        const r = runStep(previewList, { cwd: oddDir, pathPrefix: yq.pathPrefix });
        assert.notEqual(r.status, 0, explain(r));
      });
    });

    describe('main: dev guard (deploy-dev job)', () => {
      it('passes an ordinary dev stack', () => {
        const r = runStep(devGuard, { cwd: stacksDir, env: { STACK: 'dev' }, pathPrefix: yq.pathPrefix });
        assert.equal(r.status, 0, explain(r));
        assert.equal(r.outputs.verified, 'true');
      });

      it('stops a dev stack flagged production', () => {
        const r = runStep(devGuard, { cwd: devProdDir, env: { STACK: 'dev' }, pathPrefix: yq.pathPrefix });
        assert.notEqual(r.status, 0, explain(r));
        assert.equal(r.outputs.verified, undefined);
      });
    });
  });
}
