import { diag, DiagLogLevel, propagation, trace } from '@opentelemetry/api';
import { OTLPTraceExporter as OtlpJsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as OtlpProtobufExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import {
  defaultResource,
  detectResources,
  envDetector,
  resourceFromAttributes,
} from '@opentelemetry/resources';
import { BatchSpanProcessor, NodeTracerProvider, type SpanExporter } from '@opentelemetry/sdk-trace-node';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';
import { setTracer, w3cPropagator } from './state';

export interface Tracing {
  /** whether spans are recorded and exported (see `tracingWanted`) */
  readonly enabled: boolean;
  /** Exports the spans still buffered and stops; call before the process exits. */
  shutdown(): Promise<void>;
}

type Env = Record<string, string | undefined>;

export interface TracingOptions {
  /** where the SDK's own complaints (an unreachable collector) go, as warnings */
  log?: TracingLog;
  env?: Env;
  /** instead of OTLP over HTTP (tests: jest's VM cannot run the HTTP exporter's dynamic imports) */
  exporter?: SpanExporter;
}

/** A pino-style logger: details, then the message. */
export interface TracingLog {
  warn(details: object, message: string): void;
  error(details: object, message: string): void;
}

/**
 * One log line of an SDK complaint. The SDK's component loggers pass their name first, then the message and its
 * details: all of the text is kept, an error among the details is logged as `err`, anything else as `args`.
 */
function diagLine(args: unknown[]): [object, string] {
  const text = args.filter((arg): arg is string => typeof arg === 'string').join(': ');
  const err = args.find((arg) => arg instanceof Error);
  const rest = args.filter((arg) => typeof arg !== 'string' && !(arg instanceof Error));
  return [
    { component: 'opentelemetry', ...(err ? { err } : {}), ...(rest.length > 0 ? { args: rest } : {}) },
    text,
  ];
}

const OFF: Tracing = { enabled: false, shutdown: async () => undefined };

/**
 * Whether the standard OTEL_* variables ask for traces: an OTLP endpoint (`OTEL_EXPORTER_OTLP_ENDPOINT` or
 * `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`) or `OTEL_TRACES_EXPORTER=otlp`, unless `OTEL_SDK_DISABLED=true` or
 * `OTEL_TRACES_EXPORTER=none`. Unlike the SDK's own default (export to localhost:4318), nothing is traced
 * without them: a process that is not asked to trace pays nothing. Throws on an exporter it does not have.
 */
export function tracingWanted(env: Env = process.env): boolean {
  if (env.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true') return false;
  const exporter = env.OTEL_TRACES_EXPORTER?.trim().toLowerCase();
  if (exporter) {
    if (exporter === 'none') return false;
    if (exporter !== 'otlp') {
      throw new Error(`OTEL_TRACES_EXPORTER=${exporter} is not supported: use otlp (OTLP over HTTP) or none`);
    }
    return true;
  }
  return Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim() || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.trim());
}

const PROTOCOLS = ['http/protobuf', 'http/json'] as const;

/**
 * The OTLP protocol the OTEL_* variables ask for (`OTEL_EXPORTER_OTLP_TRACES_PROTOCOL`, else
 * `OTEL_EXPORTER_OTLP_PROTOCOL`): `http/protobuf` (the specification's default) or `http/json`. Throws on `grpc`
 * or anything else.
 */
export function otlpProtocol(env: Env = process.env): (typeof PROTOCOLS)[number] {
  const asked = (
    env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL?.trim() || env.OTEL_EXPORTER_OTLP_PROTOCOL?.trim()
  )?.toLowerCase();
  if (!asked) return 'http/protobuf';
  const known = PROTOCOLS.find((p) => p === asked);
  if (!known)
    throw new Error(`OTLP protocol ${asked} is not supported: use http/protobuf (the default) or http/json`);
  return known;
}

function otlpExporter(env: Env): SpanExporter {
  return otlpProtocol(env) === 'http/json' ? new OtlpJsonExporter() : new OtlpProtobufExporter();
}

/**
 * Starts tracing for this process when the OTEL_* variables ask for it (`tracingWanted`): spans go to the OTLP
 * endpoint over HTTP in batches (`OTEL_BSP_*`), as protobuf unless `otlpProtocol` says JSON, sampled by
 * `OTEL_TRACES_SAMPLER` (default: parent-based, always on), `service.name` from `OTEL_SERVICE_NAME` or else
 * `service`, more resource attributes from `OTEL_RESOURCE_ATTRIBUTES`.
 */
export function startTracing(service: string, options: TracingOptions = {}): Tracing {
  const { log, env = process.env, exporter } = options;
  if (!exporter && !tracingWanted(env)) return OFF;
  if (log) {
    diag.setLogger(
      {
        error: (...args) => log.error(...diagLine(args)),
        warn: (...args) => log.warn(...diagLine(args)),
        info: () => undefined,
        debug: () => undefined,
        verbose: () => undefined,
      },
      DiagLogLevel.WARN,
    );
  }
  const provider = new NodeTracerProvider({
    resource: defaultResource()
      .merge(resourceFromAttributes({ [ATTR_SERVICE_NAME]: service }))
      .merge(detectResources({ detectors: [envDetector] })),
    spanProcessors: [new BatchSpanProcessor(exporter ?? otlpExporter(env))],
  });
  // Spans name their parents (no AsyncLocalStorage context manager: on Node 20 its hooks tax every promise of
  // the process, a third of tracing's cost in `pnpm bench:ingest`); W3C trace context only (no baggage).
  provider.register({ contextManager: null, propagator: w3cPropagator });
  setTracer(provider.getTracer('pitchpulse'));
  return {
    enabled: true,
    shutdown: async () => {
      setTracer(undefined);
      try {
        await provider.shutdown();
      } finally {
        // Gives the global API back, so that tracing can start again in this process (tests do).
        trace.disable();
        propagation.disable();
        if (log) diag.disable();
      }
    },
  };
}
