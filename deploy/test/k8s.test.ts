// k8s/: the base and each overlay render with kustomize (no warnings), every object validates offline, and
// the rules that matter hold in what would be applied. The renderer and validator: see tools.ts.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { UpstreamsFile } from '../../apps/gateway-service/src/upstreams/upstream-config.js';
import {
  deployTools,
  gatewayPrefixes,
  gatewayRoutes,
  keyServicePrefixes,
  NATS_IDENTITIES,
  NATS_USER_OF,
  ROOT,
  run,
  SERVICES,
} from './tools.js';
import { type K8sObject, validateObject } from './validate.js';

const TARGETS = ['base', 'overlays/local', 'overlays/production'] as const;
type Target = (typeof TARGETS)[number];

function render(target: Target) {
  const [cmd, ...args] = deployTools().kustomize;
  const res = run(cmd, [...args, join(ROOT, 'k8s', target)]);
  if (res.status !== 0) throw new Error(`kustomize ${target}: ${res.stderr}`);
  const objects = parseAllDocuments(res.stdout).map((d) => d.toJS() as K8sObject);
  return { objects, warnings: res.stderr.trim() };
}

const rendered = Object.fromEntries(TARGETS.map((t) => [t, render(t)])) as Record<
  Target,
  ReturnType<typeof render>
>;
const local = rendered['overlays/local'].objects;
const production = rendered['overlays/production'].objects;

// The figures for the record: how many objects each target renders, and of which kinds.
console.log(
  TARGETS.map((t) => {
    const kinds = new Map<string, number>();
    for (const o of rendered[t].objects) kinds.set(o.kind, (kinds.get(o.kind) ?? 0) + 1);
    const byKind = [...kinds].map(([k, n]) => `${k} ${n}`).join(', ');
    return `k8s/${t}: ${rendered[t].objects.length} objects (${byKind})`;
  }).join('\n'),
);

type Container = {
  name: string;
  image: string;
  imagePullPolicy?: string;
  ports?: { name?: string; containerPort: number }[];
  env?: {
    name: string;
    value?: string;
    valueFrom?: { secretKeyRef?: { name: string; key: string; optional?: boolean } };
  }[];
  envFrom?: {
    configMapRef?: { name: string; optional?: boolean };
    secretRef?: { name: string; optional?: boolean };
  }[];
  livenessProbe?: { httpGet?: { path: string; port: string | number } };
  readinessProbe?: { httpGet?: { path: string; port: string | number } };
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  securityContext?: {
    readOnlyRootFilesystem?: boolean;
    allowPrivilegeEscalation?: boolean;
    capabilities?: { drop?: string[] };
  };
};
type PodSpec = {
  containers: Container[];
  initContainers?: Container[];
  securityContext?: { runAsNonRoot?: boolean; runAsUser?: number; seccompProfile?: { type: string } };
  terminationGracePeriodSeconds?: number;
  affinity?: unknown;
  volumes?: { name: string; configMap?: { name: string }; persistentVolumeClaim?: { claimName: string } }[];
};
type PodTemplate = {
  metadata: { labels: Record<string, string>; annotations?: Record<string, string> };
  spec: PodSpec;
};
type Workload = K8sObject & { spec: { replicas?: number; template: PodTemplate } };

const find = (objects: K8sObject[], kind: string, name: string) =>
  objects.find((o) => o.kind === kind && o.metadata.name === name);
const workloads = (objects: K8sObject[]) =>
  objects.filter((o) => ['Deployment', 'StatefulSet', 'Job'].includes(o.kind)) as Workload[];
const deployment = (objects: K8sObject[], name: string) => find(objects, 'Deployment', name) as Workload;
const envOf = (c: Container, name: string) => c.env?.find((e) => e.name === name);

/** A setting as the container sees it: its own env first, then the ConfigMaps it loads. */
function setting(objects: K8sObject[], c: Container, name: string): string | undefined {
  const own = envOf(c, name);
  if (own) return own.value;
  for (const from of c.envFrom ?? []) {
    const cm = from.configMapRef && find(objects, 'ConfigMap', from.configMapRef.name);
    const value = (cm?.data as Record<string, string> | undefined)?.[name];
    if (value !== undefined) return value;
  }
  return undefined;
}

describe.each(TARGETS)('k8s/%s', (target) => {
  const { objects, warnings } = rendered[target];

  it('renders without warnings (no deprecated kustomize fields)', () => {
    expect(warnings).toBe('');
    expect(objects.length).toBeGreaterThan(10);
  });

  it('validates every object against the Kubernetes schemas, unknown fields included', async () => {
    const problems = (await Promise.all(objects.map(validateObject))).flat();
    expect(problems).toEqual([]);
  });

  it.each(SERVICES)('%s: probes on the admin port, non-root, hardened, with resources', (name) => {
    const d = deployment(objects, name);
    const pod = d.spec.template.spec;
    const [c] = pod.containers;
    expect(c.ports).toEqual(
      expect.arrayContaining([
        { name: 'http', containerPort: 8080 },
        { name: 'admin', containerPort: 9090 },
      ]),
    );
    expect(c.livenessProbe?.httpGet).toEqual({ path: '/healthz', port: 'admin' });
    expect(c.readinessProbe?.httpGet).toEqual({ path: '/readyz', port: 'admin' });
    expect(pod.securityContext).toMatchObject({
      runAsNonRoot: true,
      runAsUser: 10001,
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(d.spec.template.metadata.annotations).toMatchObject({
      'prometheus.io/scrape': 'true',
      'prometheus.io/port': '9090',
    });
    expect(setting(objects, c, 'ADMIN_PORT')).toBe('9090');
    expect(setting(objects, c, 'PORT')).toBe('8080');
    // Behind the Ingress: the client's address comes from X-Forwarded-For, or every client shares the
    // controller's (one attacker's forged keys would then trip the failed-auth limit for all of them).
    if (name === 'gateway-service' || name === 'key-service')
      expect(setting(objects, c, 'TRUSTED_PROXIES')).toMatch(/\d+\.\d+\.\d+\.\d+\/\d+/);
    // In-flight work gets SHUTDOWN_GRACE_MS after the SHUTDOWN_DELAY_MS of still accepting: the kubelet must
    // wait longer than both before it kills.
    const delay = Number(setting(objects, c, 'SHUTDOWN_DELAY_MS'));
    const grace = Number(setting(objects, c, 'SHUTDOWN_GRACE_MS'));
    expect(delay).toBe(5000);
    // The process exits at most 15 s after the grace (libs/platform handleSignals): the kubelet must wait longer.
    expect(pod.terminationGracePeriodSeconds! * 1000).toBeGreaterThan(delay + grace + 15_000);
    if (name === 'gateway-service') expect(pod.terminationGracePeriodSeconds).toBeGreaterThanOrEqual(130);
    const service = find(objects, 'Service', name) as K8sObject & { spec: { ports: object[] } };
    expect(service.spec.ports).toEqual([
      { name: 'http', port: 8080, targetPort: 'http' },
      { name: 'admin', port: 9090, targetPort: 'admin' },
    ]);
    expect(find(objects, 'PodDisruptionBudget', name)).toBeDefined();
  });

  it('every container of every workload is non-root, read-only, without capabilities, with resources', () => {
    for (const w of workloads(objects)) {
      const pod = w.spec.template.spec;
      expect([w.metadata.name, pod.securityContext?.runAsNonRoot]).toEqual([w.metadata.name, true]);
      for (const c of [...(pod.initContainers ?? []), ...pod.containers]) {
        const where = `${w.kind}/${w.metadata.name} ${c.name}`;
        expect([where, c.securityContext]).toEqual([
          where,
          { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } },
        ]);
        for (const kind of ['requests', 'limits'] as const)
          expect([where, Object.keys(c.resources?.[kind] ?? {}).sort()]).toEqual([where, ['cpu', 'memory']]);
      }
    }
  });

  it('each service connects to NATS as its own identity, and holds no other identity’s password', () => {
    const names = new Map(NATS_IDENTITIES.map((i) => [i.user, i.name]));
    for (const name of SERVICES) {
      const [c] = deployment(objects, name).spec.template.spec.containers;
      const user = NATS_USER_OF[name];
      expect(envOf(c, 'NATS_USER')?.value).toBe(user);
      expect(envOf(c, 'NATS_PASSWORD')?.valueFrom?.secretKeyRef?.key).toBe(
        `NATS_${names.get(user)}_PASSWORD`,
      );
      const natsKeys = (c.env ?? [])
        .map((e) => e.valueFrom?.secretKeyRef?.key)
        .filter((k) => k?.startsWith('NATS_'));
      expect(natsKeys).toHaveLength(1);
      expect(c.envFrom?.some((f) => f.secretRef?.name.startsWith('ai-gateway-nats'))).toBeFalsy();
    }
  });

  it('the Ingress sends each inference route to the gateway and each management prefix to key-service', () => {
    const ingress = find(objects, 'Ingress', 'ai-gateway') as K8sObject & {
      spec: {
        rules: {
          http: {
            paths: { path: string; pathType: string; backend: { service: { name: string; port: object } } }[];
          };
        }[];
      };
    };
    const paths = ingress.spec.rules.flatMap((r) => r.http.paths);
    const routed = (service: string, pathType: string) =>
      paths
        .filter((p) => p.backend.service.name === service && p.pathType === pathType)
        .map((p) => p.path)
        .sort();
    expect(routed('gateway-service', 'Exact')).toEqual(gatewayRoutes());
    expect(routed('gateway-service', 'Prefix')).toEqual(gatewayPrefixes());
    expect(routed('key-service', 'Prefix')).toEqual(keyServicePrefixes());
    expect(paths).toHaveLength(
      gatewayRoutes().length + gatewayPrefixes().length + keyServicePrefixes().length,
    );
    for (const p of paths) expect(p.backend.service.port).toEqual({ name: 'http' });
  });

  it('denies by default, allows DNS, and has each service’s NetworkPolicy', () => {
    const policies = objects.filter((o) => o.kind === 'NetworkPolicy') as (K8sObject & {
      spec: { podSelector: { matchLabels?: Record<string, string> }; policyTypes: string[] };
    })[];
    const deny = find(objects, 'NetworkPolicy', 'default-deny') as (typeof policies)[number];
    expect(deny.spec).toEqual({ podSelector: {}, policyTypes: ['Ingress', 'Egress'] });
    expect(find(objects, 'NetworkPolicy', 'allow-dns')).toBeDefined();
    for (const name of SERVICES) {
      const own = policies.filter((p) => p.spec.podSelector.matchLabels?.['app.kubernetes.io/name'] === name);
      expect([name, own.length]).not.toEqual([name, 0]);
    }
  });
});

describe.each(['overlays/local', 'overlays/production'] as const)('k8s/%s', (target) => {
  const objects = rendered[target].objects;

  it('lets every client of NATS, Postgres and Redis out to it, and labels each service for what it uses', () => {
    const uses: Record<string, string[]> = {
      'key-service': ['nats', 'postgres', 'redis'],
      'auth-service': ['nats', 'redis'],
      'gateway-service': ['nats', 'redis'],
      'metering-service': ['nats', 'postgres', 'redis'],
    };
    for (const [name, servers] of Object.entries(uses)) {
      const labels = deployment(objects, name).spec.template.metadata.labels;
      for (const server of servers)
        expect([name, labels[`ai-gateway/${server}-client`]]).toEqual([name, 'true']);
    }
    for (const server of ['nats', 'postgres', 'redis'])
      expect(find(objects, 'NetworkPolicy', `${server}-clients`)).toBeDefined();
  });

  it('references only ConfigMaps and Secrets that exist, or that the operator creates', () => {
    const operators = target === 'overlays/production' ? ['ai-gateway-secrets', 'ai-gateway-nats'] : [];
    const exists = (kind: string, name: string) => !!find(objects, kind, name) || operators.includes(name);
    for (const w of workloads(objects)) {
      const pod = w.spec.template.spec;
      for (const c of [...(pod.initContainers ?? []), ...pod.containers]) {
        for (const e of c.env ?? [])
          // Optional references (the console's sign-in settings) are the operator's to create or not.
          if (e.valueFrom?.secretKeyRef && !e.valueFrom.secretKeyRef.optional)
            expect(exists('Secret', e.valueFrom.secretKeyRef.name)).toBe(true);
        for (const f of c.envFrom ?? []) {
          if (f.configMapRef && !f.configMapRef.optional)
            expect(exists('ConfigMap', f.configMapRef.name)).toBe(true);
          if (f.secretRef && !f.secretRef.optional) expect(exists('Secret', f.secretRef.name)).toBe(true);
        }
      }
      for (const v of pod.volumes ?? []) {
        if (v.configMap) expect(exists('ConfigMap', v.configMap.name)).toBe(true);
        if (v.persistentVolumeClaim)
          expect(exists('PersistentVolumeClaim', v.persistentVolumeClaim.claimName)).toBe(true);
      }
    }
  });

  it('the gateway’s GATEWAY_REPLICAS is its replica count (the HPA’s minimum where one scales it)', () => {
    const d = deployment(objects, 'gateway-service');
    const hpa = find(objects, 'HorizontalPodAutoscaler', 'gateway-service') as
      (K8sObject & { spec: { minReplicas: number } }) | undefined;
    const replicas = hpa ? hpa.spec.minReplicas : d.spec.replicas;
    expect(envOf(d.spec.template.spec.containers[0], 'GATEWAY_REPLICAS')?.value).toBe(String(replicas));
  });

  it('the gateway’s providers file is one the gateway accepts', () => {
    const d = deployment(objects, 'gateway-service');
    const volume = d.spec.template.spec.volumes!.find((v) => v.name === 'upstreams')!;
    const cm = find(objects, 'ConfigMap', volume.configMap!.name) as K8sObject & {
      data: Record<string, string>;
    };
    expect(envOf(d.spec.template.spec.containers[0], 'UPSTREAMS_FILE')?.value).toBe(
      '/etc/ai-gateway/upstreams.json',
    );
    expect(UpstreamsFile.safeParse(JSON.parse(cm.data['upstreams.json'])).success).toBe(true);
  });
});

describe('k8s/overlays/production', () => {
  const count = (kind: string) => production.filter((o) => o.kind === kind).length;

  it('runs no NATS, Postgres, Redis or demo of its own, and carries no secret values', () => {
    expect(count('StatefulSet')).toBe(0);
    expect(count('Secret')).toBe(0);
    const names = production.map((o) => o.metadata.name);
    for (const name of ['nats', 'postgres', 'redis', 'demo-upstream', 'ai-gateway-seed-demo', 'dev-idp'])
      expect(names).not.toContain(name);
    expect(
      production
        .filter((o) => o.kind === 'Deployment')
        .map((o) => o.metadata.name)
        .sort(),
    ).toEqual([...SERVICES].sort());
  });

  it('runs gateway 3, auth 2, key 2, metering 2 replicas, spread over nodes', () => {
    const minReplicas = (name: string) =>
      (find(production, 'HorizontalPodAutoscaler', name) as K8sObject & { spec: { minReplicas: number } })
        .spec.minReplicas;
    expect(minReplicas('gateway-service')).toBe(3);
    expect(minReplicas('auth-service')).toBe(2);
    expect(deployment(production, 'key-service').spec.replicas).toBe(2);
    expect(deployment(production, 'metering-service').spec.replicas).toBe(2);
    for (const name of SERVICES)
      expect(deployment(production, name).spec.template.spec.affinity).toBeDefined();
  });

  it('pulls versioned images from a registry, and keeps the usage spool on a shared volume', () => {
    for (const w of workloads(production))
      for (const c of [...(w.spec.template.spec.initContainers ?? []), ...w.spec.template.spec.containers])
        expect(c.image).toMatch(/^ghcr\.io\/example\/ai-gateway-[a-z-]+:\d+\.\d+\.\d+$/);
    const spool = deployment(production, 'gateway-service').spec.template.spec.volumes!.find(
      (v) => v.name === 'usage-spool',
    );
    const claim = find(
      production,
      'PersistentVolumeClaim',
      spool!.persistentVolumeClaim!.claimName,
    ) as K8sObject & {
      spec: { accessModes: string[] };
    };
    expect(claim.spec.accessModes).toEqual(['ReadWriteMany']);
  });
});

describe('k8s/overlays/local', () => {
  it('runs NATS, Postgres, Redis, the demo upstream and the demo seed in the cluster, one replica each', () => {
    expect(find(local, 'StatefulSet', 'nats')).toBeDefined();
    expect(find(local, 'StatefulSet', 'postgres')).toBeDefined();
    expect(find(local, 'Deployment', 'redis')).toBeDefined();
    expect(find(local, 'Deployment', 'demo-upstream')).toBeDefined();
    expect(find(local, 'Job', 'ai-gateway-seed-demo')).toBeDefined();
    expect(local.filter((o) => o.kind === 'HorizontalPodAutoscaler')).toEqual([]);
    for (const name of SERVICES) expect(deployment(local, name).spec.replicas).toBe(1);
  });

  it('uses images already in the cluster, and generates its secrets from files marked local-only', () => {
    for (const w of workloads(local))
      for (const c of [...(w.spec.template.spec.initContainers ?? []), ...w.spec.template.spec.containers])
        expect([c.name, c.imagePullPolicy]).toEqual([c.name, 'IfNotPresent']);
    for (const file of ['local-secrets.env', 'local-nats.env'])
      expect(readFileSync(join(ROOT, 'k8s/overlays/local', file), 'utf8')).toMatch(/^# LOCAL ONLY/);
    // nats-server reads each password as a config token: `n` and hex digits stay a string.
    const nats = local.find((o) => o.kind === 'Secret' && o.metadata.name.startsWith('ai-gateway-nats')) as
      (K8sObject & { data: Record<string, string> }) | undefined;
    expect(Object.keys(nats!.data).sort()).toEqual(
      NATS_IDENTITIES.map((i) => `NATS_${i.name}_PASSWORD`).sort(),
    );
    for (const value of Object.values(nats!.data))
      expect(Buffer.from(value, 'base64').toString()).toMatch(/^n[0-9a-f]+$/);
  });
});

describe('k8s/components/nats', () => {
  it.each(['nats-server.conf', 'auth.conf'])('%s is deploy/nats’s, unchanged', (file) => {
    // kustomize reads no file outside its directory, so the component keeps a copy; `npm run nats:config`
    // regenerates deploy/nats/auth.conf: copy both files to k8s/components/nats/ after it.
    expect(readFileSync(join(ROOT, 'k8s/components/nats', file), 'utf8')).toBe(
      readFileSync(join(ROOT, 'deploy/nats', file), 'utf8'),
    );
  });
});
