import { execFileSync } from 'node:child_process';
import os from 'node:os';
import mysql from 'mysql2/promise';
import type { Machine } from './report';

/** The commit the run measured (`+dirty` when the work tree has changes), or `unknown` outside a git checkout. */
export function gitCommit(root: string): string {
  try {
    const sha = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], {
      cwd: root,
      encoding: 'utf8',
    }).trim();
    return dirty ? `${sha}+dirty` : sha;
  } catch {
    return 'unknown';
  }
}

/** The machine as the results record it: CPUs, memory, Node.js, the OS, the database server. */
export async function describeMachine(mysqlUrl: string): Promise<Machine> {
  const cpus = os.cpus();
  let mysqlServer = 'unknown';
  try {
    const conn = await mysql.createConnection(mysqlUrl);
    try {
      const [rows] = await conn.query('SELECT VERSION() AS v');
      mysqlServer = (rows as Array<{ v: string }>)[0]?.v ?? 'unknown';
    } finally {
      await conn.end();
    }
  } catch {
    // the report says unknown
  }
  return {
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    cores: cpus.length,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    os: `${os.type()} ${os.release()}`,
    mysqlServer,
    loadAverage: os.loadavg(),
  };
}
