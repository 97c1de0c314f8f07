import { buildOpenApiDocument } from '../../services/ingest/src/openapi';

/** One documented operation: `POST /api/v1/runs/{runId}/metrics` and what the document says of its input. */
export interface DocumentedOperation {
  key: string;
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  template: string;
  pathParams: string[];
  queryParams: string[];
  /** The request schema's component name, for JSON bodies. */
  schemaName?: string;
  schema?: JsonSchema;
  takesInput: boolean;
}

export interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  pattern?: string;
  format?: string;
  maxLength?: number;
  maxItems?: number;
  maxProperties?: number;
  propertyNames?: { pattern?: string };
  additionalProperties?: boolean | JsonSchema;
  anyOf?: JsonSchema[];
  $ref?: string;
}

export interface OpenApiDocument {
  paths: Record<string, Record<string, OperationObject>>;
  components: { schemas: Record<string, JsonSchema> };
}
interface OperationObject {
  parameters?: { name: string; in: string }[];
  requestBody?: { content: Record<string, { schema: JsonSchema }> };
}

/** Every operation of an OpenAPI document (the served one, or the one the server builds, which must be equal). */
export function documentedOperations(document: OpenApiDocument): DocumentedOperation[] {
  return Object.entries(document.paths).flatMap(([template, operations]) =>
    Object.entries(operations).map(([method, operation]) => {
      const ref = operation.requestBody?.content['application/json']?.schema.$ref;
      const schemaName = ref?.replace('#/components/schemas/', '');
      const pathParams = (operation.parameters ?? []).filter((p) => p.in === 'path').map((p) => p.name);
      const queryParams = (operation.parameters ?? []).filter((p) => p.in === 'query').map((p) => p.name);
      return {
        key: `${method.toUpperCase()} ${template}`,
        method: method.toUpperCase() as DocumentedOperation['method'],
        template,
        pathParams,
        queryParams,
        schemaName,
        schema: schemaName ? document.components.schemas[schemaName] : undefined,
        takesInput:
          pathParams.length > 0 ||
          operation.requestBody !== undefined ||
          (operation.parameters ?? []).length > 0,
      };
    }),
  );
}

/**
 * The document the server serves, built by the same function: cases are generated from it when jest collects the
 * tests, and a test checks that the server's served document is this one.
 */
export const BUILT_DOCUMENT = buildOpenApiDocument() as unknown as OpenApiDocument;
export const OPERATIONS = documentedOperations(BUILT_DOCUMENT);
export const JSON_OPERATIONS = OPERATIONS.filter((operation) => operation.schema !== undefined);

/** `/api/v1/runs/{runId}/finish` with `{ runId: 'r1' }` → `/api/v1/runs/r1/finish` (values used as given: raw). */
export function fillTemplate(template: string, values: Record<string, string>): string {
  return template.replace(/\{(\w+)\}/g, (_whole, name: string) => {
    const value = values[name];
    if (value === undefined) throw new Error(`no value for {${name}} in ${template}`);
    return value;
  });
}
