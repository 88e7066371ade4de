import 'reflect-metadata';
import type { Site } from '../../../src/entities/site.entity.js';
import { toSiteSettings } from '../../../src/schema/sites/site-settings.type.js';

const site = (over: Partial<Site>): Site =>
  ({ tokenPrice: null, minOrderAmount: null, maxOrderAmount: null, orderTtlMinutes: 30, walletCooldownMinutes: 60, tgeAt: null, ...over }) as Site;

describe('toSiteSettings (price and order limits as the API shows them)', () => {
  it('keeps nulls', () => {
    expect(toSiteSettings(site({}))).toEqual({ tokenPrice: null, minOrderAmount: null, maxOrderAmount: null, orderTtlMinutes: 30, walletCooldownMinutes: 60, tgeAt: null });
  });

  it('trims the trailing zeros of the NUMERIC(38,18) columns, exactly', () => {
    const s = toSiteSettings(site({ tokenPrice: '0.050000000000000000', minOrderAmount: '10.000000000000000000', maxOrderAmount: '12345678901234567890.123456789012345678' }));
    expect(s).toMatchObject({ tokenPrice: '0.05', minOrderAmount: '10', maxOrderAmount: '12345678901234567890.123456789012345678' });
    expect(toSiteSettings(site({ minOrderAmount: '0.000000000000000000' })).minOrderAmount).toBe('0');
  });
});
