import { EVENT_SUBSCRIPTION_PATTERN, subscriptionsMatching } from './webhook-events';

describe('subscriptionsMatching', () => {
  it('lists *, the type and each of its prefixes', () => {
    expect(subscriptionsMatching('key.created')).toEqual(['*', 'key.created', 'key.*']);
    expect(subscriptionsMatching('security.key.honeytoken_used')).toEqual(['*', 'security.key.honeytoken_used', 'security.*', 'security.key.*']);
  });

  it('yields only subscriptions an endpoint may hold', () => {
    for (const subscription of subscriptionsMatching('security.login.brute_force')) expect(subscription).toMatch(EVENT_SUBSCRIPTION_PATTERN);
  });
});
