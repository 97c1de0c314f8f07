import { ValidationError } from '../../../../libs/domain/src/errors';
import { parseArtifactPath } from './artifact-path';

describe('parseArtifactPath', () => {
  it.each([
    ['model.pt', 'model.pt'],
    ['checkpoints/epoch-3/model.safetensors', 'checkpoints/epoch-3/model.safetensors'],
    ['plots/loss%20curve.png', 'plots/loss curve.png'],
    ['r%C3%A9sum%C3%A9.txt', 'résumé.txt'],
    ['.hidden/config.yaml', '.hidden/config.yaml'],
    ['a..b/c...', 'a..b/c...'],
  ])('accepts %s as %s', (raw, path) => {
    expect(parseArtifactPath(raw)).toBe(path);
  });

  it.each([
    ['', /empty/],
    ['../secret', /"\.\." segment/],
    ['a/../../etc/passwd', /"\.\." segment/],
    ['./model.pt', /"\." segment/],
    ['/etc/passwd', /absolute/],
    ['%2Fetc%2Fpasswd', /percent-encodes/],
    ['%2e%2e/secret', /percent-encodes/],
    ['a/%2E%2E/b', /percent-encodes/],
    ['%252e%252e/secret', /percent-encodes/],
    ['..%5Csecret', /percent-encodes/],
    ['a%00.txt', /percent-encodes/],
    ['a\\b', /backslash/],
    ['a%0Ab', /control/],
    ['C:/Windows/win.ini', /drive letter/],
    ['a//b', /empty segment/],
    ['a/', /empty segment/],
    ['%E0%A4%A', /percent-encoded UTF-8/],
    ['x'.repeat(256), /segment is longer than 255/],
    [Array.from({ length: 11 }, () => 'y'.repeat(100)).join('/'), /longer than 1024 bytes/],
  ])('refuses %s', (raw, why) => {
    expect(() => parseArtifactPath(raw)).toThrow(why);
    expect(() => parseArtifactPath(raw)).toThrow(ValidationError);
  });
});
