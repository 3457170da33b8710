/** Regenerate repeats an earlier run's image settings exactly: unset then means unset now, not today's value. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { generationSettingsOf, withRepeatedSettings } from '../../src/core/config/generationSettings';
import type { GatewaySettings } from '../../src/core/types';

describe('generation settings (what the history keeps and Regenerate repeats)', () => {
  it('a repeated run takes model, format, size, quality and background from the earlier run and clears what it left unset', () => {
    const today = { baseUrl: 'http://127.0.0.1:1', model: 'gpt-5.4-mini', outputFormat: 'webp', size: '1024x1536', quality: 'low', background: 'opaque', stream: true };
    const repeated = withRepeatedSettings(today, { model: 'gpt-5.4', outputFormat: 'png', size: '1536x1024' });
    assert.deepEqual(repeated, { baseUrl: 'http://127.0.0.1:1', stream: true, model: 'gpt-5.4', outputFormat: 'png', size: '1536x1024', style: 'none' }, 'no style then means none now');
    assert.equal('quality' in repeated, false);
    assert.equal('background' in repeated, false);
    // Today's settings object is not changed.
    assert.equal(today.quality, 'low');
  });

  it('what a request was sent with is recorded without undefined keys', () => {
    const gateway = { model: 'gpt-5.4', tool: { outputFormat: 'jpeg', quality: 'high' } } as unknown as GatewaySettings;
    assert.deepEqual(generationSettingsOf(gateway), { model: 'gpt-5.4', outputFormat: 'jpeg', quality: 'high' });
    assert.deepEqual(withRepeatedSettings({}, generationSettingsOf(gateway)), { model: 'gpt-5.4', outputFormat: 'jpeg', quality: 'high', style: 'none' });
  });
});
