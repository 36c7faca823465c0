package org.homeserver.auth;

import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;

/** One X.509 v3 extension a certificate of the AS carries, by role (CA, client). */
record CertificateExtension(ASN1ObjectIdentifier id, boolean critical, ASN1Encodable value) {}
