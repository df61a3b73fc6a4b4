import { describe, expect, it } from 'vitest';
import { uuidParam } from './uuid-param';

describe('uuidParam', () => {
  const id = '0f8b6c2e-9a3d-4c1b-8e7f-1a2b3c4d5e6f';
  it('takes a uuid, the first of repeated ones', () => {
    expect(uuidParam(id)).toBe(id);
    expect(uuidParam([id, 'x'])).toBe(id);
  });
  it('ignores a missing or malformed id', () => {
    expect(uuidParam(undefined)).toBeNull();
    expect(uuidParam('1 OR 1=1')).toBeNull();
  });
});
