import { jsonRequest, jsonText, type BadInputCase, type RawRequest } from './bad-input-case';
import type { CaseClass } from './expectations';
import { fillTemplate, type DocumentedOperation } from './operations';
import { scratchPathValues, validBody } from './targets';

/** The operation's valid request, on its scratch object, with `text` as the body (the valid body by default). */
export function validRequest(
  operation: DocumentedOperation,
  options: { text?: string; pathValues?: Record<string, string>; headers?: Record<string, string> } = {},
): RawRequest {
  const path = fillTemplate(operation.template, { ...scratchPathValues(operation), ...options.pathValues });
  if (!operation.schemaName) return { method: operation.method, path, headers: options.headers ?? {} };
  const text = options.text ?? JSON.stringify(validBody(operation.schemaName));
  return jsonRequest(operation.method, path, text, options.headers);
}

/** A case builder for one operation: `make(class, detail, request, field?)`. */
export function caseMaker(operation: DocumentedOperation) {
  return function makeCase(
    caseClass: CaseClass,
    detail: string,
    request: RawRequest,
    field?: string | RegExp,
  ): BadInputCase {
    return {
      name: `${operation.key} · ${caseClass} · ${detail}`,
      operation: operation.key,
      class: caseClass,
      request,
      field,
    };
  };
}

/** Sets `value` at a path of a JSON value (`['metrics', 0, 'steps', 1]`), in place. */
export function setAt(target: unknown, path: (string | number)[], value: unknown): void {
  let node = target as Record<string | number, unknown>;
  for (const part of path.slice(0, -1)) node = node[part] as Record<string | number, unknown>;
  node[path[path.length - 1]] = value;
}

/** `['metrics', 0, 'steps', 1]` → `metrics[0].steps[1]`, as the server names fields. */
export function fieldName(path: (string | number)[]): string {
  return path.reduce<string>(
    (name, part) => (typeof part === 'number' ? `${name}[${part}]` : name ? `${name}.${part}` : part),
    '',
  );
}

/** The valid body with one value replaced by raw JSON text (which JSON.stringify could not write). */
export function bodyWithRaw(schemaName: string, path: (string | number)[], rawJson: string): string {
  const body = validBody(schemaName);
  const marker = '\u0001raw-marker\u0001';
  setAt(body, path, marker);
  return jsonText(body, { [marker]: rawJson });
}

export function bodyWith(schemaName: string, path: (string | number)[], value: unknown): string {
  const body = validBody(schemaName);
  setAt(body, path, value);
  return JSON.stringify(body);
}

export const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
