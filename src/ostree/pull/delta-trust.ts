import type { LoadedSuperblock } from '../delta/apply.js';
import { assertVerified, verifyDetached, type SignatureReport, type VerifyPolicy } from '../sign/index.js';

/**
 * Whether a static-delta superblock may be used when the remote requires signed commits
 * (`gpg-verify` or `sign-verify`). A superblock decides which objects are written and carries
 * the commit, so it must be authenticated before anything from it is applied:
 * - its SHA-256 is listed in `ostree.static-deltas` of a summary whose signature was verified
 *   (how ostree authenticates the deltas it generates: `summary -u --gpg-sign`), or
 * - it is a signed superblock (`(taya{sv})`, `static-delta generate --sign`) whose signatures
 *   over the inner superblock pass the remote's commit policy, each enabled type valid.
 * Otherwise SIGN_VERIFY_FAILED naming the delta, the remote and the keys. ostree 2022.7's pull
 * checks only the summary digest and the embedded commit (it cannot parse a signed superblock
 * over HTTP); its `apply-offline` verifies signed superblocks with the given keys. Delta
 * indexes (`delta-indexes/…`) are not signed, so their digests do not vouch for anything.
 */
export async function verifySuperblock(
  loaded: LoadedSuperblock,
  policy: VerifyPolicy,
  context: { readonly remote?: string; readonly vouchedBySignedSummary: boolean },
): Promise<SignatureReport[]> {
  if (policy.gpg === undefined && policy.ed25519 === undefined) return [];
  if (context.vouchedBySignedSummary && loaded.signatures === undefined) return [];
  const reports = await verifyDetached(loaded.signedData ?? new Uint8Array(0), loaded.signatures ?? [], policy);
  // A summary-listed superblock may carry signatures of a type this remote does not check (or
  // none of one it does); only a signature that is there and wrong refuses it then.
  const relevant = context.vouchedBySignedSummary ? reports.filter((r) => r.state === 'invalid') : reports;
  assertVerified(relevant, { object: `static delta ${loaded.name}`, ...(context.remote !== undefined ? { remote: context.remote } : {}) });
  return reports;
}
