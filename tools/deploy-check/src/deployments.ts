import { readFileSync } from 'node:fs';
import path from 'node:path';
import { argv, type ComposeFile, type ComposeService, composeDotenv, loadCompose, serviceEnv } from './compose';
import { execForm, lastOf, readDockerfile, stageEnv } from './dockerfile';
import type { Container, PodSpec, Volume, Workload } from './k8s-types';
import { WORKLOAD_KINDS } from './k8s-types';
import { findKubectl, type K8sObject, renderKustomize } from './kustomize';
import { type AppName, APPS, COMPOSE_FILE, K8S_ALL, rootPath } from './paths';

/** An HTTP check the platform makes on a container. */
export interface Probe {
  /** liveness, readiness, startup (Kubernetes) or healthcheck (compose). */
  kind: string;
  path: string;
  port: number;
}

/** One place where docker/ or k8s/ runs one of the apps, with everything the app will see there. */
export interface AppRun {
  /** e.g. `compose service gateway` or `k8s StatefulSet/matching-engine-shard-1 container topics`. */
  where: string;
  source: 'compose' | 'k8s';
  /** The compose service, or the Kubernetes workload (`Kind/name`). */
  owner: string;
  app: AppName;
  /** The arguments after `node dist/apps/<app>/main.js`. */
  args: string[];
  /** The process environment: the image's ENV, then what the deployment sets. */
  env: Record<string, string>;
  /** The names the deployment sets (the image's own ENV aside): each one should be read by the app. */
  setNames: string[];
  /** Files mounted into the container (ConfigMaps, compose configs and secrets), by absolute path. */
  files: Record<string, string>;
  /** Ports the container declares (Kubernetes), or that compose publishes, container side. */
  ports: number[];
  probes: Probe[];
  /** How long SIGTERM has before SIGKILL, s (terminationGracePeriodSeconds, stop_grace_period). */
  stopGraceSeconds?: number;
  /** A pause before SIGTERM (Kubernetes preStop), s. */
  preStopSeconds?: number;
}

const COMMAND = /^dist\/apps\/([^/]+)\/main\.js$/;

/** `node dist/apps/<app>/main.js …` → the app and its arguments; anything else is an error. */
export function parseAppCommand(command: readonly string[], where: string): { app: AppName; args: string[] } {
  const [node, script, ...args] = command;
  const app = script ? COMMAND.exec(script)?.[1] : undefined;
  if (node !== 'node' || !app || !(APPS as readonly string[]).includes(app))
    throw new Error(`${where}: command ${JSON.stringify(command)} does not run node dist/apps/<app>/main.js`);
  return { app: app as AppName, args };
}

/** The runtime image: its ENV and default command. */
export function runtimeImage(): { env: Record<string, string>; cmd: string[] } {
  const final = readDockerfile().stages.at(-1);
  if (!final) throw new Error('the Dockerfile has no stage');
  const cmd = execForm(lastOf(final, 'CMD') ?? '');
  if (!cmd) throw new Error('the runtime stage has no CMD in JSON form');
  return { env: stageEnv(final), cmd };
}

/** "20s", "2m", "1m30s", "1500ms" → seconds. */
export function durationSeconds(text: string): number {
  let total = 0;
  const re = /(\d+(?:\.\d+)?)(ms|h|m|s)/g;
  let rest = text.trim();
  for (const m of text.trim().matchAll(re)) {
    const n = Number(m[1]);
    total += m[2] === 'h' ? n * 3600 : m[2] === 'm' ? n * 60 : m[2] === 's' ? n : n / 1000;
    rest = rest.replace(m[0], '');
  }
  if (rest !== '' || text.trim() === '') throw new Error(`not a duration: "${text}"`);
  return total;
}

/** The URL a healthcheck command fetches (`http://127.0.0.1:9464/health`). */
function healthcheckProbe(test: string[] | string | undefined): Probe | undefined {
  const text = Array.isArray(test) ? test.join(' ') : (test ?? '');
  const m = /https?:\/\/[^/'"\s:]+:(\d+)(\/[^'"\s)]*)/.exec(text);
  return m?.[1] && m[2] ? { kind: 'healthcheck', port: Number(m[1]), path: m[2] } : undefined;
}

/** Services built from docker/Dockerfile (the shardex image): the ones that run an app. */
export function isAppService(service: ComposeService): boolean {
  const build = service.build;
  const dockerfile = typeof build === 'object' ? build.dockerfile : undefined;
  return dockerfile !== undefined && path.posix.normalize(dockerfile) === 'docker/Dockerfile';
}

export function composeRuns(compose: ComposeFile = loadCompose()): AppRun[] {
  const image = runtimeImage();
  const composeDir = path.dirname(rootPath(COMPOSE_FILE));
  const dotenv = composeDotenv();
  return Object.entries(compose.services)
    .filter(([, s]) => isAppService(s))
    .map(([name, s]) => {
      const where = `compose service ${name}`;
      const { app, args } = parseAppCommand(argv(s.command) ?? image.cmd, where);
      const set = serviceEnv(s);
      const files: Record<string, string> = {};
      for (const c of s.configs ?? []) {
        const ref = typeof c === 'string' ? { source: c } : c;
        const def = compose.configs?.[ref.source];
        if (!def?.file) throw new Error(`${where}: config ${ref.source} is not a file config`);
        files[ref.target ?? `/${ref.source}`] = readFileSync(path.resolve(composeDir, def.file), 'utf8');
      }
      for (const c of s.secrets ?? []) {
        const ref = typeof c === 'string' ? { source: c } : c;
        const def = compose.secrets?.[ref.source];
        const value = def?.file
          ? readFileSync(path.resolve(composeDir, def.file), 'utf8')
          : def?.environment
            ? dotenv[def.environment]
            : undefined;
        if (value === undefined) throw new Error(`${where}: secret ${ref.source} has no value`);
        files[ref.target ?? `/run/secrets/${ref.source}`] = value;
      }
      const probe = healthcheckProbe(s.healthcheck?.test);
      return {
        where,
        source: 'compose' as const,
        owner: name,
        app,
        args,
        env: { ...image.env, ...set },
        setNames: Object.keys(set),
        files,
        ports: (s.ports ?? []).map((p) =>
          typeof p === 'object' ? p.target : Number(String(p).split(':').at(-1)?.split('/')[0]),
        ),
        probes: probe ? [probe] : [],
        ...(s.stop_grace_period ? { stopGraceSeconds: durationSeconds(s.stop_grace_period) } : {}),
      };
    });
}

/** The data of a rendered ConfigMap or Secret (decoded), by its rendered name; throws when it is not there. */
export function objectData(objects: readonly K8sObject[], kind: 'ConfigMap' | 'Secret', name: string) {
  const o = objects.find((x) => x.kind === kind && x.metadata.name === name);
  if (!o) throw new Error(`${kind} ${name} is referenced but not in the render`);
  const data = (o['data'] ?? {}) as Record<string, string>;
  if (kind === 'ConfigMap') return data;
  return {
    ...Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')])),
    ...((o['stringData'] ?? {}) as Record<string, string>),
  };
}

/** A pod's name as Kubernetes gives it: StatefulSets `<name>-<ordinal>`, others a generated suffix. */
const podName = (w: Workload) => (w.kind === 'StatefulSet' ? `${w.metadata.name}-0` : `${w.metadata.name}-7d9f8-x2k4q`);

function mountedFiles(objects: readonly K8sObject[], pod: PodSpec, c: Container, where: string) {
  const files: Record<string, string> = {};
  const volumeData = (v: Volume): Record<string, string> => {
    const pick = (data: Record<string, string>, items?: Array<{ key: string; path: string }>) =>
      items ? Object.fromEntries(items.map((i) => [i.path, data[i.key] ?? ''])) : data;
    if (v.configMap) return pick(objectData(objects, 'ConfigMap', v.configMap.name), v.configMap.items);
    if (v.secret) return pick(objectData(objects, 'Secret', v.secret.secretName), v.secret.items);
    if (v.projected)
      return Object.assign(
        {},
        ...v.projected.sources.map((s) =>
          s.configMap
            ? pick(objectData(objects, 'ConfigMap', s.configMap.name), s.configMap.items)
            : s.secret
              ? pick(objectData(objects, 'Secret', s.secret.name), s.secret.items)
              : {},
        ),
      );
    return {};
  };
  for (const m of c.volumeMounts ?? []) {
    const v = pod.volumes?.find((x) => x.name === m.name);
    if (!v) throw new Error(`${where}: mounts volume ${m.name}, which the pod does not define`);
    const data = volumeData(v);
    if (m.subPath !== undefined) files[m.mountPath] = data[m.subPath] ?? '';
    else for (const [key, text] of Object.entries(data)) files[path.posix.join(m.mountPath, key)] = text;
  }
  return files;
}

function containerEnv(objects: readonly K8sObject[], w: Workload, c: Container, where: string) {
  const set: Record<string, string> = {};
  for (const from of c.envFrom ?? []) {
    const data = from.configMapRef
      ? objectData(objects, 'ConfigMap', from.configMapRef.name)
      : from.secretRef
        ? objectData(objects, 'Secret', from.secretRef.name)
        : {};
    for (const [k, v] of Object.entries(data)) set[`${from.prefix ?? ''}${k}`] = v;
  }
  for (const e of c.env ?? []) {
    const ref = e.valueFrom;
    if (e.value !== undefined || !ref) set[e.name] = e.value ?? '';
    else if (ref.fieldRef?.fieldPath === 'metadata.name') set[e.name] = podName(w);
    else if (ref.fieldRef?.fieldPath === 'metadata.namespace') set[e.name] = 'shardex';
    else if (ref.secretKeyRef) {
      const value = objectData(objects, 'Secret', ref.secretKeyRef.name)[ref.secretKeyRef.key];
      if (value === undefined) throw new Error(`${where}: ${e.name} names a missing key ${ref.secretKeyRef.key}`);
      set[e.name] = value;
    } else if (ref.configMapKeyRef) {
      const value = objectData(objects, 'ConfigMap', ref.configMapKeyRef.name)[ref.configMapKeyRef.key];
      if (value === undefined) throw new Error(`${where}: ${e.name} names a missing key ${ref.configMapKeyRef.key}`);
      set[e.name] = value;
    } else throw new Error(`${where}: ${e.name}: a valueFrom the checks cannot resolve`);
  }
  return set;
}

export function workloads(objects: readonly K8sObject[]): Workload[] {
  return objects.filter((o) => (WORKLOAD_KINDS as readonly string[]).includes(o.kind)) as unknown as Workload[];
}

export function k8sRuns(objects: readonly K8sObject[]): AppRun[] {
  const image = runtimeImage();
  return workloads(objects).flatMap((w) => {
    const pod = w.spec.template.spec;
    return [...(pod.initContainers ?? []), ...pod.containers].map((c): AppRun => {
      const owner = `${w.kind}/${w.metadata.name}`;
      const where = `k8s ${owner} container ${c.name}`;
      if (c.workingDir !== undefined) throw new Error(`${where}: workingDir moves the app's relative paths`);
      const { app, args } = parseAppCommand([...(c.command ?? image.cmd), ...(c.args ?? [])], where);
      const set = containerEnv(objects, w, c, where);
      const portOf = (p: number | string) =>
        typeof p === 'number' ? p : (c.ports?.find((x) => x.name === p)?.containerPort ?? Number.NaN);
      const probes = (['liveness', 'readiness', 'startup'] as const).flatMap((kind) => {
        const http = c[`${kind}Probe`]?.httpGet;
        return http ? [{ kind, path: http.path ?? '/', port: portOf(http.port) }] : [];
      });
      const preStop = c.lifecycle?.preStop;
      const sleep = preStop?.sleep?.seconds ?? (preStop?.exec?.command?.[0] === 'sleep' ? preStop.exec.command[1] : 0);
      return {
        where,
        source: 'k8s',
        owner,
        app,
        args,
        env: { ...image.env, ...set },
        setNames: Object.keys(set),
        files: mountedFiles(objects, pod, c, where),
        ports: (c.ports ?? []).map((p) => p.containerPort),
        probes,
        stopGraceSeconds: pod.terminationGracePeriodSeconds ?? 30,
        preStopSeconds: Number(sleep ?? 0),
      };
    });
  });
}

/** `kubectl kustomize k8s/bootstrap`, or undefined (with the reason) when kubectl is not on PATH. */
export function k8sRender(): { objects: K8sObject[] } | { skipped: string } {
  const kubectl = findKubectl();
  if (!kubectl)
    return {
      skipped:
        'kubectl is not on PATH: the Kubernetes checks are SKIPPED (they need kubectl 1.27 or later; Debian 12’s kubernetes-client, 1.20, predates kustomize components)',
    };
  return { objects: renderKustomize(K8S_ALL, kubectl) };
}

/**
 * Every place docker/ and k8s/ run `app`, for its own tests (which feed the env to the app's config loader). When
 * kubectl is missing only the compose ones are returned, and `skipped` says why.
 */
export function appRuns(app: AppName): { runs: AppRun[]; skipped?: string } {
  const render = k8sRender();
  const runs = [...composeRuns(), ...('objects' in render ? k8sRuns(render.objects) : [])];
  return { runs: runs.filter((r) => r.app === app), ...('skipped' in render ? { skipped: render.skipped } : {}) };
}

/**
 * An environment that records which names the app reads, so a test can tell a deployment setting that nothing
 * reads (a typo, or a setting meant for another app) from one that counts. `copied` is true when the app copied the
 * whole environment (`{ ...env }`): after that nothing can be told apart, and the test should say so.
 */
export function recordingEnv(env: Readonly<Record<string, string>>): {
  env: Record<string, string | undefined>;
  read: Set<string>;
  copied: () => boolean;
} {
  const read = new Set<string>();
  let copied = false;
  const proxy = new Proxy(
    { ...env },
    {
      get(target, key, receiver) {
        if (typeof key === 'string') read.add(key);
        return Reflect.get(target, key, receiver) as unknown;
      },
      ownKeys(target) {
        copied = true;
        return Reflect.ownKeys(target);
      },
    },
  );
  return { env: proxy, read, copied: () => copied };
}

/** A reader of the files mounted into a run; a path it does not mount is ENOENT, as in the container. */
export function runFiles(run: AppRun): (p: string) => string {
  return (p) => {
    const text = run.files[p];
    if (text === undefined) throw new Error(`ENOENT: ${run.where} mounts no file ${p}`);
    return text;
  };
}
