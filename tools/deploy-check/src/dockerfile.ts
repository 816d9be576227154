import { readFileSync } from 'node:fs';
import { DOCKERFILE, rootPath } from './paths';

export interface Instruction {
  /** Upper-case keyword: FROM, COPY, RUN, ... */
  keyword: string;
  /** The rest of the line, continuations joined. */
  args: string;
  line: number;
}

export interface Stage {
  /** `AS name`, or the stage's index as Docker names unnamed stages. */
  name: string;
  /** The base image (ARGs not substituted). */
  from: string;
  instructions: Instruction[];
}

export interface Dockerfile {
  /** ARGs before the first FROM, with their defaults. */
  globalArgs: Record<string, string>;
  stages: Stage[];
}

/** Splits a Dockerfile into instructions (comments dropped, `\` continuations joined) and stages. */
export function parseDockerfile(text: string): Dockerfile {
  const instructions: Instruction[] = [];
  let pending: { text: string; line: number } | undefined;
  text.split('\n').forEach((raw, i) => {
    const trimmed = raw.trim();
    if (trimmed.startsWith('#') || (trimmed === '' && !pending)) return;
    const continues = trimmed.endsWith('\\');
    const part = continues ? trimmed.slice(0, -1).trim() : trimmed;
    pending = pending ? { text: `${pending.text} ${part}`, line: pending.line } : { text: part, line: i + 1 };
    if (continues) return;
    const m = /^(\S+)\s*(.*)$/.exec(pending.text);
    if (m?.[1]) instructions.push({ keyword: m[1].toUpperCase(), args: (m[2] ?? '').trim(), line: pending.line });
    pending = undefined;
  });
  const globalArgs: Record<string, string> = {};
  const stages: Stage[] = [];
  for (const ins of instructions) {
    if (ins.keyword === 'FROM') {
      const m = /^(?:--\S+\s+)*(\S+)(?:\s+AS\s+(\S+))?$/i.exec(ins.args);
      if (!m?.[1]) throw new Error(`line ${ins.line}: cannot read FROM ${ins.args}`);
      stages.push({ name: m[2] ?? String(stages.length), from: m[1], instructions: [] });
    } else if (stages.length === 0) {
      if (ins.keyword !== 'ARG') throw new Error(`line ${ins.line}: ${ins.keyword} before the first FROM`);
      const [name, value = ''] = ins.args.split('=', 2);
      if (name) globalArgs[name] = value;
    } else {
      stages[stages.length - 1]?.instructions.push(ins);
    }
  }
  return { globalArgs, stages };
}

export function readDockerfile(): Dockerfile {
  return parseDockerfile(readFileSync(rootPath(DOCKERFILE), 'utf8'));
}

/** `ENV A=1 B=2` (and the old `ENV A 1`) of a stage, in order. */
export function stageEnv(stage: Stage): Record<string, string> {
  const env: Record<string, string> = {};
  for (const ins of stage.instructions.filter((i) => i.keyword === 'ENV')) {
    if (!ins.args.includes('=')) {
      const [name, ...rest] = ins.args.split(/\s+/);
      if (name) env[name] = rest.join(' ');
      continue;
    }
    for (const m of ins.args.matchAll(/(\w+)=("[^"]*"|\S+)/g)) {
      if (m[1] && m[2] !== undefined) env[m[1]] = m[2].replace(/^"|"$/g, '');
    }
  }
  return env;
}

/** The JSON-array form of CMD/ENTRYPOINT; undefined for the shell form. */
export function execForm(args: string): string[] | undefined {
  try {
    const value: unknown = JSON.parse(args);
    return Array.isArray(value) && value.every((v) => typeof v === 'string') ? value : undefined;
  } catch {
    return undefined;
  }
}

/** The last value an instruction sets in a stage (WORKDIR, USER, CMD...). */
export function lastOf(stage: Stage, keyword: string): string | undefined {
  return stage.instructions.filter((i) => i.keyword === keyword).at(-1)?.args;
}

export interface Copy {
  from?: string;
  sources: string[];
  dest: string;
  line: number;
}

export function copies(stage: Stage): Copy[] {
  return stage.instructions
    .filter((i) => i.keyword === 'COPY')
    .map((i) => {
      const words = i.args.split(/\s+/);
      const flags = words.filter((w) => w.startsWith('--'));
      const paths = words.filter((w) => !w.startsWith('--'));
      const from = flags.find((f) => f.startsWith('--from='))?.slice('--from='.length);
      const dest = paths.at(-1);
      if (!dest || paths.length < 2) throw new Error(`line ${i.line}: cannot read COPY ${i.args}`);
      return { ...(from ? { from } : {}), sources: paths.slice(0, -1), dest, line: i.line };
    });
}
