import { execFileSync } from 'node:child_process';
import path from 'node:path';
import ts from 'typescript';
import type { K8sObject } from './kustomize';

const groupVersion = (apiVersion: string): { group: string; version: string } => {
  const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['', apiVersion];
  return { group: group!, version: version! };
};

// kubernetes-models ships ESM only, which jest's module system cannot load; a plain Node child process can
// (require(esm), Node ≥ 20.19). It reads the objects on stdin and prints one error (or null) per object.
const VALIDATOR = `
const path = require('node:path');
const dir = path.dirname(require.resolve('kubernetes-models/package.json'));
let input = '';
process.stdin.on('data', (c) => (input += c)).on('end', () => {
  const results = JSON.parse(input).map((o) => {
    const [group, version] = o.apiVersion.includes('/') ? o.apiVersion.split('/') : ['', o.apiVersion];
    let Model;
    try {
      Model = require(path.join(dir, group || version, group ? version : '', o.kind + '.js'))[o.kind];
    } catch (err) {
      return 'unknown apiVersion/kind ' + o.apiVersion + ' ' + o.kind + ': ' + err.message;
    }
    try {
      new Model(o).validate();
      return null;
    } catch (err) {
      return err.message;
    }
  });
  process.stdout.write(JSON.stringify(results));
});`;

/**
 * Each object against the Kubernetes OpenAPI schema of its apiVersion/kind (kubernetes-models' generated ajv
 * validators: types, enums, required fields, formats). One entry per object: the error, or null when valid.
 */
export function schemaErrors(objects: K8sObject[]): (string | null)[] {
  const out = execFileSync(process.execPath, ['--no-warnings', '-e', VALIDATOR], {
    cwd: __dirname,
    input: JSON.stringify(objects),
    encoding: 'utf8',
  });
  return JSON.parse(out) as (string | null)[];
}

/** kubernetes-types module for an apiVersion: `apps/v1` → `kubernetes-types/apps/v1`, `v1` → `.../core/v1`. */
function typesModule(apiVersion: string): string {
  const { group, version } = groupVersion(apiVersion);
  const name = group === '' ? 'core' : group.replace(/\.k8s\.io$/, '');
  return `kubernetes-types/${name}/${version}`;
}

/**
 * Unknown fields (a misspelt `livenesProbe` is silently dropped by the API server): every object is type-checked
 * as an object literal of its kubernetes-types interface, so TypeScript's excess-property check rejects any
 * field the API does not have, at any depth. One message per problem, naming the object.
 */
export function unknownFieldErrors(objects: K8sObject[]): string[] {
  const fileName = path.join(__dirname, '__k8s_objects__.ts');
  const source = objects
    .map((o, i) => {
      const { apiVersion, kind, ...rest } = o;
      const literal = JSON.stringify({ apiVersion, kind, ...rest }, null, 1);
      return `import type { ${kind} as T${i} } from '${typesModule(apiVersion)}';\nexport const o${i}: T${i} = ${literal};\n`;
    })
    .join('');
  const options: ts.CompilerOptions = {
    strict: true,
    noEmit: true,
    module: ts.ModuleKind.Node16,
    moduleResolution: ts.ModuleResolutionKind.Node16,
    target: ts.ScriptTarget.ES2022,
    types: [],
    skipLibCheck: true,
  };
  const host = ts.createCompilerHost(options);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (name, languageVersion, ...rest) =>
    path.resolve(name) === fileName
      ? ts.createSourceFile(name, source, languageVersion)
      : getSourceFile(name, languageVersion, ...rest);
  const fileExists = host.fileExists.bind(host);
  host.fileExists = (name) => path.resolve(name) === fileName || fileExists(name);
  const program = ts.createProgram([fileName], options, host);
  const starts: number[] = [];
  source.split('\n').forEach((line, n) => {
    if (line.startsWith('export const o')) starts.push(n);
  });
  return ts.getPreEmitDiagnostics(program).map((d) => {
    const message = ts.flattenDiagnosticMessageText(d.messageText, '\n');
    if (!d.file || d.start === undefined) return message;
    const { line } = d.file.getLineAndCharacterOfPosition(d.start);
    let index = 0;
    while (index + 1 < starts.length && starts[index + 1]! <= line) index++;
    const o = objects[index]!;
    const at = source.split('\n')[line]!.trim();
    return `${o.kind}/${o.metadata.name}: ${message} (at ${at})`;
  });
}
