/**
 * npm run dev:pay -- <orderReference> [amount]
 *
 * Development only (DEV_CHAIN=anvil, with `npm start` running): pays an order on the local dev chain
 * from anvil's funded dev account, default the amount the order still expects, then mines its
 * confirmations one block a second. Prints the transaction hash. See README, "Try it locally".
 */
import { ConfigError, loadConfig } from '../src/config.js';
import { devPay, DevPayError } from '../src/dev/dev-pay.js';
import { InvalidInputError } from '../src/services/errors.js';

const [reference, amount, ...extra] = process.argv.slice(2);
if (!reference || extra.length || reference.startsWith('-')) {
  console.error('usage: npm run dev:pay -- <orderReference> [amount]   e.g. npm run dev:pay -- VL-7K2M9QX4D1BA 100');
  process.exit(64); // EX_USAGE
}

try {
  const config = loadConfig(process.env);
  const paid = await devPay(config, { reference, amount, onProgress: (line) => console.log(line) });
  console.log(paid.txHash ? `paid: ${paid.txHash}` : 'nothing sent; confirmations mined');
} catch (e) {
  if (e instanceof ConfigError) {
    console.error(`dev:pay: ${e.message}`);
    process.exit(78); // EX_CONFIG
  }
  if (e instanceof DevPayError || e instanceof InvalidInputError) {
    console.error(`dev:pay: ${e.message}`);
    process.exit(1);
  }
  throw e;
}
