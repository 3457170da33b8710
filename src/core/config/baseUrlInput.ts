/**
 * The base URL as the user types it (Set Up Gateway…): checked keystroke by keystroke, so the input box can
 * say what is wrong before anything is saved or sent — the scheme (http/https only), the host, the port — and,
 * when only the scheme is missing (`127.0.0.1:8317/v1`, a very common paste), offer the `http://` form instead
 * of refusing it. The client parses the same URL later (core/gateway/request.ts); this file only decides what
 * the box accepts and how to say why not.
 */

export type BaseUrlCheck =
  /** Usable as typed (trimmed). */
  | { kind: 'ok'; url: string }
  /** No `scheme://`: `url` is the `http://` form, usable if the user accepts it. */
  | { kind: 'noScheme'; url: string }
  | { kind: 'empty' }
  | { kind: 'spaces' }
  /** A scheme other than http or https (`scheme` without its colon, lower case). */
  | { kind: 'badScheme'; scheme: string }
  | { kind: 'noHost' }
  /** A port that is not a number from 1 to 65535. */
  | { kind: 'badPort'; port: string }
  | { kind: 'invalid' };

/** `scheme://authority…`: the scheme and the authority (userinfo@host:port) as typed. */
const WITH_SCHEME = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/([^/?#]*)/;
/** `scheme:` without `//`, such as `mailto:x` — but not `host:port`, which is what a missing scheme looks like. */
const OTHER_SCHEME = /^([A-Za-z][A-Za-z0-9+.-]*):(?!\d)/;

/** Checks the text of the base URL box. Only `ok` and `noScheme` give a URL to save. */
export function checkBaseUrlInput(text: string): BaseUrlCheck {
  const trimmed = text.trim();
  if (trimmed === '') return { kind: 'empty' };
  if (/\s/.test(trimmed)) return { kind: 'spaces' };
  const withScheme = WITH_SCHEME.exec(trimmed);
  if (withScheme) return checkAbsolute(trimmed, (withScheme[1] as string).toLowerCase(), withScheme[2] as string);
  const other = OTHER_SCHEME.exec(trimmed);
  if (other) {
    const scheme = (other[1] as string).toLowerCase();
    // `http:/host` or `https:host`: the right scheme, the slashes wrong.
    return scheme === 'http' || scheme === 'https' ? { kind: 'invalid' } : { kind: 'badScheme', scheme };
  }
  // `host`, `host:port`, `host:port/v1`, `//host`: the scheme is missing. Offer http:// when the rest is a URL.
  const candidate = `http://${trimmed.replace(/^\/+/, '')}`;
  const check = checkAbsolute(candidate, 'http', WITH_SCHEME.exec(candidate)?.[2] ?? '');
  return check.kind === 'ok' ? { kind: 'noScheme', url: check.url } : check;
}

function checkAbsolute(url: string, scheme: string, authority: string): BaseUrlCheck {
  if (scheme !== 'http' && scheme !== 'https') return { kind: 'badScheme', scheme };
  // Without userinfo; `[::1]:8317` keeps its brackets, so the last `:` outside them starts the port.
  const hostPort = authority.slice(authority.lastIndexOf('@') + 1);
  const portMatch = /^(\[[^\]]*\]|[^:]*)(?::(.*))?$/.exec(hostPort);
  const host = portMatch?.[1] ?? '';
  const port = portMatch?.[2];
  if (host === '') return { kind: 'noHost' };
  if (port !== undefined && port !== '') {
    const value = /^\d{1,5}$/.test(port) ? Number(port) : NaN;
    if (!(value >= 1 && value <= 65535)) return { kind: 'badPort', port };
  }
  try {
    const parsed = new URL(url);
    if (parsed.hostname === '') return { kind: 'noHost' };
  } catch {
    return { kind: 'invalid' };
  }
  return { kind: 'ok', url };
}
