package akms

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"io"
)

// crypto.Signer and crypto.Decrypter over akms key versions, for the
// standard library and the libraries built on it (crypto/x509, crypto/tls,
// golang.org/x/crypto/ssh, JWT and COSE libraries). The private key stays in
// the library: Sign and Decrypt are AsymmetricSign and AsymmetricDecrypt
// calls, audited and authorized like any other, and the key's state is
// checked on each of them. The adapters only choose the algorithm from the
// options, and refuse any option that akms cannot honour exactly.

// PublicKey is the public key of a secp256k1 or SM2 key version, which the
// standard library has no type for: Signer and Decrypter's Public returns it
// for KeySpecECP256K and KeySpecECSM2. DER is the SubjectPublicKeyInfo, as
// GetPublicKey returns it in PEM.
type PublicKey struct {
	Spec KeySpec
	DER  []byte
}

// Equal reports whether x is a *PublicKey of the same spec and key.
func (k *PublicKey) Equal(x crypto.PublicKey) bool {
	o, ok := x.(*PublicKey)
	return ok && k.Spec == o.Spec && bytes.Equal(k.DER, o.DER)
}

// Signer returns a crypto.Signer for a key version of usage SIGN/VERIFY (key
// is an id or an alias; the adapter keeps the key id it resolves to). It
// reads the key's metadata and public key once, now, so the handle needs the
// rights kms:DescribeKey and kms:GetPublicKey for that, and
// kms:AsymmetricSign for each Sign. A key of usage ENCRYPT/DECRYPT is
// ErrIncompatible. Public returns *rsa.PublicKey, *ecdsa.PublicKey (P-256) or
// *PublicKey (secp256k1, SM2).
//
// Sign(rand, digest, opts) ignores rand (akms has its own generator). The
// digest must be 32 bytes and opts.HashFunc() crypto.SHA256 (for SM2 the
// digest is e = SM3(Z‖M) with the default id, and opts may also be nil or
// say 0). For RSA keys, *rsa.PSSOptions with a salt length of
// rsa.PSSSaltLengthAuto, rsa.PSSSaltLengthEqualsHash or 32 signs
// RSA_PSS_SHA_256 (salt 32; Auto, which means "as large as possible" to
// crypto/rsa, still gets 32, which every verifier set to Auto accepts); other
// options sign RSA_PKCS1_SHA_256. ECDSA and SM2 signatures are DER. Any other
// option (another hash, another salt length, PSS options for an EC key) is an
// error matching ErrInvalidArgument, never a silent substitute. Errors from
// the library wrap its *Error: errors.Is(err, ErrInvalidState) for a disabled
// key.
//
// For TLS, set tls.Certificate.SupportedSignatureAlgorithms to
// TLSSignatureSchemes(signer), so that a handshake never asks for a hash
// akms does not offer.
func (s *Store) Signer(key, version string) (crypto.Signer, error) {
	k, err := s.adapterKey(key, version, UsageSignVerify)
	if err != nil {
		return nil, err
	}
	return &keySigner{k}, nil
}

// Decrypter returns a crypto.Decrypter for a key version of usage
// ENCRYPT/DECRYPT (RSA or SM2), fetched and checked as for Signer (a key of
// usage SIGN/VERIFY is ErrIncompatible); each Decrypt needs
// kms:AsymmetricDecrypt.
//
// Decrypt(rand, ciphertext, opts) ignores rand. RSA keys take
// *rsa.OAEPOptions with Hash crypto.SHA1 or crypto.SHA256, MGFHash 0 or
// equal to Hash, and an empty Label. nil options, which mean PKCS#1 v1.5 in
// Go, are refused: akms does not offer it. SM2 keys take nil options and the
// GB/T 32918 DER ciphertext (or raw 04‖x‖y‖C3‖C2). Any other option is an
// error matching ErrInvalidArgument; a ciphertext that does not decrypt is
// ErrDecryptionFailed.
func (s *Store) Decrypter(key, version string) (crypto.Decrypter, error) {
	k, err := s.adapterKey(key, version, UsageEncryptDecrypt)
	if err != nil {
		return nil, err
	}
	return &keyDecrypter{k}, nil
}

// TLSSignatureSchemes returns the TLS signature schemes that a Signer made
// by Store.Signer can produce, for tls.Certificate.SupportedSignatureAlgorithms:
// RSA keys PSSWithSHA256 (TLS 1.2 and 1.3) and PKCS1WithSHA256 (TLS 1.2),
// P-256 keys ECDSAWithP256AndSHA256. It returns nil for any other signer,
// including secp256k1 and SM2 keys, which TLS in Go does not take.
func TLSSignatureSchemes(signer crypto.Signer) []tls.SignatureScheme {
	k, ok := signer.(*keySigner)
	if !ok {
		return nil
	}
	switch k.spec {
	case KeySpecRSA2048, KeySpecRSA3072:
		return []tls.SignatureScheme{tls.PSSWithSHA256, tls.PKCS1WithSHA256}
	case KeySpecECP256:
		return []tls.SignatureScheme{tls.ECDSAWithP256AndSHA256}
	}
	return nil
}

// adapterKey is what a Signer or Decrypter holds.
type adapterKey struct {
	store   *Store
	keyID   string
	version string
	spec    KeySpec
	public  crypto.PublicKey
}

func (s *Store) adapterKey(key, version string, usage KeyUsage) (*adapterKey, error) {
	m, err := s.DescribeKey(key)
	if err != nil {
		return nil, err
	}
	if m.KeyUsage != usage {
		what := "Signer"
		if usage == UsageEncryptDecrypt {
			what = "Decrypter"
		}
		return nil, &Error{Status: StatusIncompatible, Message: fmt.Sprintf(
			"a %s needs a key of usage %v; key %s has usage %v", what, usage, m.KeyID, m.KeyUsage)}
	}
	pemText, err := s.GetPublicKey(m.KeyID, version)
	if err != nil {
		return nil, err
	}
	pub, err := parseAdapterPublicKey(m.KeySpec, pemText)
	if err != nil {
		return nil, err
	}
	return &adapterKey{store: s, keyID: m.KeyID, version: version, spec: m.KeySpec, public: pub}, nil
}

// parseAdapterPublicKey turns GetPublicKey's PEM into Public's value.
func parseAdapterPublicKey(spec KeySpec, pemText string) (crypto.PublicKey, error) {
	block, _ := pem.Decode([]byte(pemText))
	if block == nil || block.Type != "PUBLIC KEY" {
		return nil, &Error{Status: StatusInternal, Message: "GetPublicKey returned no PUBLIC KEY PEM block"}
	}
	switch spec {
	case KeySpecECP256K, KeySpecECSM2:
		return &PublicKey{Spec: spec, DER: block.Bytes}, nil
	}
	pub, err := x509.ParsePKIXPublicKey(block.Bytes)
	if err != nil {
		return nil, &Error{Status: StatusInternal, Message: "crypto/x509 cannot parse the public key: " + err.Error()}
	}
	switch p := pub.(type) {
	case *rsa.PublicKey:
		if spec == KeySpecRSA2048 || spec == KeySpecRSA3072 {
			return p, nil
		}
	case *ecdsa.PublicKey:
		if spec == KeySpecECP256 && p.Curve == elliptic.P256() {
			return p, nil
		}
	}
	return nil, &Error{Status: StatusInternal, Message: fmt.Sprintf("a %T public key for a %v key", pub, spec)}
}

// fail wraps an error of a Sign or Decrypt call with the key it was for.
func (k *adapterKey) fail(op string, err error) error {
	return fmt.Errorf("akms %s (key %s, version %s): %w", op, k.keyID, k.version, err)
}

// keySigner is the crypto.Signer that Store.Signer returns.
type keySigner struct{ *adapterKey }

// Public returns the public key of the key version.
func (k *keySigner) Public() crypto.PublicKey { return k.public }

// Sign signs a 32-byte digest; see Store.Signer.
func (k *keySigner) Sign(_ io.Reader, digest []byte, opts crypto.SignerOpts) ([]byte, error) {
	alg, err := k.signAlgorithm(opts)
	if err != nil {
		return nil, k.fail("Sign", err)
	}
	sig, err := k.store.AsymmetricSign(k.keyID, k.version, alg, MessageDigest, digest)
	if err != nil {
		return nil, k.fail("Sign", err)
	}
	return sig, nil
}

// signAlgorithm maps Sign's options to the one algorithm that honours them.
func (k *keySigner) signAlgorithm(opts crypto.SignerOpts) (Algorithm, error) {
	pss, isPSS := opts.(*rsa.PSSOptions)
	if isPSS && pss == nil {
		return 0, optionError("nil *rsa.PSSOptions")
	}
	var hash crypto.Hash
	if opts != nil {
		hash = opts.HashFunc()
	}
	switch k.spec {
	case KeySpecECSM2:
		if isPSS || hash != 0 && hash != crypto.SHA256 {
			return 0, optionError("an SM2 key signs the 32-byte e = SM3(Z‖M) with options of hash 0 or SHA-256, not %s", describeOpts(opts))
		}
		return AlgSM2DSA, nil
	case KeySpecECP256, KeySpecECP256K:
		if isPSS || hash != crypto.SHA256 {
			return 0, optionError("an ECDSA key signs SHA-256 digests (ECDSA_SHA_256), not %s", describeOpts(opts))
		}
		return AlgECDSASHA256, nil
	}
	// RSA
	if hash != crypto.SHA256 {
		return 0, optionError("an RSA key signs SHA-256 digests only, not %s", describeOpts(opts))
	}
	if !isPSS {
		return AlgRSAPKCS1SHA256, nil
	}
	switch pss.SaltLength {
	case rsa.PSSSaltLengthAuto, rsa.PSSSaltLengthEqualsHash, 32:
		return AlgRSAPSSSHA256, nil
	}
	return 0, optionError("RSA_PSS_SHA_256 has a salt of 32 bytes, not %d (use rsa.PSSSaltLengthEqualsHash)", pss.SaltLength)
}

// keyDecrypter is the crypto.Decrypter that Store.Decrypter returns.
type keyDecrypter struct{ *adapterKey }

// Public returns the public key of the key version.
func (k *keyDecrypter) Public() crypto.PublicKey { return k.public }

// Decrypt decrypts a ciphertext; see Store.Decrypter.
func (k *keyDecrypter) Decrypt(_ io.Reader, ciphertext []byte, opts crypto.DecrypterOpts) ([]byte, error) {
	alg, err := k.decryptAlgorithm(opts)
	if err != nil {
		return nil, k.fail("Decrypt", err)
	}
	pt, err := k.store.AsymmetricDecrypt(k.keyID, k.version, alg, ciphertext)
	if err != nil {
		return nil, k.fail("Decrypt", err)
	}
	return pt, nil
}

// decryptAlgorithm maps Decrypt's options to the one algorithm that honours them.
func (k *keyDecrypter) decryptAlgorithm(opts crypto.DecrypterOpts) (Algorithm, error) {
	if k.spec == KeySpecECSM2 {
		if opts != nil {
			return 0, optionError("an SM2 key decrypts SM2PKE with nil options, not %T", opts)
		}
		return AlgSM2PKE, nil
	}
	oaep, ok := opts.(*rsa.OAEPOptions)
	switch {
	case opts == nil:
		return 0, optionError("nil options mean RSA PKCS#1 v1.5 decryption, which akms does not offer: pass *rsa.OAEPOptions with SHA-1 or SHA-256")
	case !ok:
		return 0, optionError("an RSA key decrypts OAEP only (*rsa.OAEPOptions), not %T", opts)
	case oaep == nil:
		return 0, optionError("nil *rsa.OAEPOptions")
	case len(oaep.Label) != 0:
		return 0, optionError("RSA OAEP in akms has an empty label, not one of %d bytes", len(oaep.Label))
	case oaep.MGFHash != 0 && oaep.MGFHash != oaep.Hash:
		return 0, optionError("RSA OAEP in akms uses MGF1 with the OAEP hash (%v), not %v", oaep.Hash, oaep.MGFHash)
	case oaep.Hash == crypto.SHA1:
		return AlgRSAESOAEPSHA1, nil
	case oaep.Hash == crypto.SHA256:
		return AlgRSAESOAEPSHA256, nil
	}
	return 0, optionError("RSA OAEP in akms uses SHA-1 or SHA-256, not %v", oaep.Hash)
}

func optionError(format string, args ...any) error {
	return &Error{Status: StatusInvalidArgument, Message: fmt.Sprintf(format, args...)}
}

// describeOpts names signer options in an error message.
func describeOpts(opts crypto.SignerOpts) string {
	switch o := opts.(type) {
	case nil:
		return "nil options"
	case *rsa.PSSOptions:
		return fmt.Sprintf("*rsa.PSSOptions{Hash: %v}", o.Hash)
	case crypto.Hash:
		if o == 0 {
			return "hash 0"
		}
		return o.String()
	}
	h := opts.HashFunc()
	if h == 0 {
		return fmt.Sprintf("%T with hash 0", opts)
	}
	return fmt.Sprintf("%T with hash %v", opts, h)
}
