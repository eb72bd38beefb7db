/**
 * A small XML reader for AWS Query answers (SNS): elements, their text, the five predefined
 * entities, numeric character references and CDATA sections; the XML declaration, processing
 * instructions and comments are skipped, attributes (the answer's `xmlns`) read over and dropped.
 * A DOCTYPE is refused: an AWS answer has none, and entities it declared would not be expanded.
 * Anything not well-formed throws, so a truncated answer is never read as a shorter one.
 */

export interface XmlElement {
  readonly name: string;
  readonly children: readonly XmlElement[];
  /** The element's own character data, entities decoded and CDATA included, as it stands (untrimmed). */
  readonly text: string;
}

/** Deeper than any AWS answer; keeps a hostile document from exhausting the stack. */
const MAX_DEPTH = 64;
const ENTITIES: Readonly<Record<string, string>> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
const REFERENCE = /&(?:#x([0-9a-fA-F]+);|#([0-9]+);|([A-Za-z][A-Za-z0-9]*);)?/g;
const NAME_END = /[\s/>]/;

/** The document's root element. */
export function parseXml(document: string): XmlElement {
  // XML end-of-line handling: CRLF and a lone CR read as LF.
  const reader = new Reader(document.replace(/\r\n?/g, '\n'));
  reader.skipMisc();
  if (reader.startsWith('<!DOCTYPE')) throw reader.error('a DOCTYPE is not supported');
  if (!reader.startsWith('<')) throw reader.error('no root element');
  const root = reader.element(1);
  reader.skipMisc();
  if (!reader.atEnd()) throw reader.error('content after the root element');
  return root;
}

/** The first child element named `name`. */
export function childElement(element: XmlElement | undefined, name: string): XmlElement | undefined {
  return element?.children.find((child) => child.name === name);
}

/** Every child element named `name`, in document order. */
export function childElements(element: XmlElement | undefined, name: string): XmlElement[] {
  return element ? element.children.filter((child) => child.name === name) : [];
}

class Reader {
  private at = 0;

  constructor(private readonly source: string) {}

  atEnd(): boolean {
    return this.at >= this.source.length;
  }

  startsWith(text: string): boolean {
    return this.source.startsWith(text, this.at);
  }

  error(problem: string): Error {
    return new Error(`Malformed XML answer at offset ${this.at}: ${problem}.`);
  }

  /** Whitespace, comments and processing instructions (the XML declaration among them). */
  skipMisc(): void {
    for (;;) {
      while (!this.atEnd() && /\s/.test(this.source[this.at]!)) this.at += 1;
      if (this.startsWith('<!--')) this.readPast('-->');
      else if (this.startsWith('<?')) this.readPast('?>');
      else return;
    }
  }

  /** The element starting at `<`, through its end tag. */
  element(depth: number): XmlElement {
    if (depth > MAX_DEPTH) throw this.error(`elements nested deeper than ${MAX_DEPTH}`);
    this.at += 1;
    const name = this.name();
    this.attributes();
    if (this.startsWith('/>')) {
      this.at += 2;
      return { name, children: [], text: '' };
    }
    this.expect('>');
    const children: XmlElement[] = [];
    let text = '';
    for (;;) {
      if (this.atEnd()) throw this.error(`<${name}> is not closed`);
      if (this.startsWith('</')) {
        this.at += 2;
        const closing = this.name();
        if (closing !== name) throw this.error(`</${closing}> closes <${name}>`);
        this.skipSpace();
        this.expect('>');
        return { name, children, text };
      }
      if (this.startsWith('<![CDATA[')) {
        this.at += '<![CDATA['.length;
        text += this.readPast(']]>');
      } else if (this.startsWith('<!--')) {
        this.readPast('-->');
      } else if (this.startsWith('<?')) {
        this.readPast('?>');
      } else if (this.startsWith('<')) {
        children.push(this.element(depth + 1));
      } else {
        const end = this.source.indexOf('<', this.at);
        const raw = this.source.slice(this.at, end === -1 ? this.source.length : end);
        this.at += raw.length;
        text += this.decode(raw);
      }
    }
  }

  private name(): string {
    const start = this.at;
    while (!this.atEnd() && !NAME_END.test(this.source[this.at]!)) this.at += 1;
    const name = this.source.slice(start, this.at);
    if (name === '' || /[<&"'=]/.test(name)) throw this.error(`bad element name "${name}"`);
    return name;
  }

  /** Reads over `name="value"` pairs; nothing in an AWS answer needs their values. */
  private attributes(): void {
    for (;;) {
      this.skipSpace();
      if (this.atEnd()) throw this.error('the tag is not closed');
      if (this.startsWith('>') || this.startsWith('/>')) return;
      const start = this.at;
      while (!this.atEnd() && !/[\s=/>]/.test(this.source[this.at]!)) this.at += 1;
      if (this.at === start) throw this.error('bad attribute');
      this.skipSpace();
      this.expect('=');
      this.skipSpace();
      const quote = this.source[this.at];
      if (quote !== '"' && quote !== "'") throw this.error('an attribute value is not quoted');
      this.at += 1;
      const value = this.readPast(quote);
      if (value.includes('<')) throw this.error('"<" in an attribute value');
      this.decode(value);
    }
  }

  private skipSpace(): void {
    while (!this.atEnd() && /\s/.test(this.source[this.at]!)) this.at += 1;
  }

  private expect(text: string): void {
    if (!this.startsWith(text)) throw this.error(`expected "${text}"`);
    this.at += text.length;
  }

  /** The text up to `end`, moving past `end`. */
  private readPast(end: string): string {
    const found = this.source.indexOf(end, this.at);
    if (found === -1) throw this.error(`"${end}" not found`);
    const text = this.source.slice(this.at, found);
    this.at = found + end.length;
    return text;
  }

  /** Character data with its references replaced; a bare `&` or an unknown entity is an error. */
  private decode(raw: string): string {
    if (!raw.includes('&')) return raw;
    return raw.replace(REFERENCE, (reference: string, hex?: string, decimal?: string, entity?: string) => {
      if (entity !== undefined) {
        const character = ENTITIES[entity];
        if (character === undefined) throw this.error(`unknown entity ${reference}`);
        return character;
      }
      if (hex === undefined && decimal === undefined) throw this.error('a bare "&"');
      const codePoint = hex !== undefined ? parseInt(hex, 16) : parseInt(decimal!, 10);
      if (!isXmlChar(codePoint)) throw this.error(`${reference} is not an XML character`);
      return String.fromCodePoint(codePoint);
    });
  }
}

/** XML 1.0's Char production. */
function isXmlChar(codePoint: number): boolean {
  return (
    codePoint === 0x9 ||
    codePoint === 0xa ||
    codePoint === 0xd ||
    (codePoint >= 0x20 && codePoint <= 0xd7ff) ||
    (codePoint >= 0xe000 && codePoint <= 0xfffd) ||
    (codePoint >= 0x10000 && codePoint <= 0x10ffff)
  );
}
