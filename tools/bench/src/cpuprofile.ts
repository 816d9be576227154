import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The V8 `.cpuprofile` format that `node --cpu-prof` writes (Chrome DevTools and speedscope open it). */
export interface CpuProfile {
  nodes: ProfileNode[];
  /** µs */
  startTime: number;
  endTime: number;
  /** The node each sample landed in. */
  samples?: number[];
  /** µs since the previous sample (the first: since startTime). */
  timeDeltas?: number[];
}

export interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number; scriptId?: string };
  hitCount?: number;
  children?: number[];
}

/** Where a generated position comes from: an original source file (and the name there, when the map has it). */
export type SourceResolver = (url: string, line: number, column: number) => OriginalPosition | undefined;

/** A position in an original source: the file relative to the workspace root, the line 1-based. */
export interface OriginalPosition {
  source: string;
  line: number;
}

export interface SelfTime {
  name: string;
  selfMs: number;
  /** Of the busy time (everything but idle), 0-1. */
  share: number;
}

export interface ProfileSummary {
  /** Wall time the profile covers, ms. */
  totalMs: number;
  idleMs: number;
  /** totalMs − idleMs: the thread was running JS, native code, or the garbage collector. */
  busyMs: number;
  gcMs: number;
  /** Self time by function (`name file:line`), largest first. */
  functions: SelfTime[];
  /** Self time by package: an npm package, a workspace project (libs/x, apps/y), a Node.js core area, GC, VM. */
  packages: SelfTime[];
  /** Self time by file (original sources when a source map resolves them). */
  files: SelfTime[];
}

const SPECIAL: Record<string, string> = {
  '(garbage collector)': '(garbage collector)',
  '(program)': '(program: V8 and native code outside JS functions)',
  '(idle)': '(idle)',
  '(root)': '(root)',
};

/** The file of a call frame, readable: a path relative to `root`, `node:…`, or the url as is. */
function fileOf(url: string, root: string): string {
  if (url.startsWith('file://')) {
    try {
      return path.relative(root, fileURLToPath(url)) || url;
    } catch {
      return url;
    }
  }
  if (url.startsWith('/')) return path.relative(root, url);
  return url;
}

/** What a file belongs to: `node_modules/<pkg>` → pkg, `libs/x/…` → libs/x, `node:internal/streams/…` → node:internal/streams. */
export function packageOf(file: string): string {
  const nm = file.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const parts = file.slice(nm + 'node_modules/'.length).split('/');
    return parts[0]?.startsWith('@') ? `${parts[0]}/${parts[1] ?? ''}` : (parts[0] ?? file);
  }
  if (file.startsWith('node:')) return `node:${file.slice(5).split('/').slice(0, 2).join('/')}`;
  const ws = /^(libs|apps|tools)\/[^/]+/.exec(file);
  if (ws) return ws[0];
  return file === '' ? '(native)' : file;
}

function top(map: Map<string, number>, busyMs: number, n: number): SelfTime[] {
  return [...map.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([name, selfMs]) => ({ name, selfMs: Math.round(selfMs * 10) / 10, share: busyMs > 0 ? selfMs / busyMs : 0 }));
}

/**
 * Self time of a profile, aggregated by function, by package and by file — the numbers behind a flame graph's
 * widest plateaus. Each sample lasts until the next one (the last until endTime), as DevTools counts it; a profile
 * without samples falls back to hitCount × the mean interval.
 */
export function summarizeCpuProfile(
  profile: CpuProfile,
  {
    top: n = 15,
    root = process.cwd(),
    resolve,
    window,
  }: {
    top?: number;
    root?: string;
    resolve?: SourceResolver;
    /**
     * Only the samples within [startUs, endUs] of the profile's clock — V8's, which on Linux is CLOCK_MONOTONIC, the
     * clock of process.hrtime() in any process — so a profile of a whole process can be cut to a load window.
     */
    window?: { startUs: number; endUs: number };
  } = {},
): ProfileSummary {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const self = new Map<number, number>(); // node id → µs
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  if (samples.length > 0 && deltas.length === samples.length) {
    let t = profile.startTime;
    const stamps = deltas.map((d) => (t += d));
    const from = window?.startUs ?? -Infinity;
    const to = window?.endUs ?? Infinity;
    for (let i = 0; i < samples.length; i++) {
      const id = samples[i] as number;
      const begin = Math.max(from, stamps[i] as number);
      const end = Math.min(to, stamps[i + 1] ?? profile.endTime);
      if (end > begin) self.set(id, (self.get(id) ?? 0) + end - begin);
    }
  } else {
    const hits = profile.nodes.reduce((s, node) => s + (node.hitCount ?? 0), 0);
    const interval = hits > 0 ? (profile.endTime - profile.startTime) / hits : 0;
    for (const node of profile.nodes) if (node.hitCount) self.set(node.id, node.hitCount * interval);
  }

  const functions = new Map<string, number>();
  const packages = new Map<string, number>();
  const files = new Map<string, number>();
  let idleUs = 0;
  let gcUs = 0;
  let allUs = 0;
  const add = (m: Map<string, number>, k: string, us: number) => m.set(k, (m.get(k) ?? 0) + us / 1000);
  for (const [id, us] of self) {
    const node = byId.get(id);
    if (!node) continue;
    allUs += us;
    const { functionName, url, lineNumber, columnNumber } = node.callFrame;
    const special = url === '' ? SPECIAL[functionName] : undefined;
    if (special === '(idle)') {
      idleUs += us;
      continue;
    }
    if (special === '(garbage collector)') gcUs += us;
    if (special) {
      add(functions, special, us);
      add(packages, special, us);
      add(files, special, us);
      continue;
    }
    const mapped = url ? resolve?.(url, lineNumber, columnNumber) : undefined;
    const file = mapped?.source ?? fileOf(url, root);
    const line = mapped ? `:${mapped.line}` : lineNumber >= 0 ? `:${lineNumber + 1}` : '';
    add(functions, `${functionName || '(anonymous)'} ${file || '(native)'}${line}`, us);
    add(packages, packageOf(file), us);
    add(files, file || '(native)', us);
  }
  const busyMs = (allUs - idleUs) / 1000;
  return {
    totalMs: Math.round(allUs / 1000),
    idleMs: Math.round(idleUs / 1000),
    busyMs: Math.round(busyMs),
    gcMs: Math.round(gcUs / 1000),
    functions: top(functions, busyMs, n),
    packages: top(packages, busyMs, n),
    files: top(files, busyMs, n),
  };
}

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const B64_VALUE = new Map([...B64].map((c, i) => [c, i]));

/** Decodes one line of a source map's `mappings` into segments of [generatedColumn, sourceIndex, line, column]. */
function decodeLine(text: string, state: number[]): number[][] {
  const segments: number[][] = [];
  let generatedColumn = 0;
  for (const part of text.split(',')) {
    if (part === '') continue;
    const fields: number[] = [];
    let value = 0;
    let shift = 0;
    for (const c of part) {
      const digit = B64_VALUE.get(c);
      if (digit === undefined) throw new Error(`bad source map character "${c}"`);
      value += (digit & 31) << shift;
      if (digit & 32) shift += 5;
      else {
        fields.push(value & 1 ? -(value >>> 1) : value >>> 1);
        value = 0;
        shift = 0;
      }
    }
    generatedColumn += fields[0] ?? 0;
    if (fields.length >= 4) {
      state[0] = (state[0] as number) + (fields[1] as number);
      state[1] = (state[1] as number) + (fields[2] as number);
      state[2] = (state[2] as number) + (fields[3] as number);
      segments.push([generatedColumn, state[0] as number, state[1] as number, state[2] as number]);
    }
  }
  return segments;
}

/**
 * A resolver for one source map (v3, no index maps): generated (line, column), both 0-based as in a .cpuprofile,
 * → the original source file, made relative to `root`.
 */
export function sourceMapLookup(
  map: { sources: string[]; sourceRoot?: string; mappings: string },
  mapDir: string,
  root: string,
): (line: number, column: number) => OriginalPosition | undefined {
  const sources = map.sources.map((s) => path.relative(root, path.resolve(mapDir, map.sourceRoot ?? '', s)));
  const state = [0, 0, 0];
  const lines = map.mappings.split(';').map((l) => decodeLine(l, state));
  return (line, column) => {
    const segments = lines[line];
    if (!segments || segments.length === 0) return undefined;
    let lo = 0;
    let hi = segments.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if ((segments[mid]?.[0] as number) <= column) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    const seg = segments[found === -1 ? 0 : found];
    const source = seg ? sources[seg[1] as number] : undefined;
    return source === undefined || !seg ? undefined : { source, line: (seg[2] as number) + 1 };
  };
}

/** Resolves positions in any script that has a `<file>.map` beside it (our esbuild bundles do), caching each map. */
export function fileSourceMaps(root: string): SourceResolver {
  const cache = new Map<string, ReturnType<typeof sourceMapLookup> | null>();
  return (url, line, column) => {
    if (!url.startsWith('file://')) return undefined;
    let lookup = cache.get(url);
    if (lookup === undefined) {
      lookup = null;
      try {
        const file = fileURLToPath(url);
        if (existsSync(`${file}.map`)) {
          const map = JSON.parse(readFileSync(`${file}.map`, 'utf8')) as Parameters<typeof sourceMapLookup>[0];
          lookup = sourceMapLookup(map, path.dirname(file), root);
        }
      } catch {
        lookup = null;
      }
      cache.set(url, lookup);
    }
    return lookup ? lookup(line, column) : undefined;
  };
}

/** Reads a .cpuprofile file and summarises it, resolving our bundles' positions through their source maps. */
export function summarizeCpuProfileFile(
  file: string,
  root: string,
  { top = 15, window }: { top?: number; window?: { startUs: number; endUs: number } } = {},
): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  return summarizeCpuProfile(profile, { top, root, resolve: fileSourceMaps(root), ...(window && { window }) });
}
