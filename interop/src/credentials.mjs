// A client's signature key, the proofs the auth service asks for (docs/api-guide.md, "Registering"),
// and the check every member runs on another member's x509 credential: the chain up to the
// domain's AS root, the leaf certificate's key equal to the leaf node's, and the client id it names.
import { X509Certificate } from "node:crypto";
import { p256 } from "@noble/curves/nist.js";
import { signWithLabel } from "ts-mls/crypto/signature.js";

export const SUITES = {
  1: { name: "MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519", scheme: "ED25519" },
  2: { name: "MLS_128_DHKEMP256_AES128GCM_SHA256_P256", scheme: "ECDSA_SECP256R1_SHA256" },
  3: { name: "MLS_128_DHKEMX25519_CHACHA20POLY1305_SHA256_Ed25519", scheme: "ED25519" },
};

/**
 * A new signature key for the suite's scheme. ts-mls makes P-256 public keys compressed; the
 * homeserver registers the uncompressed point (SEC1, 65 bytes), which ts-mls verifies as well.
 */
export async function newSignatureKey(suite, impl) {
  const { signKey, publicKey } = await impl.signature.keygen();
  return SUITES[suite].scheme === "ECDSA_SECP256R1_SHA256"
    ? { signKey, publicKey: p256.getPublicKey(signKey, false) }
    : { signKey, publicKey };
}

/** RFC 9420 SignWithLabel over opaque(first) || opaque(second). */
export function signPair(key, impl, label, first, second) {
  return signWithLabel(key.signKey, label, concat(opaque(first), opaque(second)), impl.signature);
}

export const utf8 = text => new TextEncoder().encode(text);

/** `bytes` behind its length as an MLS variable-length integer (RFC 9420 section 2.1.2). */
function opaque(bytes) {
  const n = bytes.length;
  const header = n < 0x40 ? [n]
    : n < 0x4000 ? [0x40 | (n >> 8), n & 0xff]
      : [0x80 | (n >>> 24), (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff];
  return concat(Uint8Array.from(header), bytes);
}

function concat(...parts) {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/**
 * The authentication service ts-mls calls for every credential it meets (clientConfig.authService):
 * accepts an x509 credential only if its chain verifies up to one of the domain's AS roots, the
 * leaf certificate's key is the leaf node's signature key, and the leaf names a client of that
 * domain. Counts what it decided, so a scenario can show the hook ran.
 */
export class AuthenticationRoots {
  constructor(domain, rootDers) {
    this.domain = domain;
    this.roots = rootDers.map(der => new X509Certificate(der));
    this.accepted = 0;
    this.refused = [];
  }

  async validateCredential(credential, signaturePublicKey) {
    const problem = this.problemWith(credential, signaturePublicKey);
    if (problem) {
      this.refused.push(problem);
      return false;
    }
    this.accepted++;
    return true;
  }

  /** What is wrong with the credential, or null. */
  problemWith(credential, signaturePublicKey) {
    if (credential.credentialType !== "x509") {
      return `a ${credential.credentialType} credential`;
    }
    const chain = credential.certificates.map(der => new X509Certificate(der));
    const now = new Date();
    for (const certificate of chain) {
      if (new Date(certificate.validFrom) > now || new Date(certificate.validTo) < now) {
        return `${certificate.subject} is not valid now`;
      }
    }
    for (let i = 0; i + 1 < chain.length; i++) {
      if (!chain[i].checkIssued(chain[i + 1]) || !chain[i].verify(chain[i + 1].publicKey)) {
        return `${chain[i].subject} is not signed by ${chain[i + 1].subject}`;
      }
    }
    const last = chain[chain.length - 1];
    if (!this.roots.some(root => last.checkIssued(root) && last.verify(root.publicKey))) {
      return `${last.subject} is not signed by a root of ${this.domain}`;
    }
    if (!equal(rawPublicKey(chain[0]), signaturePublicKey)) {
      return `the certificate of ${chain[0].subject} carries another key than the leaf node`;
    }
    const clientId = clientIdOf(chain[0]);
    if (!clientId?.startsWith(`mimi://${this.domain}/c/`)) {
      return `the certificate names no client of ${this.domain}`;
    }
    return null;
  }
}

/**
 * The authentication service of a client whose groups span homeservers: a credential is checked
 * against the AS roots of the domain its leaf certificate names, those of a domain other than the
 * client's own learned once through `rootsOf(domain)` (its own homeserver, which asks that domain's).
 */
export class RootsByDomain {
  constructor(own, rootsOf) {
    this.own = own;
    this.rootsOf = rootsOf;
    this.others = new Map();   // domain -> Promise of its AuthenticationRoots
  }

  async validateCredential(credential, signaturePublicKey) {
    const domain = credential.credentialType === "x509" ? domainOf(credential.certificates[0]) : null;
    if (domain === null || domain === this.own.domain) {
      return this.own.validateCredential(credential, signaturePublicKey);
    }
    if (!this.others.has(domain)) {
      // A failed look-up is not kept: the next credential of that domain asks again.
      this.others.set(domain, this.rootsOf(domain).catch(error => {
        this.others.delete(domain);
        throw error;
      }));
    }
    return (await this.others.get(domain)).validateCredential(credential, signaturePublicKey);
  }
}

/** The domain of the client a leaf certificate names, or null. */
function domainOf(certificate) {
  return /^mimi:\/\/([^/]+)\/c\//.exec(clientIdOf(certificate) ?? "")?.[1] ?? null;
}

/** The client id (SAN URI `mimi://<domain>/c/...`) a credential's leaf certificate names. */
export function clientIdOf(certificate) {
  const leaf = certificate instanceof X509Certificate ? certificate : new X509Certificate(certificate);
  return (leaf.subjectAltName ?? "").split(", ")
    .map(name => name.replace(/^URI:/, ""))
    .find(name => /^mimi:\/\/[^/]+\/c\//.test(name)) ?? null;
}

function rawPublicKey(certificate) {
  const jwk = certificate.publicKey.export({ format: "jwk" });
  const bytes = value => Buffer.from(value, "base64url");
  return jwk.kty === "OKP" ? bytes(jwk.x) : concat(Uint8Array.of(4), bytes(jwk.x), bytes(jwk.y));
}

function equal(a, b) {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}
