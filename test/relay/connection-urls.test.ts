/** Redis and PostgreSQL URLs in messages and logs never carry their password (issue 15). */
import { describe, expect, it } from 'vitest';
import { withoutPassword } from '../../server/logger';

describe('connection URLs in messages', () => {
  it('the password is replaced, user, host, port and database stay', () => {
    expect(withoutPassword('postgres://wl:s3cret-pw@127.0.0.1:5432/wakelink')).toBe('postgres://wl:***@127.0.0.1:5432/wakelink');
    expect(withoutPassword('redis://:hunter2@127.0.0.1:6379/0')).toBe('redis://:***@127.0.0.1:6379/0');
  });

  it('a URL without a password is unchanged, and one that does not parse is not echoed', () => {
    expect(withoutPassword('redis://127.0.0.1:6379')).toBe('redis://127.0.0.1:6379');
    expect(withoutPassword('postgres://wl:pw@[bad')).toBe('(unparsable URL)');
  });
});
