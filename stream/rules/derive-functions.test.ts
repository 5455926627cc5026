import { scrubEmails, truncateIp } from './derive-functions';

describe('truncate_ip', () => {
  it.each([
    ['203.0.113.77', '203.0.113.0'],
    [' 192.0.2.1 ', '192.0.2.0'],
    ['2001:db8:85a3:8d3:1319:8a2e:370:7348', '2001:db8:85a3::'],
    ['2001:DB8::1', '2001:db8:0::'],
    ['::1', '0:0:0::'],
    ['::ffff:198.51.100.23', '::ffff:198.51.100.0'],
    ['999.1.1.1', undefined],
    ['localhost', undefined],
    [42, undefined],
  ])('%j → %j', (input, expected) => {
    expect(truncateIp(input)).toBe(expected);
  });
});

describe('scrub_emails', () => {
  it.each([
    ['jane.doe+shop@example.co.uk', '[email]'],
    ['https://shop.example.com/account?email=jane%40example.com&next=/', 'https://shop.example.com/account?email=[email]&next=/'],
    ['https://shop.example.com/account?email=jane%2540example.com', 'https://shop.example.com/account?email=jane%2540example.com'],
    ['write to a@b.io or c@d.org.', 'write to [email] or [email].'],
    ['@handle and user@ and @example.com', '@handle and user@ and @example.com'],
    ['no address here', 'no address here'],
  ])('%j → %j', (input, expected) => {
    expect(scrubEmails(input)).toBe(expected);
  });

  it('stays linear on hostile near-addresses', () => {
    const hostile = ['a'.repeat(4000) + '@', 'a%40'.repeat(1000), 'a@'.repeat(2000), `${'x.'.repeat(2000)}@`];
    const started = process.hrtime.bigint();
    for (let i = 0; i < 20; i++) for (const h of hostile) scrubEmails(h);
    expect(Number(process.hrtime.bigint() - started) / 1e6).toBeLessThan(500);
  });
});
