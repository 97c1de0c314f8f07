import 'reflect-metadata';
import { RequestMethod, type Type } from '@nestjs/common';
import { METHOD_METADATA, MODULE_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { TOKEN_ID_PATTERN } from '../../../libs/access/src';
import { ID_PATTERN } from '../../../libs/events/src/event-schemas';
import { TOKEN_SCHEMAS } from './access/tokens.openapi';
import { IngestModule } from './ingest.module';
import { REQUEST_SCHEMAS } from './ingest.schemas';
import {
  REGISTRY_PATH_PARAMETERS,
  REGISTRY_SCHEMAS,
  type RegistryPathParameter,
} from './registry/registry.schemas';
import { buildOpenApiDocument } from './openapi';

interface Route {
  method: string;
  /** OpenAPI form: `/api/v1/runs/{runId}/artifacts/{path}`. */
  path: string;
  params: string[];
}

/** Nest's `:runId` and `*path` (a wildcard: the rest of the URL) as OpenAPI path templates. */
function toTemplate(...parts: string[]): string {
  const joined = parts
    .filter(Boolean)
    .join('/')
    .replace(/\/{2,}/g, '/');
  return `/${joined.replace(/^\//, '')}`.replace(/[:*](\w+)/g, '{$1}');
}

/** Every route of every controller the ingest module declares: a controller added there is covered here. */
function servedRoutes(): Route[] {
  const controllers = Reflect.getMetadata(MODULE_METADATA.CONTROLLERS, IngestModule) as Type[];
  return controllers.flatMap((controller) => {
    const prefix = Reflect.getMetadata(PATH_METADATA, controller) as string;
    const prototype = controller.prototype as Record<string, unknown>;
    return Object.getOwnPropertyNames(prototype)
      .filter((name) => name !== 'constructor' && typeof prototype[name] === 'function')
      .map((name) => prototype[name] as object)
      .filter((handler) => Reflect.hasMetadata(PATH_METADATA, handler))
      .map((handler) => {
        const path = toTemplate(prefix, Reflect.getMetadata(PATH_METADATA, handler) as string);
        const method = RequestMethod[Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod];
        return { method, path, params: [...path.matchAll(/\{(\w+)\}/g)].map((match) => match[1]) };
      });
  });
}

interface Parameter {
  name: string;
  in: string;
  required?: boolean;
  schema: { pattern?: string };
}
interface Operation {
  parameters?: Parameter[];
  requestBody?: { content: Record<string, { schema: { $ref?: string } }> };
  responses: Record<string, unknown>;
}

const document = buildOpenApiDocument();
const paths = document.paths as unknown as Record<string, Record<string, Operation>>;
const documented = Object.entries(paths).flatMap(([path, operations]) =>
  Object.entries(operations).map(([method, operation]) => ({
    method: method.toUpperCase(),
    path,
    operation,
  })),
);
const routeKey = (route: { method: string; path: string }) => `${route.method} ${route.path}`;

describe('the OpenAPI document', () => {
  it('finds the routes of every controller of the ingest module (the comparison below is not vacuous)', () => {
    const routes = servedRoutes().map(routeKey);
    expect(routes).toEqual(
      expect.arrayContaining([
        'POST /api/v1/runs/{runId}/metrics',
        'PUT /api/v1/runs/{runId}/artifacts/{path}',
        'GET /api/v1/runs/{runId}/artifacts',
      ]),
    );
  });

  it('lists exactly the routes the ingest module serves, with their methods', () => {
    expect(documented.map(routeKey).sort()).toEqual(servedRoutes().map(routeKey).sort());
  });

  it.each(servedRoutes().map((route) => [routeKey(route), route] as const))(
    '%s documents each path parameter, ids with their pattern',
    (_key, route) => {
      const operation = paths[route.path][route.method.toLowerCase()];
      const inPath = (operation.parameters ?? []).filter((parameter) => parameter.in === 'path');
      expect(inPath.map((parameter) => parameter.name).sort()).toEqual([...route.params].sort());
      for (const parameter of inPath) {
        expect(parameter.required).toBe(true);
        if (parameter.name === 'tokenId') expect(parameter.schema.pattern).toBe(TOKEN_ID_PATTERN.source);
        else if (route.path.startsWith('/api/v1/models')) {
          expect(parameter.schema).toEqual(REGISTRY_PATH_PARAMETERS[parameter.name as RegistryPathParameter]);
        } else if (parameter.name !== 'path') expect(parameter.schema.pattern).toBe(ID_PATTERN);
      }
    },
  );

  const commands = documented.filter(
    ({ method, path }) => (method === 'POST' || method === 'DELETE') && !path.startsWith('/api/v1/tokens'),
  );
  const tokenCommands = documented.filter(
    ({ method, path }) => method === 'POST' && path.startsWith('/api/v1/tokens'),
  );

  it.each(tokenCommands.map(({ method, path, operation }) => [`${method} ${path}`, operation] as const))(
    '%s takes a JSON body of a token schema and documents its refusals, 401 and 403 included',
    (_key, operation) => {
      const ref = operation.requestBody?.content['application/json']?.schema.$ref ?? '';
      expect(Object.keys(TOKEN_SCHEMAS)).toContain(ref.replace('#/components/schemas/', ''));
      expect(Object.keys(operation.responses)).toEqual(
        expect.arrayContaining(['400', '401', '403', '413', '415', '429', '503']),
      );
    },
  );

  it.each(
    documented
      .filter(({ path }) => path !== '/api/v1/openapi.json')
      .map(({ method, path, operation }) => [`${method} ${path}`, operation] as const),
  )('%s documents the refusals of access: 401, 403 and 429', (_key, operation) => {
    expect(Object.keys(operation.responses)).toEqual(expect.arrayContaining(['401', '403', '429']));
  });

  it.each(commands.map(({ method, path, operation }) => [`${method} ${path}`, operation] as const))(
    '%s takes a JSON body of a served schema and documents its refusals, 415 included',
    (_key, operation) => {
      const ref = operation.requestBody?.content['application/json']?.schema.$ref ?? '';
      const schemaName = ref.replace('#/components/schemas/', '');
      expect([...Object.keys(REQUEST_SCHEMAS), ...Object.keys(REGISTRY_SCHEMAS)]).toContain(schemaName);
      expect(Object.keys(operation.responses)).toEqual(
        expect.arrayContaining(['400', '404', '409', '413', '415', '503']),
      );
    },
  );

  it('documents uploads as raw bytes of any type, and their refusals', () => {
    const upload = paths['/api/v1/runs/{runId}/artifacts/{path}'].put;
    expect(upload.requestBody?.content['*/*'].schema).toEqual({ type: 'string', format: 'binary' });
    expect(Object.keys(upload.responses)).toEqual(
      expect.arrayContaining(['201', '400', '404', '409', '413']),
    );
  });

  it('serves the request schemas the validator compiles, unchanged', () => {
    expect(document.components.schemas).toMatchObject({ ...REQUEST_SCHEMAS, ...TOKEN_SCHEMAS });
  });
});
