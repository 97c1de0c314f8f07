import 'reflect-metadata';
import { RequestMethod, type Type } from '@nestjs/common';
import { METHOD_METADATA, MODULE_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { routeKey } from '../../libs/access/src';

function pathsOf(target: object): string[] {
  const paths = Reflect.getMetadata(PATH_METADATA, target) as string | string[] | undefined;
  if (paths === undefined) return [];
  return Array.isArray(paths) ? paths : [paths];
}

/** '/' + prefix + '/' + path, one slash between parts and none at the end: how Express registers it. */
function joinPath(prefix: string, path: string): string {
  const joined = `/${prefix}/${path}`.replace(/\/+/g, '/');
  return joined.length > 1 ? joined.replace(/\/$/, '') : joined;
}

/** The routes of one controller class, as the permissions table keys them ('POST /api/v1/runs/:runId/metrics'). */
export function controllerRoutes(controller: Type): string[] {
  const prototype = controller.prototype as Record<string, unknown>;
  const prefixes = pathsOf(controller);
  return Object.getOwnPropertyNames(prototype)
    .filter((name) => name !== 'constructor' && typeof prototype[name] === 'function')
    .map((name) => prototype[name] as object)
    .filter((handler) => Reflect.hasMetadata(METHOD_METADATA, handler))
    .flatMap((handler) => {
      const method = RequestMethod[Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod];
      return (prefixes.length > 0 ? prefixes : ['/']).flatMap((prefix) =>
        pathsOf(handler).map((path) => routeKey(method, joinPath(prefix, path))),
      );
    });
}

/** Every controller of the modules and of the modules they import (dynamic modules included), once each. */
export function moduleControllers(modules: readonly Type[]): Type[] {
  const seen = new Set<unknown>();
  const controllers = new Set<Type>();
  const visit = (module: unknown) => {
    if (!module || seen.has(module)) return;
    seen.add(module);
    const dynamic = module as { module?: Type; controllers?: Type[]; imports?: unknown[] };
    const type = typeof module === 'function' ? (module as Type) : dynamic.module;
    if (!type) return;
    for (const controller of [
      ...((Reflect.getMetadata(MODULE_METADATA.CONTROLLERS, type) as Type[] | undefined) ?? []),
      ...(dynamic.controllers ?? []),
    ]) {
      controllers.add(controller);
    }
    for (const imported of [
      ...((Reflect.getMetadata(MODULE_METADATA.IMPORTS, type) as unknown[] | undefined) ?? []),
      ...(dynamic.imports ?? []),
    ]) {
      visit(imported);
    }
  };
  modules.forEach(visit);
  return [...controllers];
}

/** The HTTP routes the server's Nest controllers declare, read statically from their decorators, sorted. */
export function nestRoutes(modules: readonly Type[], controllers: readonly Type[] = []): string[] {
  const routes = [...moduleControllers(modules), ...controllers].flatMap(controllerRoutes);
  return [...new Set(routes)].sort();
}
