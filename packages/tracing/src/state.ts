let on = false;

/** Whether this process records spans (startTracing ran with tracing wanted). */
export const tracingOn = (): boolean => on;

export function setTracingOn(value: boolean): void {
  on = value;
}
