// The key-service management API as the operator, for setting up test fixtures over real HTTP.
import { randomUUID } from 'node:crypto';

export interface Reply<T = any> {
  status: number;
  body: T;
}

export function adminClient(baseUrl: string, adminToken = process.env.ADMIN_TOKEN!) {
  async function call<T = any>(
    method: string,
    path: string,
    body?: unknown,
    token: string | null = adminToken,
  ): Promise<Reply<T>> {
    const headers: Record<string, string> = {};
    if (token) headers.authorization = `Bearer ${token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(baseUrl + path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  }
  async function must<T = any>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await call<T>(method, path, body);
    if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  }
  return {
    call,
    must,
    async account(tier = 'pro', extra: Record<string, unknown> = {}): Promise<string> {
      return (
        await must<{ id: string }>('POST', '/v1/accounts', {
          name: `t-${randomUUID().slice(0, 8)}`,
          tier,
          ...extra,
        })
      ).id;
    },
    async key(accountId: string, extra: Record<string, unknown> = {}): Promise<{ id: string; key: string }> {
      return must('POST', '/v1/keys', {
        name: `k-${randomUUID().slice(0, 8)}`,
        owner: { type: 'account', id: accountId },
        ...extra,
      });
    },
  };
}
