import { AbiCoder, Contract, FetchRequest, JsonRpcProvider } from 'ethers';
import { Network } from '../../entities/enums.js';
import { tronAddressToEvmHex } from './address.js';

/** Reads a token balance of an address, in base units. */
export interface BalanceReader {
  balanceOf(contract: string, owner: string, signal: AbortSignal): Promise<bigint>;
}

export type BalanceReaders = Partial<Record<Network, BalanceReader>>;

const ERC20_ABI = ['function balanceOf(address owner) view returns (uint256)'];

/** ERC20 balanceOf through an Ethereum JSON-RPC endpoint (ethers). */
export function erc20Reader(rpcUrl: string, timeoutMs: number): BalanceReader & { destroy(): void } {
  const request = new FetchRequest(rpcUrl);
  request.timeout = timeoutMs;
  // The chain never changes under a running process: detect it once, not before every call.
  const provider = new JsonRpcProvider(request, undefined, { staticNetwork: true, batchMaxCount: 1 });
  return {
    async balanceOf(contract, owner) {
      const token = new Contract(contract, ERC20_ABI, provider);
      return (await token.getFunction('balanceOf').staticCall(owner)) as bigint;
    },
    destroy: () => provider.destroy(),
  };
}

interface TriggerConstantResponse {
  result?: { result?: boolean; code?: string; message?: string };
  constant_result?: string[];
}

/**
 * TRC20 balanceOf through TronGrid's `POST /wallet/triggerconstantcontract` (a read-only call; no
 * transaction is signed or broadcast). Addresses are sent base58 with `visible: true`.
 */
export function trc20Reader(apiUrl: string, apiKey?: string): BalanceReader {
  const endpoint = `${apiUrl.replace(/\/$/, '')}/wallet/triggerconstantcontract`;
  const coder = AbiCoder.defaultAbiCoder();
  return {
    async balanceOf(contract, owner, signal) {
      const parameter = coder.encode(['address'], [tronAddressToEvmHex(owner)]).slice(2);
      const res = await fetch(endpoint, {
        method: 'POST',
        signal,
        headers: { 'content-type': 'application/json', accept: 'application/json', ...(apiKey ? { 'TRON-PRO-API-KEY': apiKey } : {}) },
        body: JSON.stringify({ owner_address: owner, contract_address: contract, function_selector: 'balanceOf(address)', parameter, visible: true }),
      });
      if (!res.ok) throw new Error(`TronGrid answered HTTP ${res.status}`);
      const body = (await res.json()) as TriggerConstantResponse;
      const hex = body.constant_result?.[0];
      if (body.result?.result !== true || !hex || !/^[0-9a-fA-F]{1,64}$/.test(hex)) {
        const msg = body.result?.message;
        // java-tron sends messages hex-encoded.
        const why = msg ? (/^([0-9a-fA-F]{2})+$/.test(msg) ? Buffer.from(msg, 'hex').toString('utf8') : msg) : body.result?.code;
        throw new Error(`TronGrid refused balanceOf: ${why ?? 'no constant_result'}`);
      }
      return BigInt(`0x${hex}`);
    },
  };
}
