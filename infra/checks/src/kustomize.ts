import fs from 'node:fs';
import path from 'node:path';
import { isObject, readYaml, readYamlDocuments } from './yaml-files';

/** A Kubernetes object as plain data. */
export type K8sObject = Record<string, unknown> & {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
};

const SUPPORTED = new Set(['apiVersion', 'kind', 'namespace', 'resources', 'labels', 'images', 'patches']);

/** Kinds without a namespace, among those this repository uses. */
const CLUSTER_SCOPED = new Set([
  'Namespace',
  'ClusterRole',
  'ClusterRoleBinding',
  'PersistentVolume',
  'StorageClass',
]);

const key = (o: K8sObject): string => `${o.kind}/${o.metadata.name}`;

function asObject(value: unknown, where: string): K8sObject {
  if (!isObject(value) || typeof value.kind !== 'string' || typeof value.apiVersion !== 'string') {
    throw new Error(`${where}: not a Kubernetes object (apiVersion and kind needed)`);
  }
  const meta = value.metadata;
  if (!isObject(meta) || typeof meta.name !== 'string') throw new Error(`${where}: metadata.name missing`);
  return value as K8sObject;
}

/**
 * Strategic-merge for the shapes used here: maps merge key by key; lists of objects that all carry `name`
 * (containers, env, ports, volumes) merge item by item on `name`, new items first; any other list or value is
 * replaced.
 */
export function strategicMerge(base: unknown, patch: unknown): unknown {
  if (isObject(base) && isObject(patch)) {
    const out: Record<string, unknown> = { ...base };
    for (const [k, v] of Object.entries(patch)) {
      out[k] = v === null ? undefined : k in base ? strategicMerge(base[k], v) : v;
      if (out[k] === undefined) delete out[k];
    }
    return out;
  }
  const named = (list: unknown): list is Record<string, unknown>[] =>
    Array.isArray(list) && list.every((i) => isObject(i) && typeof i.name === 'string');
  if (named(base) && named(patch)) {
    const merged = base.map((item) => {
      const p = patch.find((q) => q.name === item.name);
      return p ? strategicMerge(item, p) : item;
    });
    // kustomize puts the patch's new items first (compared with `kubectl kustomize` in k8s.test.ts).
    return [...patch.filter((p) => !base.some((b) => b.name === p.name)), ...merged];
  }
  return patch;
}

interface ImageRule {
  name: string;
  newName?: string;
  newTag?: string;
}

function retag(image: string, rules: ImageRule[]): string {
  const at = image.indexOf('@');
  const colon = image.lastIndexOf(':');
  const hasTag = colon > image.lastIndexOf('/');
  const name = at >= 0 ? image.slice(0, at) : hasTag ? image.slice(0, colon) : image;
  const rule = rules.find((r) => r.name === name);
  if (!rule) return image;
  const tag = rule.newTag ?? (at >= 0 ? undefined : hasTag ? image.slice(colon + 1) : undefined);
  return `${rule.newName ?? name}${tag ? `:${tag}` : ''}`;
}

function visitContainers(o: Record<string, unknown>, fn: (c: Record<string, unknown>) => void): void {
  for (const [k, v] of Object.entries(o)) {
    if ((k === 'containers' || k === 'initContainers') && Array.isArray(v)) {
      for (const c of v) if (isObject(c)) fn(c);
    } else if (isObject(v)) {
      visitContainers(v, fn);
    }
  }
}

/**
 * Renders a kustomization directory the way `kubectl kustomize` does, for the features this repository uses
 * (resources, namespace, labels, images, patches, `$patch: delete`). Anything else is refused rather than silently
 * ignored.
 * The k8s check compares the result with `kubectl kustomize` where kubectl is installed.
 */
export function renderKustomization(dir: string): K8sObject[] {
  const file = path.join(dir, 'kustomization.yaml');
  const k = readYaml(file);
  if (!isObject(k)) throw new Error(`${file}: not a mapping`);
  const unknown = Object.keys(k).filter((key) => !SUPPORTED.has(key));
  if (unknown.length > 0) throw new Error(`${file}: the renderer does not support ${unknown.join(', ')}`);

  let objects: K8sObject[] = [];
  for (const r of (k.resources ?? []) as string[]) {
    const target = path.join(dir, r);
    if (fs.statSync(target).isDirectory()) objects.push(...renderKustomization(target));
    else objects.push(...readYamlDocuments(target).map((d, i) => asObject(d, `${target}#${i}`)));
  }
  const seen = new Set<string>();
  for (const o of objects) {
    if (seen.has(key(o))) throw new Error(`${dir}: ${key(o)} defined twice`);
    seen.add(key(o));
  }

  for (const p of (k.patches ?? []) as { path?: string }[]) {
    if (!p.path || Object.keys(p).length !== 1)
      throw new Error(`${file}: only "patches: - path: file" is supported`);
    const patchFile = path.join(dir, p.path);
    for (const [i, doc] of readYamlDocuments(patchFile).entries()) {
      const { $patch: directive, ...patch } = asObject(doc, `${patchFile}#${i}`);
      const index = objects.findIndex((o) => key(o) === key(patch as K8sObject));
      if (index < 0) throw new Error(`${patchFile}: patch target ${key(patch as K8sObject)} not found`);
      if (directive === 'delete') objects.splice(index, 1);
      else if (directive === undefined) objects[index] = strategicMerge(objects[index], patch) as K8sObject;
      else throw new Error(`${patchFile}: $patch: ${String(directive)} is not supported`);
    }
  }

  if (typeof k.namespace === 'string') {
    const ns = k.namespace;
    // As kustomize does, a Namespace object is renamed to the namespace (an overlay over another's namespace).
    objects = objects.map((o) =>
      o.kind === 'Namespace'
        ? { ...o, metadata: { ...o.metadata, name: ns } }
        : CLUSTER_SCOPED.has(o.kind)
          ? o
          : { ...o, metadata: { ...o.metadata, namespace: ns } },
    );
  }

  for (const entry of (k.labels ?? []) as { pairs: Record<string, string>; includeSelectors?: boolean }[]) {
    if (entry.includeSelectors) throw new Error(`${file}: labels.includeSelectors is not supported`);
    objects = objects.map((o) => ({
      ...o,
      metadata: { ...o.metadata, labels: { ...(o.metadata.labels ?? {}), ...entry.pairs } },
    }));
  }

  const images = (k.images ?? []) as ImageRule[];
  if (images.length > 0) {
    objects = objects.map((o) => {
      const copy = structuredClone(o);
      visitContainers(copy, (c) => {
        if (typeof c.image === 'string') c.image = retag(c.image, images);
      });
      return copy;
    });
  }
  return objects;
}
