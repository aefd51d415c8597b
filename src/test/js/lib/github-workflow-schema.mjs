// The GitHub workflow JSON schema (SchemaStore's github-workflow.json) and two validators built on it.
//
// Only the npm registry is reachable from the build, so the schema cannot be downloaded from
// SchemaStore at test time. @action-validator/core (exact version in package.json) compiles
// SchemaStore's github-workflow.json and github-action.json verbatim into its WebAssembly module:
//   - validateWithActionValidator() uses the package's own API (validateWorkflow);
//   - loadWorkflowSchema() takes the embedded JSON document out of the module's data section, so
//     that Ajv can check the same schema independently and report errors with plain JSON paths.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import Ajv from 'ajv';

const require = createRequire(import.meta.url);
const actionValidator = require('@action-validator/core');

export const WORKFLOW_SCHEMA_ID = 'https://json.schemastore.org/github-workflow.json';

/** Reads the github-workflow.json document embedded in @action-validator/core's wasm module. */
export function loadWorkflowSchema() {
  const wasmPath = require.resolve('@action-validator/core/action_validator_bg.wasm');
  const bytes = readFileSync(wasmPath);
  const marker = Buffer.from(`"$id": "${WORKFLOW_SCHEMA_ID}"`);
  const at = bytes.indexOf(marker);
  if (at < 0) {
    throw new Error(`${WORKFLOW_SCHEMA_ID} not found in ${wasmPath}`);
  }
  // The document is pretty-printed and starts with "{\n" right before its first key.
  const start = bytes.lastIndexOf(Buffer.from('{\n'), at);
  if (start < 0) {
    throw new Error('start of the embedded workflow schema not found');
  }
  // Walk to the matching closing brace, skipping braces inside JSON strings.
  let depth = 0;
  let inString = false;
  let escaped = false;
  for (let i = start; i < bytes.length; i++) {
    const c = bytes[i];
    if (inString) {
      if (escaped) escaped = false;
      else if (c === 0x5c) escaped = true; // backslash
      else if (c === 0x22) inString = false; // quote
      continue;
    }
    if (c === 0x22) inString = true;
    else if (c === 0x7b) depth++; // {
    else if (c === 0x7d) {
      depth--; // }
      if (depth === 0) {
        const schema = JSON.parse(bytes.subarray(start, i + 1).toString('utf8'));
        if (schema.$id !== WORKFLOW_SCHEMA_ID) {
          throw new Error(`embedded schema has $id ${schema.$id}`);
        }
        return schema;
      }
    }
  }
  throw new Error('end of the embedded workflow schema not found');
}

let compiled;

/** Validates a parsed workflow with Ajv against SchemaStore's github-workflow.json. */
export function validateWithAjv(workflow) {
  if (!compiled) {
    const ajv = new Ajv({ allErrors: true, strict: false, validateFormats: false });
    compiled = ajv.compile(loadWorkflowSchema());
  }
  const ok = compiled(workflow);
  return ok ? [] : compiled.errors.map(formatAjvError);
}

function formatAjvError(e) {
  const where = e.instancePath || '/';
  const extra = e.params && Object.keys(e.params).length ? ` ${JSON.stringify(e.params)}` : '';
  return `${where}: ${e.message}${extra}`;
}

/** Validates workflow source text with @action-validator/core; returns flattened error lines. */
export function validateWithActionValidator(source) {
  const state = actionValidator.validateWorkflow(source);
  const lines = [];
  flatten(state.errors, lines);
  return lines;
}

// oneOf/anyOf failures nest the errors of every alternative under `states`; keep the leaves.
function flatten(errors, out) {
  for (const e of errors || []) {
    const nested = (e.states || []).flatMap((s) => s.errors || []);
    if (nested.length) {
      flatten(nested, out);
    } else {
      const where = e.path ?? (e.location ? `line ${e.location.line}, column ${e.location.column}` : '');
      out.push(`${where}: ${e.title}${e.detail ? ` (${e.detail})` : ''} [${e.code}]`);
    }
  }
}
