/**
 * What `host status` says of a deployment's signatures: its commit verified against the policy of the remote
 * its origin names (the remote's gpg-verify / sign-verify keys), as rpm-ostree shows `GPGSignature:`.
 * Nothing is shown for a local ref or a remote that verifies nothing.
 */
import { getRemote, remoteVerification, verifyCommit, type SignatureReport } from '../../ostree/index.js';

export async function deploymentSignatures(repo: string, refspec: string | undefined, checksum: string): Promise<readonly SignatureReport[] | undefined> {
  const colon = refspec?.indexOf(':') ?? -1;
  if (refspec === undefined || colon <= 0) return undefined;
  const loc = { repo };
  const remote = await getRemote(loc, refspec.slice(0, colon)).catch(() => undefined);
  if (remote === undefined) return undefined;
  const { commit: policy } = await remoteVerification(loc, remote);
  if (policy.gpg === undefined && policy.ed25519 === undefined) return undefined;
  return verifyCommit(repo, checksum, policy);
}

const LABEL = { gpg: 'GPGSignature', ed25519: 'Ed25519Signature' } as const;

/** Status rows for the reports: one per signature type, in rpm-ostree's wording for GPG. */
export function signatureRows(reports: readonly SignatureReport[]): Array<[string, string]> {
  return reports.map((r) => {
    const keys = r.keys.join(', ');
    const text = r.state === 'valid' ? `Valid signature by ${keys}`
      : r.state === 'invalid' ? `Invalid signature${keys ? ` (keys tried: ${keys})` : ''}`
        : r.state === 'unknown-key' ? `Signature by unknown key${keys ? ` ${keys}` : ''}`
          : '(unsigned)';
    return [LABEL[r.type], text];
  });
}
