import { userInfo } from 'node:os';
import type { AuthConfig, JwtConfig } from '../../../../libs/access/src';

export interface AuthSettings extends AuthConfig {
  /** How often every process reads the access topic: a revocation takes effect within this and one read. */
  accessPollMs: number;
}

const LOOPBACK = /^(127\.\d{1,3}\.\d{1,3}\.\d{1,3}|::1|localhost|::ffff:127\.\d{1,3}\.\d{1,3}\.\d{1,3})$/i;

export function isLoopback(host: string): boolean {
  return LOOPBACK.test(host.replace(/^\[|\]$/g, ''));
}

/** The local owner is named after the OS user who started Runlog, as a laptop user expects to see. */
function localOwnerName(env: NodeJS.ProcessEnv): string {
  if (env.RUNLOG_LOCAL_OWNER) return env.RUNLOG_LOCAL_OWNER;
  let user = 'owner';
  try {
    user = userInfo().username.replace(/[^A-Za-z0-9_.@+-]/g, '') || 'owner';
  } catch {
    // No passwd entry (a container's random uid): the generic name will do.
  }
  return `local:${user}`.slice(0, 128);
}

function jwtConfig(env: NodeJS.ProcessEnv): JwtConfig {
  const missing = ['RUNLOG_JWT_JWKS_URL', 'RUNLOG_JWT_ISSUER', 'RUNLOG_JWT_AUDIENCE'].filter(
    (name) => !env[name],
  );
  if (missing.length > 0) throw new Error(`RUNLOG_AUTH=jwt needs ${missing.join(', ')}`);
  const jwksUrl = env.RUNLOG_JWT_JWKS_URL as string;
  if (!/^https?:\/\//.test(jwksUrl))
    throw new Error(`RUNLOG_JWT_JWKS_URL must be an http(s) URL, got "${jwksUrl}"`);
  return {
    jwksUrl,
    issuer: env.RUNLOG_JWT_ISSUER as string,
    audience: env.RUNLOG_JWT_AUDIENCE as string,
    nameClaim: env.RUNLOG_JWT_NAME_CLAIM || 'sub',
    rolesClaim: env.RUNLOG_JWT_ROLES_CLAIM || 'runlog_roles',
  };
}

/**
 * RUNLOG_AUTH: unset, Runlog on the loopback address serves its local owner without a token (and takes tokens
 * when sent), and anywhere else refuses to start; `tokens`, `jwt` or `tokens,jwt` require a credential on every
 * request but the public ones; `off` serves everyone as the local owner, wherever it listens.
 */
export function loadAuthSettings(env: NodeJS.ProcessEnv, host: string): AuthSettings {
  const raw = (env.RUNLOG_AUTH ?? '').trim();
  const methods = raw === '' || raw === 'off' ? [] : raw.split(',').map((method) => method.trim());
  for (const method of methods) {
    if (method !== 'tokens' && method !== 'jwt') {
      throw new Error(`RUNLOG_AUTH must be off, tokens, jwt or tokens,jwt, got "${raw}"`);
    }
  }
  if (raw === '' && !isLoopback(host)) {
    throw new Error(
      `Runlog listens on ${host}, beyond this machine, and no authentication is configured: set RUNLOG_AUTH=tokens ` +
        '(API tokens; RUNLOG_BOOTSTRAP_TOKEN issues the first), RUNLOG_AUTH=jwt (an identity provider, with ' +
        'RUNLOG_JWT_JWKS_URL, RUNLOG_JWT_ISSUER and RUNLOG_JWT_AUDIENCE), or RUNLOG_AUTH=off to serve anyone who ' +
        'can reach the port as its owner',
    );
  }
  const bootstrapToken = env.RUNLOG_BOOTSTRAP_TOKEN || null;
  if (bootstrapToken !== null && bootstrapToken.length < 32) {
    throw new Error('RUNLOG_BOOTSTRAP_TOKEN must be at least 32 characters (try: openssl rand -base64 32)');
  }
  const documents = env.RUNLOG_AUTH_DOCUMENTS || 'public';
  if (documents !== 'public' && documents !== 'protected') {
    throw new Error(`RUNLOG_AUTH_DOCUMENTS must be public or protected, got "${documents}"`);
  }
  const poll = env.RUNLOG_ACCESS_POLL_MS ? Number(env.RUNLOG_ACCESS_POLL_MS) : 500;
  if (!Number.isInteger(poll) || poll < 50 || poll > 60_000) {
    throw new Error(
      `RUNLOG_ACCESS_POLL_MS must be an integer from 50 to 60000, got "${env.RUNLOG_ACCESS_POLL_MS}"`,
    );
  }
  return {
    mode: raw === 'off' ? 'off' : methods.length > 0 ? 'required' : 'local',
    tokens: methods.length === 0 || methods.includes('tokens'),
    jwt: methods.includes('jwt') ? jwtConfig(env) : null,
    bootstrapToken,
    localOwner: localOwnerName(env),
    documents,
    accessPollMs: poll,
  };
}
