/**
 * The small XML dialect of WeChat's server messages: one <xml> root, elements without
 * attributes, text or CDATA content, a few nested lists (SendPicsInfo/PicList/item). A
 * general XML parser brings DTDs, external entities and entity expansion with it; this one
 * refuses every declaration except the XML prolog, so none of that can reach us.
 */
export interface XmlElement {
  name: string;
  /** Text and CDATA content, entities decoded. Empty for an element that has children. */
  text: string;
  children: XmlElement[];
}

export class XmlError extends Error {
  override name = 'XmlError';
}

const limits = { depth: 8, elements: 1_000, nameLength: 64 };
const namePattern = /^[A-Za-z_][\w.-]*$/;
const namedEntities: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

export function parseXml(input: string): XmlElement {
  let pos = 0;
  let elements = 0;
  const fail = (reason: string): never => {
    throw new XmlError(`${reason} at offset ${pos}`);
  };
  const skipSpace = () => {
    while (pos < input.length && /\s/.test(input[pos]!)) pos++;
  };
  const skipMisc = () => {
    for (;;) {
      skipSpace();
      if (input.startsWith('<!--', pos)) {
        const end = input.indexOf('-->', pos + 4);
        if (end < 0) fail('unterminated comment');
        pos = end + 3;
      } else return;
    }
  };

  if (input.charCodeAt(0) === 0xfeff) pos = 1;
  skipSpace();
  if (input.startsWith('<?xml', pos)) {
    const end = input.indexOf('?>', pos);
    if (end < 0) fail('unterminated XML declaration');
    pos = end + 2;
  }
  skipMisc();
  if (input.startsWith('<!', pos) || input.startsWith('<?', pos)) fail('declarations are not accepted');
  const root = parseElement(0);
  skipMisc();
  if (pos !== input.length) fail('content after the root element');
  if (root.name !== 'xml') throw new XmlError(`the root element must be <xml>, not <${root.name}>`);
  return root;

  function parseElement(depth: number): XmlElement {
    if (depth >= limits.depth) fail('elements nested too deeply');
    if (++elements > limits.elements) fail('too many elements');
    if (input[pos] !== '<') fail('expected an element');
    pos++;
    const name = readName();
    skipSpace();
    if (input.startsWith('/>', pos)) {
      pos += 2;
      return { name, text: '', children: [] };
    }
    if (input[pos] !== '>') fail(`attributes are not accepted (in <${name}>)`);
    pos++;
    let text = '';
    const children: XmlElement[] = [];
    for (;;) {
      if (pos >= input.length) fail(`<${name}> is not closed`);
      if (input.startsWith('</', pos)) {
        pos += 2;
        const closing = readName();
        skipSpace();
        if (closing !== name) fail(`</${closing}> closes <${name}>`);
        if (input[pos] !== '>') fail(`malformed </${closing}>`);
        pos++;
        if (children.length > 0 && text.trim() !== '') fail(`<${name}> mixes text and elements`);
        return { name, text: children.length > 0 ? '' : text, children };
      }
      if (input.startsWith('<![CDATA[', pos)) {
        const end = input.indexOf(']]>', pos + 9);
        if (end < 0) fail('unterminated CDATA section');
        text += input.slice(pos + 9, end);
        pos = end + 3;
      } else if (input.startsWith('<!--', pos)) {
        const end = input.indexOf('-->', pos + 4);
        if (end < 0) fail('unterminated comment');
        pos = end + 3;
      } else if (input[pos] === '<') {
        if (input[pos + 1] === '!' || input[pos + 1] === '?') fail('declarations are not accepted');
        children.push(parseElement(depth + 1));
      } else {
        const next = input.indexOf('<', pos);
        const end = next < 0 ? input.length : next;
        text += decodeEntities(input.slice(pos, end));
        pos = end;
      }
    }
  }

  function readName(): string {
    const start = pos;
    while (pos < input.length && /[\w.:-]/.test(input[pos]!)) pos++;
    const name = input.slice(start, pos);
    if (!namePattern.test(name) || name.length > limits.nameLength) fail('invalid element name');
    return name;
  }

  function decodeEntities(raw: string): string {
    if (raw.includes(']]>')) fail('"]]>" outside CDATA');
    return raw.replace(/&([^;&\s]{0,10});?/g, (match, body: string) => {
      if (!match.endsWith(';')) fail('unterminated entity reference');
      const named = namedEntities[body];
      if (named !== undefined) return named;
      const code = /^#x([0-9a-fA-F]{1,6})$/.exec(body)?.[1] ?? /^#(\d{1,7})$/.exec(body)?.[1];
      if (code === undefined) return fail(`unknown entity &${body};`);
      const value = Number.parseInt(code, body.startsWith('#x') ? 16 : 10);
      if (value > 0x10ffff || (value >= 0xd800 && value <= 0xdfff) || value === 0)
        fail(`invalid character reference &${body};`);
      return String.fromCodePoint(value);
    });
  }
}

/**
 * The root's leaf children as a map (ToUserName → "gh_…"). A message that names the same
 * field twice is refused: which of the two a later reader would see is exactly the kind of
 * ambiguity a forged message lives on.
 */
export function leafFields(root: XmlElement): Map<string, string> {
  const fields = new Map<string, string>();
  for (const child of root.children) {
    if (fields.has(child.name)) throw new XmlError(`<${child.name}> appears twice`);
    if (child.children.length === 0) fields.set(child.name, child.text);
  }
  return fields;
}

/** CDATA cannot contain "]]>": split it across two sections, the standard way. */
export function cdata(value: string): string {
  return `<![CDATA[${value.replaceAll(']]>', ']]]]><![CDATA[>')}]]>`;
}
