// Loading .github/workflows/*.yml and walking their jobs and steps.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';

// src/test/js/lib -> repository root
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..');
export const WORKFLOW_DIR = join(REPO_ROOT, '.github', 'workflows');

/** Every workflow file: { file, path, source, doc } (doc = parsed YAML, duplicate keys rejected). */
export function loadWorkflows() {
  return readdirSync(WORKFLOW_DIR)
    .filter((f) => /\.ya?ml$/.test(f))
    .sort()
    .map((file) => {
      const path = join(WORKFLOW_DIR, file);
      const source = readFileSync(path, 'utf8');
      const parsed = YAML.parseDocument(source, { uniqueKeys: true, prettyErrors: true });
      if (parsed.errors.length) {
        throw new Error(`${file}: ${parsed.errors.map((e) => e.message).join('\n')}`);
      }
      return { file, path, source, doc: parsed.toJS() };
    });
}

export function loadWorkflow(file) {
  const wf = loadWorkflows().find((w) => w.file === file);
  if (!wf) throw new Error(`.github/workflows/${file} not found`);
  return wf;
}

/** [{ jobId, job }] */
export function jobs(doc) {
  return Object.entries(doc.jobs || {}).map(([jobId, job]) => ({ jobId, job }));
}

/** [{ jobId, job, index, step }] over every job. */
export function steps(doc) {
  return jobs(doc).flatMap(({ jobId, job }) =>
    (job.steps || []).map((step, index) => ({ jobId, job, index, step })),
  );
}

/** Every `uses:` of the workflow: steps and reusable-workflow jobs. [{ where, uses }] */
export function usesRefs(doc) {
  const refs = [];
  for (const { jobId, job } of jobs(doc)) {
    if (job.uses) refs.push({ where: `jobs.${jobId}.uses`, uses: job.uses });
    (job.steps || []).forEach((step, i) => {
      if (step.uses) refs.push({ where: `jobs.${jobId}.steps[${i}]`, uses: step.uses });
    });
  }
  return refs;
}

/** The action name of a step's `uses` without its ref, e.g. "pulumi/actions". */
export function actionName(step) {
  return typeof step.uses === 'string' ? step.uses.split('@')[0] : undefined;
}

const FULL_VERSION_TAG = /^v?\d+\.\d+\.\d+$/;
const COMMIT_SHA = /^[0-9a-f]{40}$/;

/**
 * Why a `uses:` value is not pinned, or null when it is: owner/repo[/path]@<full version tag or
 * commit SHA>, a local ./path, or docker://image@sha256:<digest> / docker://image:<x.y.z>.
 */
export function pinProblem(uses) {
  if (typeof uses !== 'string' || uses.trim() === '') return 'empty uses';
  if (uses.startsWith('./')) return null;
  if (uses.startsWith('docker://')) {
    if (/@sha256:[0-9a-f]{64}$/.test(uses) || /:v?\d+\.\d+\.\d+$/.test(uses)) return null;
    return 'docker image without a digest or full version tag';
  }
  const m = /^([A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+(?:\/[^@]+)?)@(.+)$/.exec(uses);
  if (!m) return 'not owner/repo@ref';
  const ref = m[2];
  if (FULL_VERSION_TAG.test(ref) || COMMIT_SHA.test(ref)) return null;
  return `ref "${ref}" is a branch or a moving tag, not a full version tag (vX.Y.Z) or commit SHA`;
}

/** Normalises `environment:` (string or { name }) to its name, or undefined. */
export function environmentName(job) {
  if (!job.environment) return undefined;
  return typeof job.environment === 'string' ? job.environment : job.environment.name;
}

/** The text of a step's run script, or ''. */
export function runOf(step) {
  return typeof step.run === 'string' ? step.run : '';
}

/** Finds a step by id (or by exact name). */
export function findStep(doc, jobId, idOrName) {
  const job = doc.jobs?.[jobId];
  if (!job) throw new Error(`job ${jobId} not found`);
  const step = (job.steps || []).find((s) => s.id === idOrName || s.name === idOrName);
  if (!step) throw new Error(`step ${idOrName} not found in job ${jobId}`);
  return step;
}

/** True when the step (action or script) runs a Pulumi command that changes a stack. */
export function changesStack(step) {
  if (actionName(step) === 'pulumi/actions') {
    const command = step.with?.command;
    return ['up', 'update', 'destroy', 'refresh'].includes(command);
  }
  // A command at the start of a line or after ; && || | ( - not a mention inside an echo.
  return /(?:^|[;&|(])[ \t]*pulumi\s+(up|update|destroy|refresh|config\s+set)\b/m.test(runOf(step));
}
