import * as v from 'valibot';

/** Parses one JSON text frame from a peer against `schema`; null for anything that does not match. */
export function parseJsonFrame<T>(schema: v.GenericSchema<unknown, T>, text: string): T | null {
  try {
    const result = v.safeParse(schema, JSON.parse(text));
    return result.success ? result.output : null;
  } catch {
    return null;
  }
}
