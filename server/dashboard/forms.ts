import { DASHBOARD_LIMITS } from './limits';

/**
 * A single text field of a parsed form body. Anything but one plain string (missing, repeated
 * `a=1&a=2` arrays, objects from a JSON body, over-long values) reads as undefined, so handlers
 * never see surprising types.
 */
export function formField(body: unknown, name: string, maxLength: number = DASHBOARD_LIMITS.fieldMaxLength): string | undefined {
  if (body === null || typeof body !== 'object' || !Object.hasOwn(body, name)) return undefined;
  const value: unknown = (body as Record<string, unknown>)[name];
  return typeof value === 'string' && value.length <= maxLength ? value : undefined;
}

/** A positive database id written as decimal digits, or undefined. */
export function formId(body: unknown, name: string): number | undefined {
  const raw = formField(body, name, 12);
  if (raw === undefined || !/^[1-9][0-9]{0,11}$/.test(raw)) return undefined;
  const id = Number(raw);
  return Number.isSafeInteger(id) ? id : undefined;
}
