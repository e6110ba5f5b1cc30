/**
 * The node's DTLS identity: one self-signed ECDSA P-256 certificate per process (JVB does the
 * same), whose SHA-256 fingerprint goes into every endpoint's transport description.
 * @module
 */
import { CipherContext, HashAlgorithm, NamedCurveAlgorithm, RTCCertificate, SignatureAlgorithm } from 'werift';

export interface DtlsIdentity {
  readonly certPem: string;
  readonly keyPem: string;
  readonly signatureHash: RTCCertificate['signatureHash'];
  /** `AB:CD:…` upper-case, as SDP and Jingle carry it. */
  readonly fingerprint: string;
}

export async function createDtlsIdentity(): Promise<DtlsIdentity> {
  const { certPem, keyPem, signatureHash } = await CipherContext.createSelfSignedCertificateWithKey(
    { signature: SignatureAlgorithm.ecdsa_3, hash: HashAlgorithm.sha256_4 }, NamedCurveAlgorithm.secp256r1_23);
  const cert = new RTCCertificate(keyPem, certPem, signatureHash);
  const fp = cert.getFingerprints()[0];
  if (!fp) throw new Error('no certificate fingerprint');
  return { certPem: cert.certPem, keyPem: cert.privateKey, signatureHash, fingerprint: fp.value.toUpperCase() };
}
