import fs from 'node:fs';
import { parseAllDocuments } from 'yaml';

/** Every document of a YAML file as plain data; throws on any YAML error, naming the file and the line. */
export function readYamlDocuments(file: string): unknown[] {
  // merge: true — YAML merge keys (`<<: *anchor`), which docker compose supports.
  const docs = parseAllDocuments(fs.readFileSync(file, 'utf8'), { prettyErrors: true, merge: true });
  const out: unknown[] = [];
  for (const doc of docs) {
    const problems = [...doc.errors, ...doc.warnings];
    if (problems.length > 0) throw new Error(`${file}: ${problems.map((e) => e.message).join('\n')}`);
    const value: unknown = doc.toJS({ maxAliasCount: 100 });
    if (value !== null && value !== undefined) out.push(value);
  }
  return out;
}

/** The single document of a YAML file. */
export function readYaml(file: string): unknown {
  const docs = readYamlDocuments(file);
  if (docs.length !== 1) throw new Error(`${file}: expected one YAML document, found ${docs.length}`);
  return docs[0];
}

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
