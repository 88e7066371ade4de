import { registerEnumType } from 'type-graphql';
import { OrderStatus } from '../../entities/enums.js';

registerEnumType(OrderStatus, {
  name: 'OrderStatus',
  valuesConfig: {
    PENDING: { description: "Waiting for the customer's transfer." },
    CONFIRMING: { description: 'A transfer was seen on chain; waiting for the required confirmations.' },
    PAID: { description: 'Confirmed and at least the expected amount received. Terminal for payment.' },
    UNDERPAID: { description: 'Expired with less than the expected amount received (confirmed). Needs review.' },
    EXPIRED: { description: 'Expired with nothing received.' },
    CANCELLED: { description: 'Cancelled by the customer or an admin before payment.' },
  },
});

export { OrderStatus };
