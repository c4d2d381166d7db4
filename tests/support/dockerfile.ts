import { readFileSync } from 'node:fs';
import path from 'node:path';

/** Just enough of the Dockerfile grammar for the instructions our Dockerfile uses. */
export interface Instruction {
  keyword: string;
  args: string;
  line: number;
}

export interface Stage {
  base: string;
  name?: string;
  instructions: Instruction[];
}

export interface Dockerfile {
  /** ARGs declared before the first FROM, with their defaults. */
  globalArgs: Record<string, string>;
  stages: Stage[];
}

export const ROOT = path.resolve(import.meta.dirname, '../..');

export function readDockerfile(file = path.join(ROOT, 'Dockerfile')): Dockerfile {
  return parseDockerfile(readFileSync(file, 'utf8'));
}

export function parseDockerfile(text: string): Dockerfile {
  const globalArgs: Record<string, string> = {};
  const stages: Stage[] = [];
  let pending = '';
  let startLine = 0;
  text.split('\n').forEach((raw, index) => {
    const line = raw.trim();
    // Comment lines are dropped, even inside a continued instruction (as Docker does).
    if (line === '' || line.startsWith('#')) return;
    if (pending === '') startLine = index + 1;
    if (line.endsWith('\\')) {
      pending += `${line.slice(0, -1).trim()} `;
      return;
    }
    const full = (pending + line).trim();
    pending = '';
    const [keyword = '', ...rest] = full.split(/\s+/);
    const instruction = { keyword: keyword.toUpperCase(), args: full.slice(keyword.length).trim(), line: startLine };
    if (instruction.keyword === 'FROM') {
      const [base = '', as, name] = instruction.args.split(/\s+/);
      stages.push({ base, name: as?.toUpperCase() === 'AS' ? name : undefined, instructions: [] });
    } else if (stages.length === 0) {
      if (instruction.keyword === 'ARG') {
        const [name = '', value = ''] = rest.join(' ').split('=');
        globalArgs[name] = value;
      }
    } else {
      stages.at(-1)!.instructions.push(instruction);
    }
  });
  return { globalArgs, stages };
}

export function instructions(stage: Stage, keyword: string): Instruction[] {
  return stage.instructions.filter((i) => i.keyword === keyword);
}

/** The JSON (exec) form of CMD, ENTRYPOINT or HEALTHCHECK CMD; undefined for the shell form. */
export function execForm(args: string): string[] | undefined {
  if (!args.startsWith('[')) return undefined;
  const value: unknown = JSON.parse(args);
  return Array.isArray(value) && value.every((v) => typeof v === 'string') ? value : undefined;
}

/** ENV of a stage, in order (`ENV A=1 B=2` and the old `ENV A 1`). */
export function envOf(stage: Stage): Record<string, string> {
  const env: Record<string, string> = {};
  for (const { args } of instructions(stage, 'ENV')) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*=/.test(args)) {
      const [name = '', ...value] = args.split(/\s+/);
      env[name] = value.join(' ');
      continue;
    }
    for (const match of args.matchAll(/([A-Za-z_][A-Za-z0-9_]*)=("(?:[^"\\]|\\.)*"|\S*)/g)) {
      const value = match[2] ?? '';
      env[match[1]!] = value.startsWith('"') ? (JSON.parse(value) as string) : value;
    }
  }
  return env;
}

/** The HEALTHCHECK's options and command. */
export function healthcheckOf(stage: Stage): { options: Record<string, string>; command: string[] } | undefined {
  const [check] = instructions(stage, 'HEALTHCHECK');
  if (!check) return undefined;
  const options: Record<string, string> = {};
  let rest = check.args;
  for (let match = /^--([a-z-]+)=(\S+)\s+/.exec(rest); match; match = /^--([a-z-]+)=(\S+)\s+/.exec(rest)) {
    options[match[1]!] = match[2]!;
    rest = rest.slice(match[0].length);
  }
  if (!rest.startsWith('CMD ')) return { options, command: [] };
  const body = rest.slice(4).trim();
  return { options, command: execForm(body) ?? ['/bin/sh', '-c', body] };
}

/** `COPY --from=<stage> <src>... <dest>`: the sources taken from another stage. */
export function copiesFrom(stage: Stage, from: string): Array<{ sources: string[]; dest: string }> {
  return instructions(stage, 'COPY')
    .map((i) => i.args.split(/\s+/))
    .filter((words) => words.includes(`--from=${from}`))
    .map((words) => {
      const paths = words.filter((w) => !w.startsWith('--'));
      return { sources: paths.slice(0, -1), dest: paths.at(-1) ?? '' };
    });
}
