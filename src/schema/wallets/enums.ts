import { registerEnumType } from 'type-graphql';
import { WalletStatus } from '../../entities/enums.js';

registerEnumType(WalletStatus, { name: 'WalletStatus' });

export { WalletStatus };
