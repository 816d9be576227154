/**
 * kafkajs 2.2.4, its last release, schedules its request queue with `setTimeout(fn, throttledUntil - Date.now())`:
 * a negative delay of about minus the epoch while a broker is not throttling (tulios/kafkajs#1751). Node.js has
 * always run such a timer after 1 ms, which is what kafkajs means; since Node.js 24 it also prints a
 * TimeoutNegativeWarning for every one. The behaviour is right and the warning is noise in every log, so while
 * kafkajs is our client, exactly that warning type is dropped, once per process, before a client exists.
 */
let installed = false;

export function dropNegativeTimeoutWarnings(): void {
  if (installed) return;
  installed = true;
  const emit = process.emitWarning;
  const filtered = function (this: NodeJS.Process, warning: string | Error, ...rest: unknown[]): void {
    const [second] = rest;
    const type =
      typeof second === 'string'
        ? second
        : typeof second === 'object' && second !== null
          ? (second as { type?: unknown }).type
          : warning instanceof Error
            ? warning.name
            : undefined;
    if (type === 'TimeoutNegativeWarning') return;
    (emit as (...args: unknown[]) => void).call(this, warning, ...rest);
  };
  process.emitWarning = filtered as typeof process.emitWarning;
}
