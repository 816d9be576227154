import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseShardMap } from '@shardex/order-router';
import { k8sRender, k8sRuns, objectData, workloads } from './deployments';
import { lastOf, readDockerfile } from './dockerfile';
import type { Container, Workload } from './k8s-types';
import { describeObject, findKubectl, type K8sObject, renderKustomize } from './kustomize';
import { K8S_BASE, rootPath } from './paths';

// Every check here needs the render; without kubectl they are skipped, loudly (the fresh CI machines have it).
const render = k8sRender();
const skipped = 'skipped' in render ? render.skipped : undefined;
if (skipped) process.stderr.write(`\n*** ${skipped} ***\n\n`);
const objects: K8sObject[] = 'objects' in render ? render.objects : [];
const itK8s = skipped ? it.skip : it;

const all = workloads(objects);
const longRunning = all.filter((w) => w.kind !== 'Job');
const byKind = (kind: string) => objects.filter((o) => o.kind === kind);
const containersOf = (w: Workload): Container[] => [
  ...(w.spec.template.spec.initContainers ?? []),
  ...w.spec.template.spec.containers,
];
const matches = (selector: Record<string, string> | undefined, labels: Record<string, string> | undefined) =>
  selector !== undefined &&
  Object.keys(selector).length > 0 &&
  Object.entries(selector).every(([k, v]) => labels?.[k] === v);
const podsSelectedBy = (selector: Record<string, string> | undefined) =>
  all.filter((w) => matches(selector, w.spec.template.metadata?.labels));

/** Runs the ESM validator (kubernetes-models) in its own process; one result per object, null when valid. */
function validate(docs: readonly unknown[]): Array<string | null> {
  const out = execFileSync(process.execPath, [path.join(__dirname, 'validate-k8s.mjs')], {
    input: JSON.stringify(docs),
    encoding: 'utf8',
  });
  return JSON.parse(out) as Array<string | null>;
}

describe('k8s: kubectl kustomize k8s/bootstrap', () => {
  itK8s('renders every kind the deployment needs, and k8s/base is the same without the bootstrap Job', () => {
    const kinds = new Set(objects.map((o) => o.kind));
    for (const kind of [
      'Namespace',
      'ConfigMap',
      'Secret',
      'Deployment',
      'Service',
      'HorizontalPodAutoscaler',
      'PodDisruptionBudget',
      'StatefulSet',
      'Job',
    ])
      expect(kinds).toContain(kind);
    const base = renderKustomize(K8S_BASE, findKubectl() as string);
    expect(base).toEqual(objects.filter((o) => o.kind !== 'Job'));
  });

  itK8s('every object validates against the Kubernetes API schemas (kubernetes-models)', () => {
    // kubectl folds long base64 values over lines; the API server's decoder (Go's base64) skips the line breaks.
    const unfolded = objects.map((o) =>
      o.kind === 'Secret' && o['data']
        ? {
            ...o,
            data: Object.fromEntries(
              Object.entries(o['data'] as Record<string, string>).map(([k, v]) => [k, v.replace(/\s+/g, '')]),
            ),
          }
        : o,
    );
    const results = validate(unfolded);
    const invalid = objects.flatMap((o, i) => (results[i] ? [`${describeObject(o)}: ${results[i]}`] : []));
    expect(invalid).toEqual([]);
    // The validator really rejects: a Deployment with a string for replicas and a probe without a port.
    const gateway = objects.find((o) => o.kind === 'Deployment') as K8sObject;
    const broken = JSON.parse(JSON.stringify(gateway)) as Workload;
    (broken.spec as { replicas: unknown }).replicas = 'two';
    delete (broken.spec.template.spec.containers[0]?.livenessProbe?.httpGet as { port?: unknown }).port;
    expect(validate([broken])[0]).toMatch(/replicas must be integer|must have required property 'port'/);
  });

  itK8s('every object is in the shardex namespace, which enforces the restricted pod security standard', () => {
    const namespaced = objects.filter((o) => o.kind !== 'Namespace');
    expect(namespaced.filter((o) => o.metadata.namespace !== 'shardex').map(describeObject)).toEqual([]);
    expect(byKind('Namespace').map((n) => n.metadata.labels)).toEqual([
      expect.objectContaining({ 'pod-security.kubernetes.io/enforce': 'restricted' }),
    ]);
  });

  itK8s('every long-running container has startup, liveness and readiness HTTP probes on a port it declares', () => {
    for (const w of longRunning)
      for (const c of w.spec.template.spec.containers) {
        for (const probe of [c.startupProbe, c.livenessProbe, c.readinessProbe]) {
          const port = probe?.httpGet?.port;
          expect({ where: `${w.metadata.name}/${c.name}`, path: probe?.httpGet?.path }).toEqual({
            where: `${w.metadata.name}/${c.name}`,
            path: expect.stringMatching(/^\/[a-z]+$/),
          });
          expect(c.ports?.some((p) => p.name === port || p.containerPort === port)).toBe(true);
        }
      }
    // The paths themselves are checked against what each app serves by the app's own deployment spec.
  });

  itK8s('every container has cpu and memory requests and limits, within its limits', () => {
    const cpu = (q: string) => (q.endsWith('m') ? Number(q.slice(0, -1)) / 1000 : Number(q));
    const mem = (q: string) => {
      const m = /^(\d+)(Mi|Gi)$/.exec(q);
      return m ? Number(m[1]) * (m[2] === 'Gi' ? 1024 : 1) : Number.NaN;
    };
    for (const w of all)
      for (const c of containersOf(w)) {
        const { requests = {}, limits = {} } = c.resources ?? {};
        for (const r of ['cpu', 'memory']) {
          expect({ c: c.name, r, request: requests[r], limit: limits[r] }).toEqual({
            c: c.name,
            r,
            request: expect.any(String),
            limit: expect.any(String),
          });
        }
        expect(cpu(requests['cpu'] as string)).toBeLessThanOrEqual(cpu(limits['cpu'] as string));
        expect(mem(requests['memory'] as string)).toBeLessThanOrEqual(mem(limits['memory'] as string));
      }
  });

  itK8s('every pod runs as the image’s non-root user, without capabilities or escalation, on a read-only root', () => {
    const runtime = readDockerfile().stages.at(-1);
    const user = Number((runtime && lastOf(runtime, 'USER'))?.split(':')[0]);
    expect(user).toBeGreaterThan(0);
    for (const w of all) {
      const pod = w.spec.template.spec;
      expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: user });
      expect((pod as { automountServiceAccountToken?: boolean }).automountServiceAccountToken).toBe(false);
      for (const c of containersOf(w))
        expect(c.securityContext).toMatchObject({
          allowPrivilegeEscalation: false,
          readOnlyRootFilesystem: true,
          capabilities: { drop: ['ALL'] },
        });
    }
  });

  itK8s('every container runs the one shardex image', () => {
    const images = new Set(all.flatMap((w) => containersOf(w).map((c) => c.image)));
    expect([...images]).toEqual([expect.stringMatching(/^shardex:[\w.-]+$/)]);
  });

  itK8s('every ConfigMap and Secret a pod names is in the render', () => {
    const names = (kind: string) => new Set(byKind(kind).map((o) => o.metadata.name));
    const missing: string[] = [];
    const need = (kind: 'ConfigMap' | 'Secret', name: string | undefined) => {
      if (name !== undefined && !names(kind).has(name)) missing.push(`${kind} ${name}`);
    };
    for (const w of all) {
      const pod = w.spec.template.spec;
      for (const v of pod.volumes ?? []) {
        need('ConfigMap', v.configMap?.name);
        need('Secret', v.secret?.secretName);
        for (const s of v.projected?.sources ?? []) {
          need('ConfigMap', s.configMap?.name);
          need('Secret', s.secret?.name);
        }
      }
      for (const c of containersOf(w)) {
        for (const f of c.envFrom ?? []) {
          need('ConfigMap', f.configMapRef?.name);
          need('Secret', f.secretRef?.name);
        }
        for (const e of c.env ?? []) {
          need('ConfigMap', e.valueFrom?.configMapKeyRef?.name);
          need('Secret', e.valueFrom?.secretKeyRef?.name);
        }
      }
    }
    expect(missing).toEqual([]);
    // Resolving every run's env and files also fails on a key that the named object lacks.
    expect(k8sRuns(objects).length).toBeGreaterThan(0);
  });

  itK8s('the HPA scales the gateway Deployment on CPU, and the Deployment leaves its replicas to it', () => {
    const hpas = byKind('HorizontalPodAutoscaler') as Array<K8sObject & { spec: Record<string, unknown> }>;
    expect(hpas).toHaveLength(1);
    const spec = hpas[0]?.spec as {
      scaleTargetRef: { apiVersion: string; kind: string; name: string };
      minReplicas: number;
      maxReplicas: number;
      metrics: Array<{ resource?: { name: string } }>;
    };
    const target = all.find((w) => w.kind === spec.scaleTargetRef.kind && w.metadata.name === spec.scaleTargetRef.name);
    expect(target?.spec.template.spec.containers.map((c) => c.command?.[1])).toEqual(['dist/apps/gateway/main.js']);
    expect(spec.scaleTargetRef.apiVersion).toBe(target?.apiVersion);
    expect(target?.spec.replicas).toBeUndefined();
    expect(spec.minReplicas).toBeGreaterThanOrEqual(2);
    expect(spec.metrics.map((m) => m.resource?.name)).toEqual(['cpu']);
  });

  itK8s(
    'every PodDisruptionBudget selects the pods of one workload: gateway minAvailable 1, shards maxUnavailable 1',
    () => {
      const pdbs = byKind('PodDisruptionBudget') as Array<
        K8sObject & { spec: { selector: { matchLabels?: Record<string, string> }; [k: string]: unknown } }
      >;
      const covered = new Map<string, Record<string, unknown>>();
      for (const pdb of pdbs) {
        const selected = podsSelectedBy(pdb.spec.selector.matchLabels);
        expect({ pdb: pdb.metadata.name, selected: selected.length }).toEqual({ pdb: pdb.metadata.name, selected: 1 });
        const w = selected[0] as Workload;
        covered.set(`${w.kind}/${w.metadata.name}`, pdb.spec);
      }
      for (const w of longRunning) {
        const spec = covered.get(`${w.kind}/${w.metadata.name}`);
        if (w.kind === 'Deployment') expect(spec).toMatchObject({ minAvailable: 1 });
        else expect(spec).toMatchObject({ maxUnavailable: 1 });
      }
    },
  );

  itK8s('every Service selects the pods of one workload and targets a port they declare', () => {
    for (const svc of byKind('Service') as Array<
      K8sObject & { spec: { selector: Record<string, string>; ports: Array<{ targetPort: string | number }> } }
    >) {
      const selected = podsSelectedBy(svc.spec.selector);
      expect({ svc: svc.metadata.name, selected: selected.length }).toEqual({ svc: svc.metadata.name, selected: 1 });
      const ports = selected[0]?.spec.template.spec.containers.flatMap((c) => c.ports ?? []) ?? [];
      for (const p of svc.spec.ports)
        expect(ports.some((x) => x.name === p.targetPort || x.containerPort === p.targetPort)).toBe(true);
    }
    for (const sts of all.filter((w) => w.kind === 'StatefulSet'))
      expect(byKind('Service').map((s) => s.metadata.name)).toContain(
        (sts.spec as { serviceName?: string }).serviceName,
      );
  });

  itK8s('one StatefulSet per shard of the shard map: 2 replicas (active + hot standby), its own fixed SHARD_ID', () => {
    const shardMapText = objectData(objects, 'ConfigMap', configMapNamed('shardex-shard-map'))['shard-map.json'];
    expect(shardMapText).toBe(readFileSync(rootPath('k8s/base/config/shard-map.json'), 'utf8'));
    const shardIds = parseShardMap(shardMapText as string, 'json').shards.map((s) => s.shardId);
    const engines = all.filter((w) =>
      w.spec.template.spec.containers.some((c) => c.command?.[1] === 'dist/apps/matching-engine/main.js'),
    );
    expect(engines.every((w) => w.kind === 'StatefulSet' && w.spec.replicas === 2)).toBe(true);
    const ids = engines.map((w) => {
      const c = w.spec.template.spec.containers.find((x) => x.command?.[1] === 'dist/apps/matching-engine/main.js');
      const env = Object.fromEntries((c?.env ?? []).map((e) => [e.name, e]));
      // NODE_ID is the pod name: unique per process, stable across its restarts.
      expect(env['NODE_ID']?.valueFrom?.fieldRef?.fieldPath).toBe('metadata.name');
      return env['SHARD_ID']?.value;
    });
    expect([...ids].sort()).toEqual([...shardIds].sort());
    expect(new Set(ids).size).toBe(ids.length);
  });

  itK8s('every `topics create` (the shards’ init containers and the Job) asks for the same replication', () => {
    const topics = new Set(
      all.flatMap((w) =>
        containersOf(w)
          .filter((c) => c.command?.slice(2, 4).join(' ') === 'topics create')
          .map((c) => JSON.stringify(c.command?.slice(4))),
      ),
    );
    expect([...topics]).toEqual([JSON.stringify(['--replication-factor=3', '--min-insync-replicas=2'])]);
  });
});

/** A generated ConfigMap's rendered name (kustomize appends a content hash). */
function configMapNamed(name: string): string {
  const found = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name.startsWith(`${name}-`));
  if (!found) throw new Error(`no ConfigMap ${name}`);
  return found.metadata.name;
}
