export { encodeGVariant, offsetWidth, isObjectPath, isSignature } from './encode.js';
export { decodeGVariant, offsetWidthForSize, type DecodeOptions } from './decode.js';
export { parseType, isValidType, alignUp, type GVariantType, type BasicChar } from './type.js';
export { variant, isVariant, vardictGet, type GVariantValue, type Variant, type Just, type VardictEntries } from './value.js';
export * from './errors.js';
export { parseGVariantText } from './text.js';
