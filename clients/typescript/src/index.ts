/**
 * Threada public API client for TypeScript (Node 20+, browsers).
 *
 *   import { Threada } from '@threada/client';
 *   const threada = new Threada({ apiKey: process.env.THREADA_API_KEY! });
 *   const page = await threada.tickets.list({ limit: 25 });
 *   for await (const ticket of threada.tickets.iterate({ status: ['open'] })) { ... }
 *
 * The types and HTTP calls are generated from the bundled spec by
 * @hey-api/openapi-ts (`./generated`, rebuilt by `make clients`); this file is
 * the thin layer around them: the key set once, page iteration,
 * Idempotency-Keys, retries and typed errors.
 */
import { randomUUID } from 'node:crypto';

import { type Client, createClient, createConfig } from './generated/client';
import * as api from './generated/sdk.gen';
import type * as T from './generated/types.gen';

export type * from './generated/types.gen';

/** One field at fault in an `invalid_request` error. */
export type ErrorDetail = NonNullable<T.ApiError['error']['details']>[number];

/** The spec's first server (servers[0].url). */
export const DEFAULT_BASE_URL = 'https://api.threada.ai/api/v1/public';
/** Retried only where repeating cannot do a thing twice: safe methods, and POSTs with an Idempotency-Key. */
const RETRYABLE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE']);
const RETRYABLE_STATUSES = new Set([429, 503]);

export interface ThreadaOptions {
  /** Sent as `X-Api-Key` on every request. */
  apiKey: string;
  /** Default: the production server. */
  baseUrl?: string;
  /** Retries after the first try (default 3). */
  maxRetries?: number;
  /** First backoff in seconds, doubled each try (default 0.5). Retry-After wins when given. */
  backoff?: number;
  /** Longest single wait in seconds (default 60). */
  maxWait?: number;
  /** How to wait (seconds); tests inject their own. */
  sleep?: (seconds: number) => Promise<void>;
  /** Extra headers on every request. */
  headers?: Record<string, string>;
  /** The fetch to use (default globalThis.fetch). */
  fetch?: typeof fetch;
}

/** An error answer of the API: its envelope `{"error": {type, message, code, ...}}`. */
export class ThreadaError extends Error {
  readonly type: string;
  readonly code: number;
  readonly requestId?: string;
  readonly details: ErrorDetail[];
  readonly retryAfter?: number;

  constructor(init: {
    type: string;
    message: string;
    code: number;
    requestId?: string;
    details?: ErrorDetail[];
    retryAfter?: number;
  }) {
    super(init.message);
    this.name = 'ThreadaError';
    this.type = init.type;
    this.code = init.code;
    this.requestId = init.requestId;
    this.details = init.details ?? [];
    this.retryAfter = init.retryAfter;
  }

  static from(response: Response, body: unknown): ThreadaError {
    const error = (body as Partial<T.ApiError> | undefined)?.error;
    const requestId = response.headers.get('x-request-id') ?? undefined;
    if (error && typeof error.type === 'string' && typeof error.code === 'number') {
      return new ThreadaError({
        type: error.type,
        message: error.message,
        code: error.code,
        requestId: error.request_id ?? requestId,
        details: error.details,
        retryAfter: retryAfter(response.headers),
      });
    }
    // Not the envelope (a proxy's page, say): still a typed error.
    return new ThreadaError({
      type: 'unexpected_response',
      message: typeof body === 'string' ? body.slice(0, 200) : `HTTP ${response.status}`,
      code: response.status,
      requestId,
    });
  }
}

function retryAfter(headers: Headers): number | undefined {
  const value = headers.get('retry-after');
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds);
  const when = Date.parse(value); // an HTTP-date
  return Number.isNaN(when) ? undefined : Math.max(0, (when - Date.now()) / 1000);
}

/**
 * A fetch that adds an Idempotency-Key to each POST that has none (the same one on its
 * retries) and retries 429 (after Retry-After), 503 and connection errors with
 * exponential backoff, for retryable requests only.
 */
export function retryingFetch(options: Omit<ThreadaOptions, 'apiKey'> = {}): typeof fetch {
  const base = options.fetch ?? globalThis.fetch;
  const maxRetries = options.maxRetries ?? 3;
  const backoff = options.backoff ?? 0.5;
  const maxWait = options.maxWait ?? 60;
  const sleep =
    options.sleep ?? ((s: number) => new Promise<void>((done) => setTimeout(done, s * 1000)));
  return async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    let request = new Request(input, init);
    if (request.method === 'POST' && !request.headers.has('idempotency-key')) {
      const headers = new Headers(request.headers);
      headers.set('Idempotency-Key', randomUUID());
      request = new Request(request, { headers });
    }
    const retryable =
      RETRYABLE_METHODS.has(request.method) || request.headers.has('idempotency-key');
    for (let attempt = 0; ; attempt++) {
      let wait = backoff * 2 ** attempt;
      try {
        const response = await base(request.clone());
        if (!RETRYABLE_STATUSES.has(response.status) || !retryable || attempt >= maxRetries) {
          return response;
        }
        wait = retryAfter(response.headers) ?? wait;
        await response.body?.cancel();
      } catch (error) {
        // fetch rejects with a TypeError when the connection fails.
        if (!(error instanceof TypeError) || !retryable || attempt >= maxRetries) throw error;
      }
      await sleep(Math.min(wait, maxWait));
    }
  };
}

type Result<D> = { data?: D; error?: unknown; response?: Response };

async function ok<D>(call: Promise<Result<D>>): Promise<D> {
  const { data, error, response } = await call;
  if (response && response.status < 400 && data !== undefined) return data;
  if (!response) throw error;
  throw ThreadaError.from(response, error);
}

async function* pages<Item, Q extends { page_token?: string }>(
  fetchPage: (query: Q) => Promise<{ items: Item[]; next_page_token: string | null }>,
  query: Q,
): AsyncGenerator<Item> {
  let q = { ...query };
  for (;;) {
    const page = await fetchPage(q);
    yield* page.items;
    if (!page.next_page_token) return;
    q = { ...q, page_token: page.next_page_token };
  }
}

type Query<D> = D extends { query?: infer Q } ? NonNullable<Q> : never;

export class Threada {
  /** The generated client, configured (for calls this layer does not wrap). */
  readonly client: Client;

  constructor(options: ThreadaOptions) {
    this.client = createClient(
      createConfig({
        baseUrl: (options.baseUrl ?? DEFAULT_BASE_URL).replace(/\/$/, ''),
        headers: { ...(options.headers ?? {}), 'X-Api-Key': options.apiKey },
        fetch: retryingFetch(options),
      }),
    );
  }

  readonly tickets = {
    /** One page (`items`, `next_page_token`). */
    list: (query: Query<T.ListTicketsData> = {}) =>
      ok(api.listTickets({ client: this.client, query })),
    /** Every ticket matching the query, page after page. */
    iterate: (query: Query<T.ListTicketsData> = {}) =>
      pages((q: Query<T.ListTicketsData>) => this.tickets.list(q), query),
    create: (body: T.TicketCreate, opts: { idempotencyKey?: string } = {}) =>
      ok(
        api.createTicket({
          client: this.client,
          body,
          headers: opts.idempotencyKey ? { 'Idempotency-Key': opts.idempotencyKey } : undefined,
        }),
      ),
    get: (ticketId: string) =>
      ok(api.getTicket({ client: this.client, path: { ticket_id: ticketId } })),
    update: (ticketId: string, patch: T.TicketPatch) =>
      ok(api.updateTicket({ client: this.client, path: { ticket_id: ticketId }, body: patch })),
  };

  readonly messages = {
    list: (ticketId: string, query: Query<T.ListMessagesData> = {}) =>
      ok(api.listMessages({ client: this.client, path: { ticket_id: ticketId }, query })),
    iterate: (ticketId: string, query: Query<T.ListMessagesData> = {}) =>
      pages((q: Query<T.ListMessagesData>) => this.messages.list(ticketId, q), query),
    add: (ticketId: string, body: T.MessageCreate, opts: { idempotencyKey?: string } = {}) =>
      ok(
        api.addMessage({
          client: this.client,
          path: { ticket_id: ticketId },
          body,
          headers: opts.idempotencyKey ? { 'Idempotency-Key': opts.idempotencyKey } : undefined,
        }),
      ),
  };

  readonly actions = {
    list: (ticketId: string, query: Query<T.ListActionsData> = {}) =>
      ok(api.listActions({ client: this.client, path: { ticket_id: ticketId }, query })),
    iterate: (ticketId: string, query: Query<T.ListActionsData> = {}) =>
      pages((q: Query<T.ListActionsData>) => this.actions.list(ticketId, q), query),
    run: (ticketId: string, body: T.ActionCreate, opts: { idempotencyKey?: string } = {}) =>
      ok(
        api.runAction({
          client: this.client,
          path: { ticket_id: ticketId },
          body,
          headers: opts.idempotencyKey ? { 'Idempotency-Key': opts.idempotencyKey } : undefined,
        }),
      ),
    get: (ticketId: string, actionId: string) =>
      ok(
        api.getAction({
          client: this.client,
          path: { ticket_id: ticketId, action_id: actionId },
        }),
      ),
  };
}
