// Every REST error body is `{detail, code}`: the catalogue's code for the status answered, with the original's
// text, whichever layer refused the request (a route, Express, the socket.io path, Node's HTTP parser); and the
// OpenAPI document lists the authentication errors on every route that needs a user.
import { describe, expect, it } from 'vitest';
import { ERROR_CODES, type ErrorCode } from '../../src/contract/error-codes.ts';
import { makeCleaning, makeUser } from '../helpers/api.ts';
import { useLiveServer } from '../helpers/live-server.ts';
import { rawClient } from '../hardening/raw-http.ts';

const suite = useLiveServer();

/** The four 401s a route that needs a user may answer, written out here so that the document cannot drop one. */
const AUTHENTICATION_CODES = ['NOT_AUTHENTICATED', 'INVALID_TOKEN', 'NO_AUTHENTICATED_USER', 'INACTIVE_USER'];

type Example = { value: { detail: unknown; code: unknown } };
type Operation = {
  operationId: string;
  security?: unknown[];
  responses: Record<string, { content?: Record<string, { examples?: Record<string, Example> }> }>;
};
type Doc = {
  paths: Record<string, Record<string, Operation>>;
  components: {
    schemas: Record<string, { enum?: string[]; properties?: Record<string, unknown>; required?: string[] }>;
  };
};

/** What the catalogue says `code` answers. */
function catalogued(code: ErrorCode) {
  return { status: ERROR_CODES[code].status, body: { detail: ERROR_CODES[code].detail, code } };
}

describe('REST error bodies', () => {
  it('carry the catalogue’s code and text, with the code’s status, for refusals from every layer', async () => {
    const [owner, other] = [await makeUser(suite.server.url), await makeUser(suite.server.url)];
    const cleaning = await makeCleaning(owner);
    const anonymous = suite.api;
    const samples: [ErrorCode, Promise<{ status: number; body: unknown }>][] = [
      ['NOT_AUTHENTICATED', anonymous.get('/api/cleanings/')],
      ['INVALID_TOKEN', anonymous.as('not-a-jwt').get('/api/cleanings/')],
      [
        'LOGIN_FAILED',
        anonymous.post('/api/users/login/token/', {
          form: { username: owner.email, password: 'wrong-password' },
        }),
      ],
      [
        'EMAIL_TAKEN',
        anonymous.post('/api/users/', {
          json: {
            new_user: { email: owner.email, username: `${owner.username}_2`, password: 'long-enough-1' },
          },
        }),
      ],
      ['CLEANING_NOT_FOUND', owner.api.get('/api/cleanings/2147483647/')],
      [
        'CLEANING_FORBIDDEN',
        other.api.put(`/api/cleanings/${cleaning.id}/`, { json: { cleaning_update: { name: 'x' } } }),
      ],
      ['OWN_CLEANING_OFFER', owner.api.post(`/api/cleanings/${cleaning.id}/offers/`)],
      ['PROFILE_NOT_FOUND', owner.api.get('/api/profiles/nobody_by_that_name/')],
      [
        'MALFORMED_BODY',
        owner.api.post('/api/cleanings/', { body: '{', headers: { 'content-type': 'application/json' } }),
      ],
      [
        'PAYLOAD_TOO_LARGE',
        owner.api.post('/api/cleanings/', { json: { new_cleaning: { name: 'x'.repeat(100_000) } } }),
      ],
      ['ROUTE_NOT_FOUND', owner.api.get('/api/no-such-thing/')],
      ['METHOD_NOT_ALLOWED', owner.api.delete('/api/users/')],
      ['METHOD_NOT_ALLOWED', anonymous.request('PUT', '/socket.io/?EIO=4&transport=polling')],
    ];
    for (const [code, answer] of samples) {
      const { status, body } = await answer;
      expect({ code, status, body }).toEqual({ code, ...catalogued(code) });
    }

    const client = rawClient(suite.server.url, 1);
    const tooLong = await client.send({
      label: '',
      method: 'GET',
      path: `/api/profiles/${'a'.repeat(20_000)}/`,
    });
    client.close();
    expect({ status: tooLong.status, body: tooLong.json }).toEqual(catalogued('HEADERS_TOO_LARGE'));
  });

  it('keep a 422’s list of problems in `detail`, with the code socket acks use for it', async () => {
    const owner = await makeUser(suite.server.url);
    const res = await owner.api.get('/api/cleanings/not-an-id/');
    expect(res.status).toBe(422);
    expect(res.body).toEqual({
      detail: [expect.objectContaining({ loc: ['path', 'cleaning_id'], msg: expect.any(String) })],
      code: 'VALIDATION_FAILED',
    });
  });
});

describe('the OpenAPI document’s errors', () => {
  async function document(): Promise<Doc> {
    return (await suite.api.get<Doc>('/api/openapi.json')).body;
  }
  const operations = (doc: Doc) => Object.values(doc.paths).flatMap((byMethod) => Object.values(byMethod));

  it('list the authentication errors on every route that needs a user, and on no other', async () => {
    const doc = await document();
    const authenticated = operations(doc).filter((op) => op.security);
    expect(authenticated.length).toBeGreaterThanOrEqual(19);
    for (const op of authenticated) {
      const examples = op.responses['401']?.content?.['application/json']?.examples ?? {};
      expect(Object.keys(examples), op.operationId).toEqual(expect.arrayContaining(AUTHENTICATION_CODES));
    }
    for (const op of operations(doc).filter((o) => !o.security)) {
      const examples = op.responses['401']?.content?.['application/json']?.examples ?? {};
      expect(Object.keys(examples), op.operationId).not.toContain('NOT_AUTHENTICATED');
    }
  });

  it('give every error example the code of its status, and declare `code` as the catalogue’s enum', async () => {
    const doc = await document();
    let checked = 0;
    for (const op of operations(doc)) {
      for (const [status, response] of Object.entries(op.responses)) {
        if (Number(status) < 400) continue;
        for (const [name, { value }] of Object.entries(
          response.content?.['application/json']?.examples ?? {},
        )) {
          const code = value.code as ErrorCode;
          expect(ERROR_CODES[code]?.status, `${op.operationId} ${status} ${name}`).toBe(Number(status));
          if (Number(status) === 422) expect(code).toBe('VALIDATION_FAILED');
          else expect(value).toEqual({ detail: ERROR_CODES[code].detail, code: name });
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThan(100);
    const { ErrorCode: codes, HTTPError: error, HTTPValidationError: invalid } = doc.components.schemas;
    expect(codes!.enum).toEqual(Object.keys(ERROR_CODES));
    expect(error!.properties!.code).toEqual({ $ref: '#/components/schemas/ErrorCode' });
    expect(error!.required).toEqual(['detail', 'code']);
    expect(invalid!.required).toEqual(['detail', 'code']);
  });
});
