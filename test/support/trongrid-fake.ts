import { createHash } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { id } from 'ethers';
import { TronWeb } from 'tronweb';

/**
 * A local stand-in for TronGrid (java-tron's HTTP API) that answers exactly what a TRC20 balance
 * read needs: POST /wallet/triggerconstantcontract (and /walletsolidity/…, same state) calling
 * `balanceOf(address)`.
 *
 * Wire format, from java-tron's TriggerConstantContractServlet and JsonFormat/HttpSelfFormatFieldName:
 * - request `{ owner_address, contract_address, function_selector, parameter, visible? }` (or `data`
 *   = selector + parameter instead of function_selector/parameter); with `visible: true` the
 *   addresses are base58 `T…`, otherwise hex `41…`.
 * - success: HTTP 200 `{ result: { result: true }, energy_used, constant_result: [<64 hex>],
 *   transaction: {…} }`.
 * - a contract address with no contract: HTTP 200 `{ result: { code: "CONTRACT_VALIDATE_ERROR",
 *   message } }`, message "Smart contract is not exist." — plain text when `visible: true`, hex of
 *   its UTF-8 bytes otherwise (`Return.message` is a "name string" field); `result: false` is a
 *   protobuf default and is left out of the JSON.
 * - a malformed request: HTTP 200 with code OTHER_ERROR, as java-tron answers any other exception.
 *   Missing fields use java-tron's wording; the fake's own stricter checks (address format for the
 *   `visible` mode, a balanceOf parameter with dirty padding, a selector other than balanceOf) say
 *   "trongrid-fake: …" so a client bug is obvious in a test failure.
 *
 * The balance looked up is that of the address in `parameter` (the holder); `owner_address` is only
 * the caller. A contract exists once setBalance() has named it.
 */
export interface TronGridFake {
  /** http://127.0.0.1:PORT, the base URL a TronGrid client is configured with. */
  url: string;
  /** Every request received, in order, including those answered by failNext()/unknown paths. */
  requests: RecordedRequest[];
  /** Sets a TRC20 balance; both addresses base58 `T…`. Creates the contract if it is new. */
  setBalance(contractBase58: string, ownerBase58: string, amount: bigint): void;
  /** The next `n` requests get HTTP `status` (default 500) instead of an answer. */
  failNext(n: number, status?: number): void;
  /** The next `n` requests are answered only after `ms` milliseconds. */
  delayNext(n: number, ms: number): void;
  stop(): Promise<void>;
}

export interface RecordedRequest {
  method: string;
  path: string;
  /** The parsed JSON body, or the raw text when it is not JSON. */
  body: unknown;
  /** Node lower-cases header names: the API key is `headers['tron-pro-api-key']`. */
  headers: IncomingHttpHeaders;
}

/** keccak256("balanceOf(address)")[0..4] */
export const BALANCE_OF_SELECTOR = '70a08231';
/** What java-tron's Wallet.triggerConstantContract says for an address without a contract. */
export const NO_CONTRACT_MESSAGE = 'Smart contract is not exist.';
/** energy_used reported for a balanceOf read (the order of magnitude of USDT's). */
export const BALANCE_OF_ENERGY = 935;

const TRIGGER_PATHS = new Set(['/wallet/triggerconstantcontract', '/walletsolidity/triggerconstantcontract']);

type Json = Record<string, unknown>;

/** A request java-tron would refuse (or the fake does not model): answered with code OTHER_ERROR. */
class BadRequest extends Error {}

/** java-tron's wording for a missing required field (InvalidParameterException, caught by the servlet). */
const notSet = (field: string): BadRequest => new BadRequest(`class java.security.InvalidParameterException : ${field} isn't set.`);

export async function startTronGridFake(): Promise<TronGridFake> {
  /** contract hex (41…, lower case) → holder hex → balance */
  const balances = new Map<string, Map<string, bigint>>();
  const requests: RecordedRequest[] = [];
  const timers = new Set<NodeJS.Timeout>();
  let fail = { remaining: 0, status: 500 };
  let delay = { remaining: 0, ms: 0 };

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const path = new URL(req.url ?? '/', 'http://fake').pathname;
      requests.push({ method: req.method ?? '', path, body: parseJson(text) ?? text, headers: req.headers });

      const failStatus = fail.remaining > 0 ? (fail.remaining--, fail.status) : undefined;
      const delayMs = delay.remaining > 0 ? (delay.remaining--, delay.ms) : 0;
      const answer = (): void => {
        if (res.destroyed) return; // the client gave up (e.g. its timeout fired)
        if (failStatus !== undefined) return send(res, failStatus, { Error: `trongrid-fake: injected HTTP ${failStatus}` });
        if (!TRIGGER_PATHS.has(path)) return send(res, 404, { Error: `trongrid-fake: no route for ${path}` });
        if (req.method !== 'POST') return send(res, 405, { Error: `trongrid-fake: ${path} takes POST` });
        try {
          send(res, 200, trigger(text));
        } catch (e) {
          send(res, 500, { Error: `trongrid-fake: ${String(e)}` });
        }
      };
      if (delayMs <= 0) return answer();
      const timer = setTimeout(() => {
        timers.delete(timer);
        answer();
      }, delayMs);
      timers.add(timer);
    });
  });

  function trigger(text: string): Json {
    const body = parseJson(text);
    const visible = body?.visible === true || body?.visible === 'true';
    try {
      if (!body) throw new BadRequest('trongrid-fake: the request body is not a JSON object');
      const owner = readAddress(body, 'owner_address', visible);
      const contract = readAddress(body, 'contract_address', visible);
      const data = callData(body);
      const holders = balances.get(contract);
      if (!holders) return errorResult('CONTRACT_VALIDATE_ERROR', NO_CONTRACT_MESSAGE, visible);
      if (data.slice(0, 8) !== BALANCE_OF_SELECTOR) {
        throw new BadRequest(`trongrid-fake: only balanceOf(address) (${BALANCE_OF_SELECTOR}) is modelled, got ${data.slice(0, 8)}`);
      }
      const holder = holderFromParameter(data.slice(8));
      const balance = holders.get(holder) ?? 0n;
      return {
        result: { result: true },
        energy_used: BALANCE_OF_ENERGY,
        constant_result: [balance.toString(16).padStart(64, '0')],
        transaction: transactionFor(owner, contract, data, visible),
      };
    } catch (e) {
      if (!(e instanceof BadRequest)) throw e;
      return errorResult('OTHER_ERROR', e.message, visible);
    }
  }

  await new Promise<void>((ok, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => ok());
  });
  const { port } = server.address() as AddressInfo;

  let stopped: Promise<void> | undefined;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    setBalance(contractBase58, ownerBase58, amount) {
      if (amount < 0n || amount >= 1n << 256n) throw new RangeError(`setBalance(): ${amount} is not a uint256`);
      const contract = base58ToHex(contractBase58, 'contractBase58');
      const holder = base58ToHex(ownerBase58, 'ownerBase58');
      let holders = balances.get(contract);
      if (!holders) balances.set(contract, (holders = new Map()));
      holders.set(holder, amount);
    },
    failNext(n, status = 500) {
      if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`failNext(): n must be a non-negative integer, got ${n}`);
      if (!Number.isInteger(status) || status < 100 || status > 599) throw new RangeError(`failNext(): bad HTTP status ${status}`);
      fail = { remaining: n, status };
    },
    delayNext(n, ms) {
      if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`delayNext(): n must be a non-negative integer, got ${n}`);
      if (!(ms >= 0)) throw new RangeError(`delayNext(): ms must be >= 0, got ${ms}`);
      delay = { remaining: n, ms };
    },
    stop() {
      stopped ??= new Promise<void>((ok) => {
        for (const t of timers) clearTimeout(t);
        timers.clear();
        server.close(() => ok());
        server.closeAllConnections();
      });
      return stopped;
    },
  };
}

function send(res: ServerResponse, status: number, body: Json): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function parseJson(text: string): Json | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Json) : undefined;
  } catch {
    return undefined;
  }
}

/** `{ result: { code, message } }`, message encoded as java-tron prints `Return.message`. */
function errorResult(code: string, message: string, visible: boolean): Json {
  return { result: { code, message: visible ? message : Buffer.from(message, 'utf8').toString('hex') } };
}

const HEX_ADDRESS = /^41[0-9a-fA-F]{40}$/;

function base58ToHex(address: string, field: string): string {
  if (!/^T[1-9A-HJ-NP-Za-km-z]{33}$/.test(address) || !TronWeb.isAddress(address)) {
    throw new TypeError(`${field} is not a base58check TRON address: ${address}`);
  }
  return TronWeb.address.toHex(address).toLowerCase();
}

/** A request address as hex 41… (lower case); base58 with visible=true, hex otherwise, as java-tron. */
function readAddress(body: Json, field: string, visible: boolean): string {
  const value = body[field];
  if (typeof value !== 'string' || value === '') throw notSet(field);
  if (visible) {
    try {
      return base58ToHex(value, field);
    } catch {
      throw new BadRequest(`trongrid-fake: ${field} is not a base58 address (visible is true): ${value}`);
    }
  }
  if (!HEX_ADDRESS.test(value)) throw new BadRequest(`trongrid-fake: ${field} is not a 41… hex address (visible is false): ${value}`);
  return value.toLowerCase();
}

/** selector (8 hex) + ABI-encoded arguments, from function_selector + parameter, or data. */
function callData(body: Json): string {
  const selector = body.function_selector;
  if (typeof selector === 'string' && selector !== '') {
    const parameter = body.parameter ?? '';
    if (typeof parameter !== 'string' || !/^([0-9a-fA-F]{2})*$/.test(parameter)) {
      throw new BadRequest('trongrid-fake: parameter is not a hex string');
    }
    return `${id(selector.replace(/\s+/g, '')).slice(2, 10)}${parameter}`.toLowerCase();
  }
  if (typeof body.data === 'string' && /^[0-9a-fA-F]{8}([0-9a-fA-F]{2})*$/.test(body.data)) return body.data.toLowerCase();
  throw notSet('function_selector');
}

/**
 * The holder from a balanceOf parameter: one 32-byte word, the 20-byte account left-padded with
 * zeros (no 0x41 prefix). Anything else is rejected loudly instead of being masked as an old TRC20
 * contract might, so a client's encoding bug shows up in tests.
 */
function holderFromParameter(parameter: string): string {
  if (!/^0{24}[0-9a-f]{40}$/.test(parameter)) {
    throw new BadRequest(`trongrid-fake: balanceOf parameter must be one word: 24 zero hex digits + the 20-byte address, got "${parameter}"`);
  }
  return `41${parameter.slice(24)}`;
}

/** A minimal TriggerSmartContract transaction, shaped like java-tron's (not signable, no raw_data_hex). */
function transactionFor(ownerHex: string, contractHex: string, data: string, visible: boolean): Json {
  const show = (hex: string): string => (visible ? TronWeb.address.fromHex(hex) : hex);
  const now = Date.now();
  const rawData = {
    contract: [
      {
        parameter: {
          value: { data, owner_address: show(ownerHex), contract_address: show(contractHex) },
          type_url: 'type.googleapis.com/protocol.TriggerSmartContract',
        },
        type: 'TriggerSmartContract',
      },
    ],
    ref_block_bytes: '0000',
    ref_block_hash: '0000000000000000',
    expiration: now + 60_000,
    timestamp: now,
  };
  return {
    ret: [{}],
    visible,
    txID: createHash('sha256').update(JSON.stringify(rawData)).digest('hex'),
    raw_data: rawData,
  };
}
