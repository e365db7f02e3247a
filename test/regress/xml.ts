/**
 * A small, strict XML 1.0 reader for tests: it accepts only well-formed documents (one root,
 * matched tags, quoted and unique attributes, valid character and entity references, only XML
 * characters) and returns the element tree with references decoded. It is what a JUnit reader
 * needs and no more: no DOCTYPE, no CDATA, no processing instructions besides the declaration.
 */

export interface XmlElement {
  name: string;
  attributes: Record<string, string>;
  children: XmlElement[];
  /** Concatenated, decoded character data directly inside this element. */
  text: string;
}

const NAME = /^[A-Za-z_:][A-Za-z0-9._:-]*/;
const PREDEFINED: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" };

export function parseXml(source: string): XmlElement {
  const reader = new Reader(source);
  for (const char of source) {
    if (!isXmlChar(char.codePointAt(0)!))
      reader.fail(`character U+${char.codePointAt(0)!.toString(16)} is not allowed`);
  }
  if (source.startsWith("<?xml")) {
    const end = source.indexOf("?>");
    if (end === -1) reader.fail("unterminated XML declaration");
    reader.pos = end + 2;
  }
  reader.skipMisc();
  if (!reader.at("<")) reader.fail("expected the root element");
  const root = reader.element();
  reader.skipMisc();
  if (reader.pos !== source.length) reader.fail("content after the root element");
  return root;
}

class Reader {
  pos = 0;
  constructor(private readonly src: string) {}

  fail(message: string): never {
    throw new Error(`XML not well-formed at offset ${this.pos}: ${message}`);
  }

  at(text: string): boolean {
    return this.src.startsWith(text, this.pos);
  }

  skipSpace(): void {
    while (this.pos < this.src.length && " \t\r\n".includes(this.src[this.pos]!)) this.pos++;
  }

  /** Whitespace and comments between markup at document level. */
  skipMisc(): void {
    for (;;) {
      this.skipSpace();
      if (!this.at("<!--")) return;
      this.comment();
    }
  }

  comment(): void {
    const end = this.src.indexOf("-->", this.pos + 4);
    if (end === -1) this.fail("unterminated comment");
    if (this.src.slice(this.pos + 4, end).includes("--")) this.fail("'--' inside a comment");
    this.pos = end + 3;
  }

  name(): string {
    const match = NAME.exec(this.src.slice(this.pos));
    if (!match) this.fail("expected a name");
    this.pos += match[0].length;
    return match[0];
  }

  element(): XmlElement {
    this.pos++; // "<"
    const element: XmlElement = { name: this.name(), attributes: {}, children: [], text: "" };
    for (;;) {
      const before = this.pos;
      this.skipSpace();
      if (this.at("/>")) {
        this.pos += 2;
        return element;
      }
      if (this.at(">")) {
        this.pos++;
        break;
      }
      if (this.pos === before) this.fail("expected whitespace before an attribute");
      const attribute = this.name();
      if (attribute in element.attributes) this.fail(`duplicate attribute ${attribute}`);
      this.skipSpace();
      if (!this.at("=")) this.fail("expected '='");
      this.pos++;
      this.skipSpace();
      element.attributes[attribute] = this.attributeValue();
    }
    this.content(element);
    return element;
  }

  attributeValue(): string {
    const quote = this.src[this.pos];
    if (quote !== '"' && quote !== "'") this.fail("attribute value must be quoted");
    this.pos++;
    const end = this.src.indexOf(quote, this.pos);
    if (end === -1) this.fail("unterminated attribute value");
    const raw = this.src.slice(this.pos, end);
    if (raw.includes("<")) this.fail("'<' in an attribute value");
    this.pos = end + 1;
    // XML readers normalise literal whitespace in attribute values to spaces (references survive).
    return decode(raw.replace(/[\t\n\r]/g, " "), this);
  }

  content(element: XmlElement): void {
    for (;;) {
      const next = this.src.indexOf("<", this.pos);
      if (next === -1) this.fail(`element ${element.name} is not closed`);
      const text = this.src.slice(this.pos, next);
      if (text.includes("]]>")) this.fail("']]>' in character data");
      element.text += decode(text, this);
      this.pos = next;
      if (this.at("</")) {
        this.pos += 2;
        const name = this.name();
        if (name !== element.name) this.fail(`</${name}> closes <${element.name}>`);
        this.skipSpace();
        if (!this.at(">")) this.fail("expected '>'");
        this.pos++;
        return;
      }
      if (this.at("<!--")) this.comment();
      else if (this.at("<!") || this.at("<?")) this.fail("unsupported markup");
      else element.children.push(this.element());
    }
  }
}

function decode(raw: string, reader: Reader): string {
  return raw.replace(/&([^;]*);?/g, (whole, body: string) => {
    if (!whole.endsWith(";")) reader.fail(`bare '&' in ${JSON.stringify(raw)}`);
    if (body in PREDEFINED) return PREDEFINED[body]!;
    const numeric = /^#(x[0-9A-Fa-f]+|[0-9]+)$/.exec(body);
    if (!numeric) reader.fail(`unknown entity &${body};`);
    const code = body[1] === "x" ? Number.parseInt(body.slice(2), 16) : Number.parseInt(body.slice(1), 10);
    if (!isXmlChar(code)) reader.fail(`&${body}; is not an XML character`);
    return String.fromCodePoint(code);
  });
}

function isXmlChar(code: number): boolean {
  return (
    code === 0x9 ||
    code === 0xa ||
    code === 0xd ||
    (code >= 0x20 && code <= 0xd7ff) ||
    (code >= 0xe000 && code <= 0xfffd) ||
    (code >= 0x10000 && code <= 0x10ffff)
  );
}

/** Children of `element` named `name`. */
export function childrenNamed(element: XmlElement, name: string): XmlElement[] {
  return element.children.filter((child) => child.name === name);
}
