import { Agent, request as httpRequest } from 'node:http';
import type { RawRequest } from './bad-input-case';

export interface RawAnswer {
  status: number;
  body: unknown;
  /** The response text when it was not JSON, or why no answer came. */
  text: string;
  elapsedMs: number;
}

const ANSWER_TIMEOUT_MS = 10_000;

/**
 * Sends a request with node:http rather than fetch: fetch normalizes `../` in paths, sets Content-Length itself
 * and refuses to declare more bytes than it sends, which are the inputs under test here.
 */
export function sendRaw(base: string, raw: RawRequest, agent: Agent): Promise<RawAnswer> {
  const started = Date.now();
  const url = new URL(base);
  const body = raw.body === undefined ? undefined : Buffer.from(raw.body);
  const headers: Record<string, string> = { ...raw.headers };
  if (raw.declaredLength !== undefined) headers['content-length'] = String(raw.declaredLength);
  else headers['content-length'] = String(body?.length ?? 0);
  return new Promise((resolve) => {
    const request = httpRequest({
      host: url.hostname,
      port: url.port,
      method: raw.method,
      path: raw.path,
      headers,
      // A request that declares more than it sends leaves its connection unusable: it gets one of its own.
      agent: raw.declaredLength === undefined ? agent : false,
    });
    const finish = (answer: Omit<RawAnswer, 'elapsedMs'>) => {
      clearTimeout(timer);
      resolve({ ...answer, elapsedMs: Date.now() - started });
      if (raw.declaredLength !== undefined) request.destroy();
    };
    const timer = setTimeout(() => {
      request.destroy();
      finish({ status: 0, body: undefined, text: `no answer within ${ANSWER_TIMEOUT_MS} ms` });
    }, ANSWER_TIMEOUT_MS);
    request.on('error', (error) => finish({ status: 0, body: undefined, text: `error: ${error.message}` }));
    request.on('response', (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('error', (error) =>
        finish({ status: 0, body: undefined, text: `error: ${error.message}` }),
      );
      response.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let parsed: unknown;
        try {
          parsed = text ? JSON.parse(text) : undefined;
        } catch {
          parsed = undefined;
        }
        finish({ status: response.statusCode ?? 0, body: parsed, text: text.slice(0, 500) });
      });
    });
    if (body) request.write(body);
    // A declared length never sent stays open: the answer must come before the body is complete.
    if (raw.declaredLength === undefined) request.end();
  });
}
