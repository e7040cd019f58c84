/**
 * Which shipped `.proto` file declares each top-level message, found by reading `package` and
 * top-level `message` lines. Built only when an `Any` names a type that is not loaded yet, so the
 * common path never pays for the directory walk.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

const packagePattern = /^package\s+([\w.]+)\s*;/m;
// Top-level declarations start in column 0; nested messages are indented.
const messagePattern = /^message\s+(\w+)\s*\{/gm;

function protoFiles(dir: string, relative = ''): string[] {
  const files: string[] = [];
  for (const entry of readdirSync(path.join(dir, relative), { withFileTypes: true })) {
    const child = relative === '' ? entry.name : `${relative}/${entry.name}`;
    if (entry.isDirectory()) files.push(...protoFiles(dir, child));
    else if (entry.name.endsWith('.proto')) files.push(child);
  }
  return files;
}

/** Maps `package.Message` to the import path of its file (relative to its include directory). */
export function indexProtoTypes(includeDirs: readonly string[]): Map<string, string> {
  const index = new Map<string, string>();
  for (const dir of includeDirs) {
    for (const file of protoFiles(dir)) {
      const text = readFileSync(path.join(dir, file), 'utf8');
      const pkg = packagePattern.exec(text)?.[1];
      if (pkg === undefined) continue;
      for (const match of text.matchAll(messagePattern)) {
        const name = `${pkg}.${match[1] ?? ''}`;
        if (!index.has(name)) index.set(name, file);
      }
    }
  }
  return index;
}
