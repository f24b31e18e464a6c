/*
 * Stops at once, with the fix, when this Node is older than package.json's "engines": on Node 20 the
 * project's own code fails later and obscurely (`Map.groupBy is not a function`, `.ts` not runnable).
 * Run as the first command of `npm test`, `npm run scenarios`, `npm run up`, ... and as the preinstall script.
 *
 * Plain CommonJS in ES5 on purpose: it must parse and run on whatever old Node a person has.
 * Exit codes: 0 this Node is new enough (prints nothing), 1 too old (message on stderr).
 */
'use strict';

var fs = require('fs');
var path = require('path');

var ROOT = path.join(__dirname, '..', '..');

/** "22.22.0" or "v22.22.0" -> [22, 22, 0]; missing parts count as 0. */
function parseVersion(text) {
  var match = /^v?(\d+)(?:\.(\d+))?(?:\.(\d+))?/.exec(String(text).trim());
  if (!match) throw new Error('not a Node version: "' + text + '"');
  return [Number(match[1]), Number(match[2] || 0), Number(match[3] || 0)];
}

/** The minimum of an engines range of the only form this project uses, ">=22.22". */
function minimumOf(range) {
  var match = /^>=\s*(\d+(?:\.\d+){0,2})$/.exec(String(range).trim());
  if (!match) throw new Error('package.json engines.node is "' + range + '": harness/core/node-version.cjs understands only ">=X.Y[.Z]"');
  return match[1];
}

function atLeast(version, minimum) {
  var v = parseVersion(version);
  var m = parseVersion(minimum);
  for (var i = 0; i < 3; i++) {
    if (v[i] !== m[i]) return v[i] > m[i];
  }
  return true;
}

function readText(file) {
  return fs.readFileSync(path.join(ROOT, file), 'utf8');
}

/** What the project asks for: the engines minimum, and the version .nvmrc recommends. */
function requirements() {
  return {
    minimum: minimumOf(JSON.parse(readText('package.json')).engines.node),
    recommended: readText('.nvmrc').trim(),
  };
}

/** The message for a Node that is too old: the version needed, and how to get it with a version manager or with npm alone. */
function tooOldMessage(current, req) {
  var major = req.recommended.split('.')[0];
  return (
    'This project needs Node >= ' + req.minimum + ' (package.json "engines"), but this is Node ' + current + '.\n' +
    'Switch to Node ' + major + ' (.nvmrc) in this folder: `nvm install`, `fnm use --install-if-missing` or `volta install node@' + major + '`,\n' +
    'then run your command again; or, with only npm, run each command once through Node ' + major + ' from the npm registry:\n' +
    '  npx -y node@' + major + ' "$(command -v npm)" ci\n' +
    '  npx -y node@' + major + ' "$(command -v npm)" test'
  );
}

/** The verdict for a Node version (pure: version and requirements in). */
function checkNode(current, req) {
  var ok = atLeast(current, req.minimum);
  return { ok: ok, current: current, minimum: req.minimum, recommended: req.recommended, message: ok ? undefined : tooOldMessage(current, req) };
}

module.exports = { parseVersion: parseVersion, minimumOf: minimumOf, atLeast: atLeast, requirements: requirements, checkNode: checkNode };

if (require.main === module) {
  var verdict = checkNode(process.version, requirements());
  if (!verdict.ok) {
    process.stderr.write(verdict.message + '\n');
    process.exit(1);
  }
}
