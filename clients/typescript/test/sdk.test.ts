// The TypeScript SDK against the stateful mock and the real server, with node's own test
// runner. clients/tests/test_typescript_sdk.py starts both and passes them in
// THREADA_SDK_TARGETS (JSON: [{name, url, key, limited_key, control}]).
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';

import {
  DEFAULT_BASE_URL,
  retryingFetch,
  Threada,
  ThreadaError,
  type TicketCreate,
} from '../src/index';

type Target = {
  name: 'mock' | 'server';
  url: string;
  key: string;
  limited_key?: string;
  control?: string;
};

const TARGETS: Target[] = JSON.parse(process.env.THREADA_SDK_TARGETS ?? '[]');
const ROOT = process.env.THREADA_ROOT ?? join(__dirname, '..', '..', '..', '..');
const seed = (name: string) =>
  JSON.parse(readFileSync(join(ROOT, 'openapi', 'tests', 'fixtures', 'seed', `${name}.json`), 'utf8'));
const noWait = async () => {};

test('targets were given', () => {
  assert.ok(TARGETS.length >= 1, 'THREADA_SDK_TARGETS is empty');
});

test('the default base URL is the spec’s first server', () => {
  const bundle = JSON.parse(readFileSync(join(ROOT, 'openapi', 'dist', 'openapi.json'), 'utf8'));
  assert.equal(DEFAULT_BASE_URL, bundle.servers[0].url);
});

describe('retryingFetch on its own', () => {
  const scripted = (answers: (Response | Error)[], seen: Request[]): typeof fetch =>
    async (input, init) => {
      seen.push(new Request(input, init));
      const answer = answers.shift()!;
      if (answer instanceof Error) throw answer;
      return answer;
    };

  test('503 and connection errors are retried with backoff for a GET', async () => {
    const seen: Request[] = [];
    const waits: number[] = [];
    const f = retryingFetch({
      fetch: scripted([new Response(null, { status: 503 }), new TypeError('fetch failed'), new Response('{}')], seen),
      sleep: async (s) => void waits.push(s),
    });
    assert.equal((await f('http://api.test/tickets')).status, 200);
    assert.deepEqual(waits, [0.5, 1]);
    assert.equal(seen.length, 3);
  });

  test('a POST keeps one Idempotency-Key across retries; a PATCH is not retried', async () => {
    const seen: Request[] = [];
    const f = retryingFetch({
      fetch: scripted([new TypeError('fetch failed'), new Response(null, { status: 201 })], seen),
      sleep: noWait,
    });
    await f('http://api.test/tickets', { method: 'POST', body: '{}' });
    const keys = new Set(seen.map((r) => r.headers.get('idempotency-key')));
    assert.equal(seen.length, 2);
    assert.equal(keys.size, 1);
    assert.ok([...keys][0]);

    const patches: Request[] = [];
    const p = retryingFetch({ fetch: scripted([new TypeError('fetch failed')], patches), sleep: noWait });
    await assert.rejects(p('http://api.test/tickets/x', { method: 'PATCH', body: '{}' }), TypeError);
    assert.equal(patches.length, 1);
  });
});

for (const target of TARGETS) {
  const client = () => new Threada({ apiKey: target.key, baseUrl: target.url, sleep: noWait });

  describe(target.name, () => {
    test('the page’s three examples', async () => {
      const threada = client();
      const create = seed('create_ticket');
      const body: TicketCreate = create.request.body;
      const created = await threada.tickets.create(body);
      const summary = created.ticket.summary;
      assert.equal(summary.channel, create.response.ticket.summary.channel);
      assert.ok(summary.ticket_id);
      if (target.name === 'server') {
        assert.equal(summary.subject, body.subject);
        assert.equal(created.ticket.contact.email, body.contact.email);
        assert.deepEqual(summary.tags, ['returns']);
      }

      const listing = seed('list_tickets');
      const page = await threada.tickets.list({ limit: Number(listing.request.query.limit) });
      assert.ok(page.items.length > 0);
      if (target.name === 'server') {
        assert.ok(page.items.some((t) => t.ticket_id === summary.ticket_id));
      }

      const run = seed('run_action');
      const { action } = await threada.actions.run(summary.ticket_id, run.request.body);
      assert.equal(action.action_type, 'custom_http');
      assert.equal(action.payload.url, '/hooks/zapier');
      if (target.name === 'server') {
        assert.equal(action.status, 'succeeded');
        assert.equal(action.result?.http_status, 200);
      }
    });

    test('iterate walks every page', async () => {
      const threada = client();
      const made = new Set<string>();
      for (let i = 0; i < 5; i++) {
        const r = await threada.tickets.create({
          subject: `TS paging ${i}`,
          channel: 'chat',
          contact: { phone: '+919812345678' },
          initial_message: { role: 'user', content: 'hello' },
        });
        made.add(r.ticket.summary.ticket_id);
      }
      const first = await threada.tickets.list({ limit: 2 });
      const seen: string[] = [];
      for await (const t of threada.tickets.iterate({ limit: 2 })) seen.push(t.ticket_id);
      assert.equal(new Set(seen).size, seen.length, 'a ticket came twice');
      assert.ok(seen.length > 2, 'only one page was read');
      assert.deepEqual(seen.slice(0, 2), first.items.map((t) => t.ticket_id));
      if (target.name === 'server') {
        for (const id of made) assert.ok(seen.includes(id), `${id} was not walked`);
        const all = await threada.tickets.list({ limit: 100 });
        assert.equal(seen.length, all.items.length);
      }
    });

    test('an error is a typed ThreadaError', async () => {
      const body = seed('create_ticket').request.body;
      await assert.rejects(
        client().tickets.create({ ...body, contact: { email: 'not-an-email' } }),
        (err: unknown) => {
          assert.ok(err instanceof ThreadaError);
          assert.equal(err.type, 'invalid_request');
          assert.equal(err.code, 400);
          assert.ok(err.message && err.requestId);
          assert.deepEqual(err.details.map((d) => d.field), ['body.contact.email']);
          return true;
        },
      );
    });

    if (target.name === 'mock') {
      test('a 429 is retried after Retry-After, then raised', async () => {
        const waits: number[] = [];
        const threada = new Threada({
          apiKey: target.key,
          baseUrl: target.url,
          maxRetries: 2,
          sleep: async (s) => void waits.push(s),
          headers: { Prefer: 'code=429' },
        });
        await assert.rejects(threada.tickets.list(), (err: unknown) => {
          assert.ok(err instanceof ThreadaError);
          assert.equal(err.type, 'rate_limited');
          assert.equal(err.code, 429);
          assert.ok(err.retryAfter !== undefined);
          assert.deepEqual(waits, [err.retryAfter, err.retryAfter]);
          return true;
        });
      });
    } else {
      test('a 429 is retried after Retry-After and succeeds', async () => {
        const waits: number[] = [];
        const threada = new Threada({
          apiKey: target.limited_key!,
          baseUrl: target.url,
          // The server's rate-limit window moves on by what the SDK waits (see conftest).
          sleep: async (s) => {
            waits.push(s);
            const r = await fetch(`${target.control}/shift?seconds=${s}`, { method: 'POST' });
            assert.equal(r.status, 204);
          },
        });
        let page;
        for (let i = 0; i < 4; i++) page = await threada.tickets.list({ limit: 1 });
        assert.ok(page && Array.isArray(page.items));
        assert.equal(waits.length, 1);
        assert.ok(waits[0] >= 1 && waits[0] <= 60, String(waits));
      });

      test('a POST whose answer was lost is retried with the same Idempotency-Key', async () => {
        const keys: (string | null)[] = [];
        const lossy: typeof fetch = async (input, init) => {
          const request = new Request(input, init);
          if (request.method === 'POST') keys.push(request.headers.get('idempotency-key'));
          const response = await fetch(request);
          if (request.method === 'POST' && keys.length === 1) {
            await response.arrayBuffer();
            throw new TypeError('fetch failed'); // the answer never arrived
          }
          return response;
        };
        const threada = new Threada({
          apiKey: target.key,
          baseUrl: target.url,
          sleep: noWait,
          fetch: lossy,
        });
        const body = { ...seed('create_ticket').request.body, subject: 'TS idempotent' };
        const created = await threada.tickets.create(body);
        assert.equal(keys.length, 2);
        assert.ok(keys[0] && keys[0] === keys[1]);
        const same = (await threada.tickets.list({ limit: 100 })).items.filter(
          (t) => t.subject === 'TS idempotent',
        );
        assert.deepEqual(same.map((t) => t.ticket_id), [created.ticket.summary.ticket_id]);
      });

      test('an unknown ticket is not_found', async () => {
        await assert.rejects(client().tickets.get('tkt_01JKQ3V9X8M2D4R7T5W6Y8Z0AB'), {
          name: 'ThreadaError',
          type: 'not_found',
          code: 404,
        });
      });
    }
  });
}
