import { isObject } from './yaml-files';

type Obj = Record<string, unknown>;

/** Service sequences Compose merges as a set (unique values, the base's first). */
const UNION = new Set(['ports', 'expose', 'secrets', 'dns', 'dns_search', 'tmpfs', 'extra_hosts']);
/** Service sequences an override replaces whole. */
const REPLACED = new Set(['command', 'entrypoint']);
/** Service keys this merger does not model; an override using one is refused, not merged wrongly. */
const UNSUPPORTED = new Set(['extends', 'configs', 'networks', 'env_file', 'labels']);

/** `./src:/target:ro` → `/target`; the long syntax's `target`. */
function volumeTarget(volume: unknown): string {
  if (isObject(volume) && typeof volume.target === 'string') return volume.target;
  if (typeof volume !== 'string') throw new Error(`unsupported volume ${JSON.stringify(volume)}`);
  const parts = volume.split(':');
  return parts.length === 1 ? parts[0]! : parts[1]!;
}

/** Volumes merge by their path in the container: an override's mount replaces the base's at the same path. */
function mergeVolumes(base: unknown[], patch: unknown[]): unknown[] {
  const targets = new Set(patch.map(volumeTarget));
  return [...base.filter((v) => !targets.has(volumeTarget(v))), ...patch];
}

function union(base: unknown[], patch: unknown[]): unknown[] {
  const seen = new Set(base.map((v) => JSON.stringify(v)));
  return [...base, ...patch.filter((v) => !seen.has(JSON.stringify(v)))];
}

/** Maps merge key by key; anything else (scalars, lists inside maps such as healthcheck.test) is replaced. */
function deepMerge(base: unknown, patch: unknown): unknown {
  if (!isObject(base) || !isObject(patch)) return patch;
  const out: Obj = { ...base };
  for (const [k, v] of Object.entries(patch)) out[k] = k in base ? deepMerge(base[k], v) : v;
  return out;
}

function mergeService(name: string, base: Obj, patch: Obj): Obj {
  const out: Obj = { ...base };
  for (const [k, v] of Object.entries(patch)) {
    if (UNSUPPORTED.has(k)) throw new Error(`services.${name}.${k}: not supported by this merger`);
    const b = base[k];
    if (b === undefined || REPLACED.has(k)) out[k] = v;
    else if (k === 'volumes') out[k] = mergeVolumes(b as unknown[], v as unknown[]);
    else if (UNION.has(k)) out[k] = union(b as unknown[], v as unknown[]);
    else if (Array.isArray(b) || Array.isArray(v))
      throw new Error(`services.${name}.${k}: list merge not modelled`);
    else out[k] = deepMerge(b, v);
  }
  return out;
}

/**
 * `docker compose -f base -f override` as one model, by the Compose Specification's merge rules for the keys this
 * repository's files use: services and top-level maps merge by name; a service's maps (environment, depends_on,
 * deploy, healthcheck …) merge key by key, its volumes by container path, ports/expose/secrets as sets, command and
 * entrypoint are replaced. Keys it does not model (extends, list-form environment, `!reset`) are refused.
 */
export function mergeCompose(base: Obj, override: Obj): Obj {
  const out: Obj = { ...base };
  for (const [k, v] of Object.entries(override)) {
    if (k === 'include') throw new Error('include: not supported by this merger');
    if (k.startsWith('x-')) continue;
    if (k !== 'services') {
      out[k] = deepMerge(base[k], v);
      continue;
    }
    const services: Obj = { ...(base.services as Obj) };
    for (const [name, service] of Object.entries(v as Obj)) {
      const current = services[name] as Obj | undefined;
      if (!isObject(service)) throw new Error(`services.${name}: not a mapping`);
      if (isObject(current) && Array.isArray(current.environment))
        throw new Error(`services.${name}.environment: list form not supported`);
      services[name] = current ? mergeService(name, current, service) : service;
    }
    out.services = services;
  }
  return out;
}
