// Every .github/workflows/*.yml must satisfy SchemaStore's github-workflow.json, checked by two
// independent validators (see lib/github-workflow-schema.mjs for where the schema comes from).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import YAML from 'yaml';
import {
  WORKFLOW_SCHEMA_ID,
  loadWorkflowSchema,
  validateWithActionValidator,
  validateWithAjv,
} from '../../lib/github-workflow-schema.mjs';
import { loadWorkflows } from '../../lib/workflows.mjs';

const workflows = loadWorkflows();

describe('GitHub workflow JSON schema', () => {
  it('finds the workflow files', () => {
    const names = workflows.map((w) => w.file);
    for (const expected of ['cost-control.yml', 'main.yml', 'pull-request.yml']) {
      assert.ok(names.includes(expected), `${expected} missing from .github/workflows (found ${names.join(', ')})`);
    }
  });

  it('loads SchemaStore github-workflow.json from @action-validator/core', () => {
    const schema = loadWorkflowSchema();
    assert.equal(schema.$id, WORKFLOW_SCHEMA_ID);
    for (const key of ['on', 'jobs', 'permissions', 'concurrency']) {
      assert.ok(schema.properties[key], `schema has no top-level "${key}"`);
    }
  });

  for (const { file, source, doc } of workflows) {
    describe(file, () => {
      it('is valid for @action-validator/core', () => {
        const errors = validateWithActionValidator(source);
        assert.deepEqual(errors, [], `${file} does not match the workflow schema:\n  ${errors.join('\n  ')}`);
      });

      it('is valid for Ajv against github-workflow.json', () => {
        const errors = validateWithAjv(doc);
        assert.deepEqual(errors, [], `${file} does not match the workflow schema:\n  ${errors.join('\n  ')}`);
      });
    });
  }

  // Control: the validators must reject a broken workflow, or the checks above prove nothing.
  describe('rejects a broken workflow', () => {
    const broken = `name: broken
on:
  push:
    branches: [main]
jobs:
  build:
    runs-on: ubuntu-24.04
    permissions:
      contents: reed
    steps:
      - uses: actions/checkout@v7.0.1
        run: echo both uses and run
      - colour: blue
`;
    it('@action-validator/core reports errors', () => {
      assert.ok(validateWithActionValidator(broken).length > 0);
    });
    it('Ajv reports errors', () => {
      const errors = validateWithAjv(YAML.parse(broken));
      assert.ok(errors.length > 0);
      assert.ok(errors.some((e) => e.startsWith('/jobs/build')), errors.join('\n'));
    });
  });
});
