/**
 * The anvil test fixture: a real node on a free port, the TestToken ERC20 artifact, deploy, mint,
 * transfer and mine. The code lives in src/dev/anvil.ts, shared with the development chain
 * (DEV_CHAIN=anvil), so there is one copy.
 */
export {
  ANVIL_CHAIN_ID,
  ANVIL_DEFAULT_PRIVATE_KEY,
  anvilBinaryPath,
  loadTestTokenArtifact,
  startAnvil,
  type Anvil,
  type DeployedToken,
  type TestTokenArtifact,
  type TokenRef,
} from '../../src/dev/anvil.js';
