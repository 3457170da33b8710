/**
 * The settings that shaped one image: what the history keeps and Regenerate repeats. Pure data, shared by the
 * pipeline (which records them), the history (which stores them) and the configuration (which repeats them).
 */
import type { UserSettings } from './config';
import type { GatewaySettings, ImageStyle, OutputFormat } from '../types';

export interface GenerationSettings {
  model: string;
  outputFormat: OutputFormat;
  size?: string;
  quality?: string;
  background?: string;
  /** The style the image was made with, its text as sent (so Regenerate repeats it even if the setting changed). */
  style?: ImageStyle;
}

/** What a request was sent with. */
export function generationSettingsOf(gateway: GatewaySettings): GenerationSettings {
  return {
    model: gateway.model,
    outputFormat: gateway.tool.outputFormat,
    ...(gateway.tool.size !== undefined ? { size: gateway.tool.size } : {}),
    ...(gateway.tool.quality !== undefined ? { quality: gateway.tool.quality } : {}),
    ...(gateway.tool.background !== undefined ? { background: gateway.tool.background } : {}),
    ...(gateway.style !== undefined ? { style: { ...gateway.style } } : {}),
  };
}

/**
 * The user's settings with the image-shaping ones replaced by `repeat` exactly: a value the earlier run did not
 * set is cleared, not taken from today's settings (Regenerate makes the same kind of image again).
 */
export function withRepeatedSettings(user: UserSettings, repeat: GenerationSettings): UserSettings {
  const { size: _size, quality: _quality, background: _background, style: _style, styleText: _styleText, ...rest } = user;
  return {
    ...rest,
    model: repeat.model,
    outputFormat: repeat.outputFormat,
    ...(repeat.size !== undefined ? { size: repeat.size } : {}),
    ...(repeat.quality !== undefined ? { quality: repeat.quality } : {}),
    ...(repeat.background !== undefined ? { background: repeat.background } : {}),
    // No style then means none now, whatever cpaImage.style says today.
    ...(repeat.style !== undefined ? { style: repeat.style.name, styleText: repeat.style.text } : { style: 'none' }),
  };
}
