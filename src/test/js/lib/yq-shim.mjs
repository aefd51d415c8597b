#!/usr/bin/env node
// A stand-in for `yq` in tests, for machines without it. It understands exactly the one form the
// workflows use, `yq -r '.config["<key>"] // ""' <file>`, and prints what mikefarah/yq v4 (on the
// GitHub runners) and kislyuk/yq (Debian's package) print for it: the scalar, or nothing when the
// key is missing, null or false. Anything else exits 2, so a workflow that starts using another
// yq expression fails its tests instead of being checked against a guess.
import { readFileSync } from 'node:fs';
import YAML from 'yaml';

const args = process.argv.slice(2).filter((a) => a !== '-r');
const [expr, file] = args;
const m = /^\.config\["([^"]+)"\] \/\/ ""$/.exec(expr ?? '');
if (!m || !file || args.length !== 2) {
  process.stderr.write(`yq-shim: unsupported invocation: ${process.argv.slice(2).join(' ')}\n`);
  process.exit(2);
}
let doc;
try {
  doc = YAML.parse(readFileSync(file, 'utf8'));
} catch (e) {
  process.stderr.write(`yq-shim: ${file}: ${e.message}\n`);
  process.exit(1);
}
const value = doc?.config?.[m[1]];
process.stdout.write(value === undefined || value === null || value === false ? '\n' : `${String(value)}\n`);
