/**
 * The names of several candidates of one prompt (the CLI's `--variants`, the agent tool's `variants`): the first keeps
 * the name, the others get `-2`, `-3`, … before the extension, in the last path segment only.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { variantPath } from '../../src/core/files/destination';

describe('variantPath', () => {
  const cases: [string, number, string][] = [
    ['/ws/art/crane.png', 1, '/ws/art/crane.png'],
    ['/ws/art/crane.png', 2, '/ws/art/crane-2.png'],
    ['/ws/art/crane.png', 4, '/ws/art/crane-4.png'],
    ['art/crane.v2.webp', 3, 'art/crane.v2-3.webp'],
    ['/ws/docs.d/crane', 2, '/ws/docs.d/crane-2'],
    ['/ws/art/.hidden', 2, '/ws/art/.hidden-2'],
    ['C:\\work\\art\\crane.png', 2, 'C:\\work\\art\\crane-2.png'],
    ['crane.png', 0, 'crane.png'],
  ];
  for (const [path, variant, expected] of cases) it(`${path} #${variant} → ${expected}`, () => assert.equal(variantPath(path, variant), expected));
});
