import { GVariantBadValue } from './errors.js';
import { parseType, type GVariantType } from './type.js';
import type { GVariantValue, Variant } from './value.js';

/**
 * A subset of GVariant text format (g_variant_parse), enough for `ostree commit --add-metadata=K=V`:
 * booleans, numbers (int32 / double by default; `uint32 5`, `int64 5`, `@t 5` … for others),
 * quoted strings, `b'bytes'`, `[…]` arrays, `(…)` tuples, `{k: v}` dictionaries, `<v>` variants
 * and `@TYPE` annotations (needed for empty arrays).
 */
export function parseGVariantText(text: string, expected?: string): Variant {
  const p = new TextParser(text);
  const result = p.value(expected === undefined ? undefined : parseType(expected));
  p.ws();
  if (!p.done()) p.fail('trailing characters');
  return result;
}

const KEYWORD_TYPES: Readonly<Record<string, string>> = {
  boolean: 'b', byte: 'y', int16: 'n', uint16: 'q', int32: 'i', uint32: 'u', int64: 'x', uint64: 't',
  handle: 'h', double: 'd', string: 's', objectpath: 'o', signature: 'g',
};

class TextParser {
  readonly #s: string;
  #i = 0;

  constructor(s: string) {
    this.#s = s;
  }

  done(): boolean {
    return this.#i >= this.#s.length;
  }

  fail(what: string): never {
    throw new GVariantBadValue(`Cannot parse GVariant text ${JSON.stringify(this.#s)} at ${this.#i}: ${what}`, { type: '', path: String(this.#i) });
  }

  ws(): void {
    while (/\s/.test(this.#s[this.#i] ?? '')) this.#i++;
  }

  #peek(): string {
    return this.#s[this.#i] ?? '';
  }

  #eat(c: string): boolean {
    this.ws();
    if (this.#s.startsWith(c, this.#i)) {
      this.#i += c.length;
      return true;
    }
    return false;
  }

  #expect(c: string): void {
    if (!this.#eat(c)) this.fail(`expected ${JSON.stringify(c)}`);
  }

  #typeString(): string {
    // longest prefix that is one complete type
    const start = this.#i;
    for (let end = start + 1; end <= this.#s.length; end++) {
      try {
        parseType(this.#s.slice(start, end));
        this.#i = end;
        return this.#s.slice(start, end);
      } catch {
        /* extend */
      }
    }
    return this.fail('bad type annotation');
  }

  value(expected: GVariantType | undefined): Variant {
    this.ws();
    if (this.#eat('@')) {
      const t = parseType(this.#typeString());
      return this.value(t);
    }
    const word = /^[a-z]+[0-9]*/.exec(this.#s.slice(this.#i))?.[0];
    if (word !== undefined && word in KEYWORD_TYPES && /\s/.test(this.#s[this.#i + word.length] ?? '')) {
      this.#i += word.length;
      return this.value(parseType(KEYWORD_TYPES[word]!));
    }
    const c = this.#peek();
    if (c === '[') return this.#array(expected);
    if (c === '(') return this.#tuple(expected);
    if (c === '{') return this.#dict(expected);
    if (c === '<') {
      this.#i++;
      const inner = this.value(undefined);
      this.#expect('>');
      return { type: 'v', value: inner };
    }
    if (c === "'" || c === '"') return this.#coerce({ type: 's', value: this.#string() }, expected);
    if (c === 'b' && (this.#s[this.#i + 1] === "'" || this.#s[this.#i + 1] === '"')) {
      this.#i++;
      return { type: 'ay', value: new TextEncoder().encode(this.#string()) };
    }
    if (this.#s.startsWith('true', this.#i)) {
      this.#i += 4;
      return { type: 'b', value: true };
    }
    if (this.#s.startsWith('false', this.#i)) {
      this.#i += 5;
      return { type: 'b', value: false };
    }
    if (this.#s.startsWith('nothing', this.#i)) {
      this.#i += 7;
      if (expected?.kind !== 'maybe') this.fail('nothing needs a maybe type');
      return { type: expected.text, value: null };
    }
    const num = /^[-+]?(?:0x[0-9a-fA-F]+|\d+(?:\.\d*)?(?:[eE][-+]?\d+)?|inf|nan)/.exec(this.#s.slice(this.#i))?.[0];
    if (num !== undefined) {
      this.#i += num.length;
      return this.#number(num, expected);
    }
    return this.fail('unexpected character');
  }

  #coerce(v: Variant, expected: GVariantType | undefined): Variant {
    if (expected === undefined || expected.text === v.type) return v;
    if (expected.kind === 'basic' && (expected.char === 'o' || expected.char === 'g') && v.type === 's') return { type: expected.text, value: v.value };
    if (expected.kind === 'maybe') return { type: expected.text, value: { just: this.#coerce(v, expected.element).value } };
    if (expected.kind === 'variant') return { type: 'v', value: v };
    return this.fail(`a ${v.type} where ${expected.text} is expected`);
  }

  #number(num: string, expected: GVariantType | undefined): Variant {
    const t = expected?.kind === 'maybe' ? expected.element : expected;
    const char = t?.kind === 'basic' ? t.char : /[.eE]|inf|nan/.test(num) && !num.startsWith('0x') ? 'd' : 'i';
    let value: GVariantValue;
    if (char === 'd') value = Number(num);
    else if (char === 'x' || char === 't') value = BigInt(num);
    else if ('ybnqiuh'.includes(char)) value = Number(num);
    else return this.fail(`a number where ${t?.text ?? '?'} is expected`);
    const v: Variant = { type: char, value };
    return expected?.kind === 'maybe' ? { type: expected.text, value: { just: value } } : v;
  }

  #string(): string {
    const q = this.#s[this.#i++]!;
    let out = '';
    while (this.#i < this.#s.length) {
      const c = this.#s[this.#i++]!;
      if (c === q) return out;
      if (c === '\\') {
        const n = this.#s[this.#i++];
        const map: Record<string, string> = { n: '\n', t: '\t', r: '\r', b: '\b', f: '\f', v: '\v', a: '\x07' };
        if (n === 'u' || n === 'U') {
          const len = n === 'u' ? 4 : 8;
          out += String.fromCodePoint(Number.parseInt(this.#s.slice(this.#i, this.#i + len), 16));
          this.#i += len;
        } else out += n !== undefined && n in map ? map[n] : (n ?? '');
      } else out += c;
    }
    return this.fail('unterminated string');
  }

  #array(expected: GVariantType | undefined): Variant {
    this.#i++;
    const elemType = expected?.kind === 'array' ? expected.element : undefined;
    const items: Variant[] = [];
    if (!this.#eat(']')) {
      do items.push(this.value(elemType ?? (items[0] === undefined ? undefined : parseType(items[0].type))));
      while (this.#eat(','));
      this.#expect(']');
    }
    const et = elemType?.text ?? items[0]?.type;
    if (et === undefined) this.fail('cannot infer the type of an empty array; use @TYPE []');
    if (items.some((x) => x.type !== et)) this.fail('array elements of different types');
    if (et === 'y') return { type: 'ay', value: Uint8Array.from(items.map((x) => x.value as number)) };
    return { type: `a${et}`, value: items.map((x) => x.value) };
  }

  #tuple(expected: GVariantType | undefined): Variant {
    this.#i++;
    const members = expected?.kind === 'tuple' ? expected.members : undefined;
    const items: Variant[] = [];
    if (!this.#eat(')')) {
      do {
        this.ws();
        if (this.#peek() === ')') break;
        items.push(this.value(members?.[items.length]));
      } while (this.#eat(','));
      this.#expect(')');
    }
    return { type: `(${items.map((x) => x.type).join('')})`, value: items.map((x) => x.value) };
  }

  #dict(expected: GVariantType | undefined): Variant {
    this.#i++;
    const entry = expected?.kind === 'array' && expected.element.kind === 'dict-entry' ? expected.element.members : undefined;
    const pairs: Array<[Variant, Variant]> = [];
    if (!this.#eat('}')) {
      do {
        const k = this.value(entry?.[0]);
        this.#expect(':');
        const v = this.value(entry?.[1] ?? (pairs[0] === undefined ? undefined : parseType(pairs[0][1].type)));
        pairs.push([k, v]);
      } while (this.#eat(','));
      this.#expect('}');
    }
    const kt = entry?.[0].text ?? pairs[0]?.[0].type;
    const vt = entry?.[1].text ?? pairs[0]?.[1].type;
    if (kt === undefined || vt === undefined) this.fail('cannot infer the type of an empty dictionary');
    return { type: `a{${kt}${vt}}`, value: pairs.map(([k, v]) => [k.value, v.value]) };
  }
}
