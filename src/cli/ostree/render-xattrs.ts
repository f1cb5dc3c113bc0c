import { encodeXattrs, type Xattr } from '../../formats/ostree/index.js';
import { parseType } from '../../formats/gvariant/index.js';
import { printVariant } from './render-variant.js';

const XATTRS_TYPE = parseType('a(ayay)');

/** `{ [(b'user.foo', [byte 0x62])] }`, as `ostree ls -X` and `ostree show` print xattrs. */
export function renderXattrs(xattrs: readonly Xattr[]): string {
  return `{ ${printVariant(XATTRS_TYPE, encodeXattrs(xattrs), { annotate: true })} }`;
}
