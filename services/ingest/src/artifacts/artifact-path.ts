import { ValidationError } from '../../../../libs/domain/src/errors';

export const MAX_ARTIFACT_PATH_BYTES = 1024;
const MAX_SEGMENT_BYTES = 255;
/** Percent-encodings of what could steer a path anywhere: '.', '/', '\', NUL, and '%' itself (double encoding). */
const ENCODED_STEERING = /%(2e|2f|5c|00|25)/i;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;
const DRIVE = /^[A-Za-z]:$/;

/**
 * An artifact's path inside its run, from the URL as the client sent it (still percent-encoded). Artifact paths
 * name files under a run and nothing else, so everything that could climb out of that tree, or mean something else
 * on some filesystem or proxy, is refused with a 400 before a byte is read: `..` and `.` segments, absolute paths
 * (a leading `/`, a drive letter), backslashes, NUL and control characters, percent-encoded `.`, `/`, `\`, NUL or `%`
 * (encoded or double-encoded traversal), empty segments, and names over 1024 bytes (255 per segment). MLflow's
 * artifact path-traversal advisories came from accepting some of these.
 */
export function parseArtifactPath(raw: string): string {
  const refuse = (why: string): never => {
    throw new ValidationError(
      `artifact path ${JSON.stringify(raw.slice(0, 200))} is refused: ${why}`,
      'path',
    );
  };
  if (raw.length === 0) refuse('it is empty');
  if (ENCODED_STEERING.test(raw)) refuse("it percent-encodes '.', '/', '\\', NUL or '%'");
  let path = '';
  try {
    path = decodeURIComponent(raw);
  } catch {
    refuse('it is not valid percent-encoded UTF-8');
  }
  if (Buffer.byteLength(path) > MAX_ARTIFACT_PATH_BYTES)
    refuse(`it is longer than ${MAX_ARTIFACT_PATH_BYTES} bytes`);
  if (CONTROL.test(path)) refuse('it holds NUL or a control character');
  if (path.includes('\\')) refuse('it holds a backslash');
  if (path.startsWith('/')) refuse('it is absolute');
  const segments = path.split('/');
  if (DRIVE.test(segments[0])) refuse('it starts with a drive letter');
  for (const segment of segments) {
    if (segment === '') refuse('it has an empty segment');
    if (segment === '.' || segment === '..') refuse(`it has a "${segment}" segment`);
    if (Buffer.byteLength(segment) > MAX_SEGMENT_BYTES)
      refuse(`a segment is longer than ${MAX_SEGMENT_BYTES} bytes`);
  }
  return path;
}
