/**
 * What a chain watcher needs from a network: the payment token's transfers INTO a set of addresses,
 * with enough to count confirmations and to notice a reorg. One implementation per network
 * (evm-transfer-source.ts over JSON-RPC eth_getLogs, tron-transfer-source.ts over TronGrid); the
 * watcher (services/orders) owns cursors, matching and crediting.
 */
export interface ObservedTransfer {
  /** 0x-prefixed lower-case hex on Ethereum; 64 lower-case hex chars (no 0x) on TRON, as TronGrid shows it. */
  txHash: string;
  /** Position of the Transfer event in its transaction's logs (Ethereum: the block-wide log index). */
  logIndex: number;
  /** Canonical addresses (EIP-55 hex, or base58 T…), see services/chain/address.ts. */
  from: string;
  to: string;
  /** Token base units. */
  amount: bigint;
  blockNumber: number;
  /** Block hash, to recheck for a reorg while unconfirmed. Lower-case hex. */
  blockHash: string;
}
