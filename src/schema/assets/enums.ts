import { registerEnumType } from 'type-graphql';
import { AssetPurpose, Network } from '../../entities/enums.js';

registerEnumType(Network, { name: 'Network' });
registerEnumType(AssetPurpose, {
  name: 'AssetPurpose',
  valuesConfig: {
    PAYMENT: { description: 'A stablecoin customers pay with (USDT TRC20 / ERC20).' },
    DISTRIBUTION: { description: 'The sale token that vesting releases pay out through the custody provider.' },
  },
});

export { AssetPurpose, Network };
