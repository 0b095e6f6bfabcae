import { redactSecrets, upstreamClientError } from './upstream-errors.js';

const body = (message: string, param: unknown = null) => JSON.stringify({ error: { message, param } });

describe('upstream errors', () => {
  it('never relays a 401/403 body (it can quote the operator key)', () => {
    const e = upstreamClientError(
      401,
      body('Incorrect API key provided: sk-proj-AbCd****************wxyz.'),
      'openai',
    );
    expect(e).toMatchObject({ code: 'upstream_error' });
    expect(e.message).not.toMatch(/sk-|wxyz/);
    expect(upstreamClientError(403, body('org-123 denied'), 'p').message).not.toContain('org-123');
  });

  it('passes a validation message with anything key-like removed', () => {
    const e = upstreamClientError(
      400,
      body(
        "Invalid 'temperature': got 7 (key gw-sk-abcdefABCDEF0123456789abcdefABCDEF0123456xyzXYZ1)",
        'temperature',
      ),
      'p',
    );
    expect(e).toMatchObject({ code: 'invalid_request', param: 'temperature' });
    expect(e.message).toContain("Invalid 'temperature'");
    expect(e.message).not.toContain('abcdefABCDEF');
    expect(upstreamClientError(422, 'not json', 'p').message).toBe('Upstream p answered 422.');
    expect(upstreamClientError(413, body('too big'), 'p').code).toBe('request_too_large');
    expect(upstreamClientError(404, body('no model sk-live-123456'), 'p')).toMatchObject({
      code: 'model_not_found',
    });
  });

  it('redacts bearer tokens, prefixed keys and long opaque tokens, and bounds the length', () => {
    for (const secret of [
      'Bearer abc.def.ghi',
      'sk-ant-api03-xyzxyz',
      'rk_live_51Habc',
      'AIzaSyA1234567890abcdefghijklmno',
    ])
      expect(redactSecrets(`x ${secret} y`)).not.toContain(secret.slice(-5));
    expect(redactSecrets('a'.repeat(2000)).length).toBeLessThan(600);
  });
});
