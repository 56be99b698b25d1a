// Command ca is a certificate authority whose key never leaves akms: it makes
// a self-signed CA certificate with an akms EC_P256 key (through
// Store.Signer, a crypto.Signer that crypto/x509 takes as it takes any key),
// then issues a server certificate from a certificate signing request and
// checks the chain with x509.Verify.
//
//	go run ./ca                 # the server's key is in akms too; its CSR from GenerateCSR
//	go run ./ca server.csr      # issue for a PEM CSR made elsewhere (openssl req, ...)
//	go run ./ca -out DIR ...    # also write DIR/ca.pem and DIR/server.pem
//
// The store is in memory, so the CA key is gone when the program ends; a
// real CA opens a persistent store with akms.OpenStore instead.
package main

import (
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"flag"
	"fmt"
	"log"
	"math/big"
	"os"
	"path/filepath"
	"time"

	"akms"
)

func main() {
	out := flag.String("out", "", "write ca.pem and server.pem into this directory")
	flag.Parse()
	if flag.NArg() > 1 {
		fmt.Fprintln(os.Stderr, "usage: ca [-out DIR] [CSR.pem]")
		os.Exit(2)
	}
	log.SetFlags(0)

	store, err := akms.NewStore()
	if err != nil {
		log.Fatal(err)
	}
	defer store.Close()

	// The CA: a key in akms, and a self-signed certificate made with its Signer.
	caKeyID, caVersion, err := store.CreateKey(akms.KeySpecECP256, akms.UsageSignVerify, "example CA")
	if err != nil {
		log.Fatal(err)
	}
	caKey, err := store.Signer(caKeyID, caVersion)
	if err != nil {
		log.Fatal(err)
	}
	now := time.Now()
	caTemplate := &x509.Certificate{
		SerialNumber:          serial(),
		Subject:               pkix.Name{CommonName: "Example CA", Organization: []string{"Example"}},
		NotBefore:             now.Add(-time.Minute),
		NotAfter:              now.AddDate(10, 0, 0),
		IsCA:                  true,
		BasicConstraintsValid: true,
		MaxPathLenZero:        true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTemplate, caTemplate, caKey.Public(), caKey)
	if err != nil {
		log.Fatal(err)
	}
	ca, err := x509.ParseCertificate(caDER)
	if err != nil {
		log.Fatal(err)
	}

	// The request: from a file, or from a server key that is also in akms.
	var csrPEM []byte
	if flag.NArg() == 1 {
		if csrPEM, err = os.ReadFile(flag.Arg(0)); err != nil {
			log.Fatal(err)
		}
	} else {
		keyID, version, err := store.CreateKey(akms.KeySpecECP256, akms.UsageSignVerify, "server.example TLS key")
		if err != nil {
			log.Fatal(err)
		}
		csr, err := store.GenerateCSR(keyID, version, "CN=server.example,O=Example", []string{"server.example"})
		if err != nil {
			log.Fatal(err)
		}
		csrPEM = []byte(csr)
	}
	block, _ := pem.Decode(csrPEM)
	if block == nil || block.Type != "CERTIFICATE REQUEST" {
		log.Fatal("no CERTIFICATE REQUEST PEM block in the request")
	}
	csr, err := x509.ParseCertificateRequest(block.Bytes)
	if err != nil {
		log.Fatal(err)
	}
	if err := csr.CheckSignature(); err != nil {
		log.Fatalf("the request's signature does not verify: %v", err)
	}
	if len(csr.DNSNames) == 0 {
		log.Fatal("the request names no DNS name")
	}

	// Issue the server certificate: the CA's key signs it inside akms.
	leafTemplate := &x509.Certificate{
		SerialNumber: serial(),
		Subject:      csr.Subject,
		DNSNames:     csr.DNSNames,
		NotBefore:    now.Add(-time.Minute),
		NotAfter:     now.AddDate(0, 3, 0),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	leafDER, err := x509.CreateCertificate(rand.Reader, leafTemplate, ca, csr.PublicKey, caKey)
	if err != nil {
		log.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(leafDER)
	if err != nil {
		log.Fatal(err)
	}

	// Anyone with the CA certificate can now check the server's.
	roots := x509.NewCertPool()
	roots.AddCert(ca)
	if _, err := leaf.Verify(x509.VerifyOptions{Roots: roots, DNSName: csr.DNSNames[0]}); err != nil {
		log.Fatalf("x509: the issued certificate does NOT verify: %v", err)
	}

	caPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER})
	leafPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: leafDER})
	if *out != "" {
		for name, data := range map[string][]byte{"ca.pem": caPEM, "server.pem": leafPEM} {
			if err := os.WriteFile(filepath.Join(*out, name), data, 0o644); err != nil {
				log.Fatal(err)
			}
		}
	} else {
		os.Stdout.Write(caPEM)
		os.Stdout.Write(leafPEM)
	}
	fmt.Fprintf(os.Stderr, "CA %q (akms key %s) issued %q for %v, %s; x509.Verify: OK\n",
		ca.Subject.CommonName, caKeyID, leaf.Subject.CommonName, leaf.DNSNames, leaf.SignatureAlgorithm)
}

// serial returns a random 128-bit certificate serial number.
func serial() *big.Int {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 128))
	if err != nil {
		log.Fatal(err)
	}
	return n
}
