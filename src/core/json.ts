/**
 * Reading values whose shape is not known (a gateway's JSON, OpenClaw's files, settings, stored history): the
 * object and string checks every reader needs, written once.
 */

/** A JSON object (or any plain object): not null, not an array. */
export type JsonObject = Record<string, unknown>;

export function isRecord(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `value` as an object, or undefined when it is not one (null and arrays are not). */
export function asRecord(value: unknown): JsonObject | undefined {
  return isRecord(value) ? value : undefined;
}

/** A string with its surrounding white space removed; undefined for anything else and for a blank string. */
export function trimmedString(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const trimmed = value.trim();
  return trimmed === '' ? undefined : trimmed;
}

/** A non-empty string exactly as it is (stored data, where spaces may matter); undefined otherwise. */
export function nonEmptyString(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}
