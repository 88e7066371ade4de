/**
 * Self-test of the chain fixtures: a real anvil node with the TestToken artifact, and the TronGrid
 * fake driven over plain HTTP exactly as a TRC20 balance client would.
 */
import { AbiCoder, Contract, JsonRpcProvider, Wallet, getBytes, toUtf8String } from 'ethers';
import { TronWeb } from 'tronweb';
import { ANVIL_CHAIN_ID, loadTestTokenArtifact, startAnvil, type Anvil, type DeployedToken } from '../../support/anvil.js';
import {
  BALANCE_OF_ENERGY,
  NO_CONTRACT_MESSAGE,
  startTronGridFake,
  type TronGridFake,
} from '../../support/trongrid-fake.js';

const abi = AbiCoder.defaultAbiCoder();

describe('anvil fixture', () => {
  let anvil: Anvil;
  let token: DeployedToken;

  beforeAll(async () => {
    anvil = await startAnvil();
    token = await anvil.deployToken({ name: 'Test Tether', symbol: 'USDT', decimals: 6 });
  });
  afterAll(async () => {
    await anvil?.stop();
  });

  it('runs chain 31337 with a funded deployer that owns the token', async () => {
    expect(anvil.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(await anvil.provider.send('eth_chainId', [])).toBe('0x7a69');
    expect(anvil.chainId).toBe(ANVIL_CHAIN_ID);
    expect(await anvil.provider.getBalance(anvil.deployer.address)).toBeGreaterThan(10n ** 18n);
    expect(await token.contract.getFunction('owner')()).toBe(anvil.deployer.address);
  });

  it('deploys TestToken with 6 decimals; mint and transfer change balanceOf read through a fresh Contract', async () => {
    // A separate provider and Contract, as the balance-sync code would have: nothing shared with the fixture.
    const provider = new JsonRpcProvider(anvil.url, ANVIL_CHAIN_ID, { staticNetwork: true, cacheTimeout: -1 });
    try {
      const reader = new Contract(token.address, loadTestTokenArtifact().abi, provider);
      const balanceOf = (a: string): Promise<bigint> => reader.getFunction('balanceOf')(a) as Promise<bigint>;
      expect(await reader.getFunction('decimals')()).toBe(6n);
      expect(await reader.getFunction('symbol')()).toBe('USDT');
      expect(await reader.getFunction('name')()).toBe('Test Tether');

      const depositWallet = Wallet.createRandom().address;
      const deployer = anvil.deployer.address;
      expect(await balanceOf(depositWallet)).toBe(0n);

      await anvil.mint(token, deployer, 1_000_000_000n); // 1 000 USDT
      const receipt = await anvil.transfer(token.address, depositWallet, 12_345_678n);

      expect(await balanceOf(depositWallet)).toBe(12_345_678n);
      expect(await balanceOf(deployer)).toBe(1_000_000_000n - 12_345_678n);
      expect(await reader.getFunction('totalSupply')()).toBe(1_000_000_000n);

      const [log] = receipt.logs.map((l) => reader.interface.parseLog(l));
      expect(log?.name).toBe('Transfer');
      expect(log?.args.toArray()).toEqual([deployer, depositWallet, 12_345_678n]);
      expect(await provider.getBlockNumber()).toBe(receipt.blockNumber);
    } finally {
      provider.destroy();
    }
  });

  it('refuses a mint from anyone but the owner, and a transfer beyond the balance', async () => {
    const stranger = await anvil.provider.getSigner(1); // anvil's second dev account, unlocked
    const asStranger = token.contract.connect(stranger) as Contract;
    // staticCall: ethers v6 decodes custom errors from eth_call, not from the eth_estimateGas a send starts with.
    await expect(asStranger.getFunction('mint').staticCall(stranger.address, 1n)).rejects.toMatchObject({
      code: 'CALL_EXCEPTION',
      revert: { name: 'NotOwner', args: [stranger.address] },
    });
    await expect(asStranger.getFunction('mint')(stranger.address, 1n)).rejects.toMatchObject({ code: 'CALL_EXCEPTION' });
    await expect(asStranger.getFunction('transfer').staticCall(anvil.deployer.address, 1n)).rejects.toMatchObject({
      revert: { name: 'InsufficientBalance', args: [stranger.address, 0n, 1n] },
    });
  });

  it('keeps nonces straight for concurrent helper calls', async () => {
    const to = Wallet.createRandom().address;
    const receipts = await Promise.all([1n, 2n, 3n].map((n) => anvil.mint(token, to, n)));
    expect(receipts.map((r) => r.status)).toEqual([1, 1, 1]);
    expect(await token.contract.getFunction('balanceOf')(to)).toBe(6n);
  });

  it('mines blocks on demand', async () => {
    const before = await anvil.provider.getBlockNumber();
    await anvil.mine();
    await anvil.mine(5);
    expect(await anvil.provider.getBlockNumber()).toBe(before + 6);
  });

  it('stop() ends the node', async () => {
    await anvil.stop();
    await expect(fetch(anvil.url, { method: 'POST', body: '{}' })).rejects.toThrow();
    await anvil.stop(); // idempotent
  });
});

describe('TronGrid fake', () => {
  let fake: TronGridFake;
  // USDT's mainnet address and two holders derived from fixed keys: any valid base58 addresses do.
  const usdt = 'TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t';
  const holder = tronAddress('11'.repeat(32));
  const caller = tronAddress('22'.repeat(32));

  beforeAll(async () => {
    fake = await startTronGridFake();
  });
  afterAll(async () => {
    await fake?.stop();
  });
  beforeEach(() => {
    fake.requests.length = 0;
  });

  /** A TRC20 balanceOf read as a client sends it to TronGrid. */
  async function readBalance(
    contract: string,
    owner: string,
    opts: { visible?: boolean; apiKey?: string; signal?: AbortSignal } = {},
  ): Promise<{ status: number; body: TriggerResponse }> {
    const visible = opts.visible ?? true;
    const hex = (a: string): string => TronWeb.address.toHex(a); // 41…
    const res = await fetch(`${fake.url}/wallet/triggerconstantcontract`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json',
        ...(opts.apiKey ? { 'TRON-PRO-API-KEY': opts.apiKey } : {}),
      },
      body: JSON.stringify({
        owner_address: visible ? caller : hex(caller),
        contract_address: visible ? contract : hex(contract),
        function_selector: 'balanceOf(address)',
        parameter: abi.encode(['address'], [`0x${hex(owner).slice(2)}`]).slice(2),
        visible,
      }),
      signal: opts.signal,
    });
    return { status: res.status, body: (await res.json()) as TriggerResponse };
  }

  it('answers balanceOf with the balance set (base58 addresses, visible: true)', async () => {
    fake.setBalance(usdt, holder, 123_456_789n);
    const { status, body } = await readBalance(usdt, holder, { apiKey: 'test-key' });
    expect(status).toBe(200);
    expect(body.result).toEqual({ result: true });
    expect(body.energy_used).toBe(BALANCE_OF_ENERGY);
    expect(body.constant_result).toHaveLength(1);
    expect(body.constant_result?.[0]).toMatch(/^[0-9a-f]{64}$/);
    expect(abi.decode(['uint256'], `0x${body.constant_result?.[0]}`)[0]).toBe(123_456_789n);
    expect(body.transaction?.raw_data.contract[0]?.parameter.value).toMatchObject({ contract_address: usdt, owner_address: caller });

    expect(fake.requests).toHaveLength(1);
    const [request] = fake.requests;
    expect(request?.path).toBe('/wallet/triggerconstantcontract');
    expect(request?.headers['tron-pro-api-key']).toBe('test-key');
    expect(request?.body).toMatchObject({ contract_address: usdt, function_selector: 'balanceOf(address)', visible: true });
  });

  it('answers the same read with hex 41… addresses (visible: false), and 0 for a holder without a balance', async () => {
    fake.setBalance(usdt, holder, 5n);
    const { body } = await readBalance(usdt, holder, { visible: false });
    expect(abi.decode(['uint256'], `0x${body.constant_result?.[0]}`)[0]).toBe(5n);
    expect(body.transaction?.raw_data.contract[0]?.parameter.value.contract_address).toBe(TronWeb.address.toHex(usdt));

    const nobody = await readBalance(usdt, tronAddress('33'.repeat(32)));
    expect(nobody.body.constant_result).toEqual(['0'.repeat(64)]);
  });

  it('answers an unknown contract as java-tron does: CONTRACT_VALIDATE_ERROR, no constant_result', async () => {
    const unknown = tronAddress('44'.repeat(32));
    const hexMessage = await readBalance(unknown, holder, { visible: false });
    expect(hexMessage.status).toBe(200);
    expect(hexMessage.body).toEqual({ result: { code: 'CONTRACT_VALIDATE_ERROR', message: expect.stringMatching(/^[0-9a-f]+$/) } });
    expect(toUtf8String(getBytes(`0x${hexMessage.body.result.message}`))).toBe(NO_CONTRACT_MESSAGE);

    const textMessage = await readBalance(unknown, holder, { visible: true });
    expect(textMessage.body).toEqual({ result: { code: 'CONTRACT_VALIDATE_ERROR', message: NO_CONTRACT_MESSAGE } });
  });

  it('refuses a parameter that is not a left-padded 20-byte address', async () => {
    fake.setBalance(usdt, holder, 1n);
    const res = await fetch(`${fake.url}/wallet/triggerconstantcontract`, {
      method: 'POST',
      body: JSON.stringify({
        owner_address: caller,
        contract_address: usdt,
        function_selector: 'balanceOf(address)',
        parameter: `0000000000000000000000${TronWeb.address.toHex(holder)}`, // 0x41 inside the padding
        visible: true,
      }),
    });
    const body = (await res.json()) as TriggerResponse;
    expect(body.result.code).toBe('OTHER_ERROR');
    expect(body.result.message).toMatch(/^trongrid-fake: balanceOf parameter/);
  });

  it('failNext(n, status) answers the next n requests with that status, then recovers', async () => {
    fake.setBalance(usdt, holder, 7n);
    fake.failNext(2, 503);
    expect((await readBalance(usdt, holder)).status).toBe(503);
    expect((await readBalance(usdt, holder)).status).toBe(503);
    const ok = await readBalance(usdt, holder);
    expect(ok.status).toBe(200);
    expect(ok.body.result).toEqual({ result: true });
    expect(fake.requests).toHaveLength(3);

    fake.failNext(1);
    expect((await readBalance(usdt, holder)).status).toBe(500);
  });

  it('delayNext(n, ms) holds answers long enough for a client timeout to fire', async () => {
    fake.setBalance(usdt, holder, 9n);
    fake.delayNext(2, 300);
    await expect(readBalance(usdt, holder, { signal: AbortSignal.timeout(50) })).rejects.toMatchObject({ name: 'TimeoutError' });

    const started = Date.now();
    const slow = await readBalance(usdt, holder);
    expect(Date.now() - started).toBeGreaterThanOrEqual(280);
    expect(slow.status).toBe(200);

    const fastStart = Date.now();
    expect((await readBalance(usdt, holder)).status).toBe(200);
    expect(Date.now() - fastStart).toBeLessThan(200);
  });
});

/** The body of a /wallet/triggerconstantcontract answer, as far as these tests read it. */
interface TriggerResponse {
  result: { result?: boolean; code?: string; message?: string };
  energy_used?: number;
  constant_result?: string[];
  transaction?: {
    raw_data: { contract: { parameter: { value: { contract_address: string; owner_address: string } } }[] };
  };
}

function tronAddress(privateKeyHex: string): string {
  const address = TronWeb.address.fromPrivateKey(privateKeyHex);
  if (!address) throw new Error('bad key');
  return address;
}
