import { execFileSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { ROOT } from './paths';

/** A Kubernetes object as rendered: only the fields every object has are typed. */
export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  [field: string]: unknown;
}

/** kubectl on PATH, or undefined: the tests that need a render skip, saying so, when it is missing. */
export function findKubectl(): string | undefined {
  for (const dir of (process.env['PATH'] ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, 'kubectl');
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this directory
    }
  }
  return undefined;
}

const renders = new Map<string, K8sObject[]>();

/** `kubectl kustomize <dir>` (no cluster needed), parsed; cached per directory for the test process. */
export function renderKustomize(dir: string, kubectl: string): K8sObject[] {
  const cached = renders.get(dir);
  if (cached) return cached;
  const text = execFileSync(kubectl, ['kustomize', dir], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
  const objects = parseAllDocuments(text).map((doc) => {
    if (doc.errors.length > 0) throw new Error(`${dir}: ${doc.errors[0]?.message}`);
    return doc.toJS() as K8sObject;
  });
  renders.set(dir, objects);
  return objects;
}

export const describeObject = (o: K8sObject): string => `${o.kind}/${o.metadata.name}`;
