import type { Tracer } from '@opentelemetry/api';

let current: Tracer | undefined;

/** Whether this process records spans (startTracing ran with tracing wanted). */
export const tracingOn = (): boolean => current !== undefined;

/** PitchPulse's tracer while tracing is on. */
export const activeTracer = (): Tracer | undefined => current;

export function setTracer(tracer: Tracer | undefined): void {
  current = tracer;
}
