import path from 'node:path';

/** The workspace root: every path below is relative to it. */
export const ROOT = path.resolve(__dirname, '../../..');

export const DOCKERFILE = 'docker/Dockerfile';
export const COMPOSE_FILE = 'docker/compose.yaml';
/** Compose reads `.env` beside the compose file (the project directory) for interpolation. */
export const COMPOSE_DOTENV = 'docker/.env';
/** The overlay that renders everything: k8s/base plus the bootstrap Job. */
export const K8S_ALL = 'k8s/bootstrap';
/** What is applied after the first deployment: everything but the Job. */
export const K8S_BASE = 'k8s/base';

export const APPS = ['gateway', 'matching-engine', 'orchestrator'] as const;
export type AppName = (typeof APPS)[number];

export const rootPath = (p: string): string => path.join(ROOT, p);
