package akms_test

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"log"
	"math/big"
	"time"

	"akms"
)

// A certificate authority whose key stays in akms: crypto/x509 signs with
// the Signer as with any private key. The same Signer is a TLS identity.
func ExampleStore_Signer() {
	s, err := akms.NewStore()
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()
	keyID, versionID, err := s.CreateKey(akms.KeySpecECP256, akms.UsageSignVerify, "example CA")
	if err != nil {
		log.Fatal(err)
	}
	signer, err := s.Signer(keyID, versionID)
	if err != nil {
		log.Fatal(err)
	}

	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "Example CA"},
		NotBefore:             time.Now(),
		NotAfter:              time.Now().AddDate(1, 0, 0),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, signer.Public(), signer)
	if err != nil {
		log.Fatal(err)
	}
	ca, err := x509.ParseCertificate(der)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(ca.Subject.CommonName, ca.SignatureAlgorithm, ca.CheckSignatureFrom(ca) == nil)

	// As a TLS identity, with the signature schemes akms can make, so that
	// no handshake asks for another hash.
	identity := tls.Certificate{
		Certificate:                  [][]byte{der},
		PrivateKey:                   signer,
		SupportedSignatureAlgorithms: akms.TLSSignatureSchemes(signer),
	}
	fmt.Println(identity.SupportedSignatureAlgorithms)

	// Sign directly: a SHA-256 digest; other hashes are refused.
	digest := sha256.Sum256([]byte("message"))
	_, err = signer.Sign(rand.Reader, digest[:], crypto.SHA256)
	fmt.Println(err == nil)
	_, err = signer.Sign(rand.Reader, make([]byte, 48), crypto.SHA384)
	fmt.Println(errors.Is(err, akms.ErrInvalidArgument))

	// Output:
	// Example CA ECDSA-SHA256 true
	// [ECDSAWithP256AndSHA256]
	// true
	// true
}

// RSA-OAEP decryption of what crypto/rsa encrypted with the public key.
func ExampleStore_Decrypter() {
	s, err := akms.NewStore()
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()
	keyID, versionID, err := s.CreateKey(akms.KeySpecRSA2048, akms.UsageEncryptDecrypt, "")
	if err != nil {
		log.Fatal(err)
	}
	dec, err := s.Decrypter(keyID, versionID)
	if err != nil {
		log.Fatal(err)
	}
	ct, err := rsa.EncryptOAEP(sha256.New(), rand.Reader, dec.Public().(*rsa.PublicKey), []byte("secret"), nil)
	if err != nil {
		log.Fatal(err)
	}
	pt, err := dec.Decrypt(nil, ct, &rsa.OAEPOptions{Hash: crypto.SHA256})
	fmt.Printf("%s %v\n", pt, err)

	// nil options mean PKCS#1 v1.5 to Go; akms does not offer it.
	_, err = dec.Decrypt(nil, ct, nil)
	fmt.Println(errors.Is(err, akms.ErrInvalidArgument))

	// Output:
	// secret <nil>
	// true
}
