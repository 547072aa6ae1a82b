import { assertContributorSalt, MIN_SALT_BYTES } from '../../../functions/lib/bot/identity';

describe('the contributor salt', () => {
  it.each([
    ['unset', ''],
    ['the Terraform placeholder', 'set-me-outside-terraform'],
    ['31 bytes', 'x'.repeat(MIN_SALT_BYTES - 1)],
  ])('is refused when %s, with how to set a good one', (_case, salt) => {
    expect(() => assertContributorSalt(salt)).toThrow(
      expect.objectContaining({
        name: 'ConfigurationError',
        message: expect.stringMatching(/at least 32.*openssl rand/),
      }),
    );
  });

  it('is taken at 32 bytes and more', () => {
    expect(() => assertContributorSalt('x'.repeat(MIN_SALT_BYTES))).not.toThrow();
    expect(() => assertContributorSalt('k3J9sV0q2wXyZ8uT1rE4pL7mN6bH5gF0aD2cB9oI8uY=')).not.toThrow();
  });
});
