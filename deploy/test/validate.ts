// Offline validation of rendered Kubernetes objects against the API's schemas (kubernetes-models), strictly:
// its compiled validators check types, required fields and formats but accept unknown fields, which the API
// server rejects (or drops) and which is where a typo hides (`readinessProb`). So the object is validated
// through a Proxy that records which fields the validator looked at; a field it never read is not in the schema.
// A map-like field (labels, ConfigMap data) is enumerated by the validator, which marks all its keys read.

export type K8sObject = { apiVersion: string; kind: string; metadata: { name: string } } & Record<
  string,
  unknown
>;

type Validate = (data: unknown) => void;

// One import per API group version, one after another: concurrent first imports of modules that share
// dependencies fail in Jest's ESM loader ("request for './model.mjs' is not in cache").
const modules = new Map<string, Promise<Record<string, unknown>>>();
let importing: Promise<unknown> = Promise.resolve();

function load(apiVersion: string): Promise<Record<string, unknown>> {
  let mod = modules.get(apiVersion);
  if (!mod) {
    mod = importing.then(() => import(`kubernetes-models/${apiVersion}`) as Promise<Record<string, unknown>>);
    importing = mod.catch(() => undefined);
    modules.set(apiVersion, mod);
  }
  return mod;
}

async function validatorOf(apiVersion: string, kind: string): Promise<Validate | undefined> {
  const mod = await load(apiVersion).catch(() => ({}) as Record<string, unknown>);
  const model = mod[kind] as { prototype: { validate(this: unknown): void } } | undefined;
  return model && ((data) => model.prototype.validate.call(data));
}

/**
 * What the API server decodes: kustomize wraps a Secret's long base64 values over lines, which Go's decoder
 * ignores and the schema's `byte` format does not.
 */
function asDecoded(obj: K8sObject): K8sObject {
  if (obj.kind !== 'Secret' || !obj.data) return obj;
  const data = Object.entries(obj.data as Record<string, string>).map(([k, v]) => [
    k,
    v.replace(/[\r\n]/g, ''),
  ]);
  return { ...obj, data: Object.fromEntries(data) };
}

/** Unknown fields as JSON pointers, after running the validator over a recording view of the object. */
function unknownFields(obj: object, validate: Validate): string[] {
  // Per object: the keys the validator read, or 'all' once it enumerated them.
  const read = new Map<object, Set<string | symbol> | 'all'>();
  const view = (o: unknown): unknown => {
    if (!o || typeof o !== 'object') return o;
    if (!read.has(o)) read.set(o, new Set());
    const note = (t: object, k: string | symbol) => {
      const keys = read.get(t);
      if (keys !== 'all') keys?.add(k);
    };
    return new Proxy(o, {
      get: (t, k) => (note(t, k), view(Reflect.get(t, k))),
      has: (t, k) => (note(t, k), Reflect.has(t, k)),
      ownKeys: (t) => (read.set(t, 'all'), Reflect.ownKeys(t)),
    });
  };
  validate(view(obj));
  const unknown: string[] = [];
  const walk = (o: unknown, path: string) => {
    if (!o || typeof o !== 'object') return;
    const keys = read.get(o);
    for (const [k, v] of Object.entries(o)) {
      if (!Array.isArray(o) && keys !== 'all' && !keys?.has(k)) unknown.push(`${path}/${k}`);
      else walk(v, `${path}/${k}`);
    }
  };
  walk(obj, '');
  return unknown;
}

/** Problems of one object, in words; none when it is valid for Kubernetes 1.27+. */
export async function validateObject(obj: K8sObject): Promise<string[]> {
  const name = `${obj.kind}/${obj.metadata?.name}`;
  const validate = await validatorOf(obj.apiVersion, obj.kind);
  if (!validate) return [`${name}: no schema for ${obj.apiVersion} ${obj.kind}`];
  const decoded = asDecoded(obj);
  try {
    validate(decoded);
  } catch (err) {
    return [`${name}: ${(err as Error).message}`];
  }
  return unknownFields(decoded, validate).map((path) => `${name}: unknown field ${path}`);
}
