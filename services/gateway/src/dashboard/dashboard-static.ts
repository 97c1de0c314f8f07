import { existsSync } from 'node:fs';
import { join } from 'node:path';
import express, { type NextFunction, type Request, type RequestHandler, type Response } from 'express';

/** Where `npm run build` puts the page (services/dashboard, built by Vite). */
export const DASHBOARD_DIR = join(__dirname, '..', '..', '..', '..', 'dashboard');

const PAGE_PATHS = new Set(['/', '/index.html']);

/**
 * Serves the dashboard: `/` is the page and `/assets/*` its bundles (content-hashed, so cached for good; the page
 * itself is revalidated, so a new build is seen at once). It is public like the API's documents: it holds no
 * data, and every request it makes carries the caller's credential. Anything else goes on untouched, without a
 * look at the disk, so the API's hot paths pay nothing for it.
 */
export function dashboardStatic(directory = DASHBOARD_DIR): RequestHandler | null {
  if (!existsSync(join(directory, 'index.html'))) return null;
  const assets = express.static(join(directory, 'assets'), {
    immutable: true,
    maxAge: '1y',
    index: false,
  });
  const page = express.static(directory, { index: 'index.html', maxAge: 0 });
  // What the folder does not have (or a path that would leave it) ends here, as a 404 of its own.
  const notFound = (response: Response) => response.status(404).type('text/plain').send('no such file');
  return (request: Request, response: Response, next: NextFunction) => {
    if (request.method !== 'GET' && request.method !== 'HEAD') return next();
    if (request.path.startsWith('/assets/')) {
      // express.static resolves within the folder it is given: `..` cannot leave it.
      request.url = request.url.slice('/assets'.length);
      return assets(request, response, () => notFound(response));
    }
    if (PAGE_PATHS.has(request.path)) {
      response.setHeader('cache-control', 'no-cache');
      request.url = '/index.html';
      return page(request, response, () => notFound(response));
    }
    return next();
  };
}
