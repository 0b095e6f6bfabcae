import { hrefOf, parseRoute } from './route';

describe('routes', () => {
  it('reads the screen from the address, keys by default', () => {
    expect(parseRoute('')).toEqual({ screen: 'keys' });
    expect(parseRoute('#/usage')).toEqual({ screen: 'usage' });
    expect(parseRoute('#/usage/11111111-1111-4111-8111-111111111111')).toEqual({
      screen: 'usage',
      keyId: '11111111-1111-4111-8111-111111111111',
    });
    expect(parseRoute('#/usage/../../v1/keys')).toEqual({ screen: 'usage' });
    expect(parseRoute('#/members')).toEqual({ screen: 'members' });
    expect(parseRoute('#/anything')).toEqual({ screen: 'keys' });
  });
  it('writes it back', () => {
    expect(hrefOf({ screen: 'usage', keyId: 'x' })).toBe('#/usage/x');
    expect(hrefOf({ screen: 'operator' })).toBe('#/operator');
  });
});
