import type { Tracer } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';

/**
 * The one propagator (W3C trace context, no baggage): registered as the global one for libraries that use the
 * API, and called directly by PitchPulse's own header reading and writing.
 */
export const w3cPropagator = new W3CTraceContextPropagator();

let current: Tracer | undefined;

/** Whether this process records spans (startTracing ran with tracing wanted). */
export const tracingOn = (): boolean => current !== undefined;

/** PitchPulse's tracer while tracing is on. */
export const activeTracer = (): Tracer | undefined => current;

export function setTracer(tracer: Tracer | undefined): void {
  current = tracer;
}
