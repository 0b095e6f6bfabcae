// The screen in the address (#/keys, #/usage, #/usage/<key id>, #/members, #/operator): back, forward and
// bookmarks work, and the server serves one page for all of them.
import { useEffect, useState } from 'react';

export type Route =
  { screen: 'keys' } | { screen: 'usage'; keyId?: string } | { screen: 'members' } | { screen: 'operator' };

export function parseRoute(hash: string): Route {
  const [screen, id] = hash.replace(/^#\/?/, '').split('/');
  if (screen === 'usage') return id && /^[0-9a-f-]{36}$/i.test(id) ? { screen, keyId: id } : { screen };
  if (screen === 'members' || screen === 'operator') return { screen };
  return { screen: 'keys' };
}

export const hrefOf = (route: Route) =>
  route.screen === 'usage' && route.keyId ? `#/usage/${route.keyId}` : `#/${route.screen}`;

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  useEffect(() => {
    const changed = () => setRoute(parseRoute(location.hash));
    addEventListener('hashchange', changed);
    return () => removeEventListener('hashchange', changed);
  }, []);
  return route;
}
