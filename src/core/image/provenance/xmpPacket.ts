/**
 * The XMP packet (RDF/XML) that carries provenance in WebP and JPEG files: the prompt as dc:description, the tool
 * as xmp:CreatorTool, the date as xmp:CreateDate, the rest in our namespace. Every value is escaped for XML
 * element content and stripped of characters XML 1.0 forbids (NUL, other controls, lone surrogates), so a prompt
 * holding `</x:xmpmeta>` stays text. Reading takes only the simple element forms this writer produces, with
 * patterns that cannot backtrack badly, from a packet already capped in size.
 */
export const CPA_XMP_NAMESPACE = 'urn:cpa-gpt-image:provenance:1';

export interface XmpFields {
  prompt?: string;
  revisedPrompt?: string;
  model?: string;
  created?: string;
  software?: string;
  settings?: string;
}

const escapeXml = (text: string): string => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function unescapeXml(text: string): string {
  return text.replace(/&(amp|lt|gt|quot|apos|#(\d{1,7})|#x([0-9a-fA-F]{1,6}));/g, (all, name: string, dec?: string, hex?: string) => {
    if (dec !== undefined || hex !== undefined) {
      const code = dec !== undefined ? Number(dec) : parseInt(hex!, 16);
      return code <= 0x10ffff ? String.fromCodePoint(code) : all;
    }
    return ({ amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" } as Record<string, string>)[name] ?? all;
  });
}

const OURS: ReadonlyArray<[keyof XmpFields, string]> = [
  ['revisedPrompt', 'cpa:revisedPrompt'],
  ['model', 'cpa:model'],
  ['settings', 'cpa:settings'],
];

export function buildXmpPacket(fields: XmpFields): string {
  const lines: string[] = [];
  if (fields.prompt !== undefined) {
    lines.push(`   <dc:description><rdf:Alt><rdf:li xml:lang="x-default">${escapeXml(fields.prompt)}</rdf:li></rdf:Alt></dc:description>`);
  }
  if (fields.software !== undefined) lines.push(`   <xmp:CreatorTool>${escapeXml(fields.software)}</xmp:CreatorTool>`);
  if (fields.created !== undefined) lines.push(`   <xmp:CreateDate>${escapeXml(fields.created)}</xmp:CreateDate>`);
  for (const [key, element] of OURS) {
    const value = fields[key];
    if (value !== undefined) lines.push(`   <${element}>${escapeXml(value)}</${element}>`);
  }
  return [
    '<?xpacket begin="\uFEFF" id="W5M0MpCehiHzreSzNTczkc9d"?>',
    '<x:xmpmeta xmlns:x="adobe:ns:meta/">',
    ' <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">',
    `  <rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:xmp="http://ns.adobe.com/xap/1.0/" xmlns:cpa="${CPA_XMP_NAMESPACE}">`,
    ...lines,
    '  </rdf:Description>',
    ' </rdf:RDF>',
    '</x:xmpmeta>',
    '<?xpacket end="w"?>',
  ].join('\n');
}

function element(packet: string, name: string): string | undefined {
  const open = `<${name}>`;
  const start = packet.indexOf(open);
  if (start < 0) return undefined;
  const end = packet.indexOf(`</${name}>`, start + open.length);
  if (end < 0) return undefined;
  const inner = packet.slice(start + open.length, end);
  return inner.includes('<') ? undefined : unescapeXml(inner);
}

/** Our fields from a packet, or undefined when it holds none of them (a packet some other tool wrote). */
export function parseXmpPacket(packet: string): XmpFields | undefined {
  if (!packet.includes(CPA_XMP_NAMESPACE)) return undefined;
  const fields: XmpFields = {};
  const alt = /<dc:description>\s*<rdf:Alt>\s*<rdf:li xml:lang="x-default">([^<]*)<\/rdf:li>/.exec(packet);
  if (alt) fields.prompt = unescapeXml(alt[1]!);
  const tool = element(packet, 'xmp:CreatorTool');
  if (tool !== undefined) fields.software = tool;
  const created = element(packet, 'xmp:CreateDate');
  if (created !== undefined) fields.created = created;
  for (const [key, name] of OURS) {
    const value = element(packet, name);
    if (value !== undefined) fields[key] = value;
  }
  return fields;
}
