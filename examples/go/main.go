// Command sign-file signs a file with an EC_P256 key held by akms and
// verifies the signature with Go's crypto/ecdsa, using only the public key.
//
//	go run . FILE            # sign and verify
//	go run . -out sig FILE   # also write the DER signature and sig.pub.pem
//
// The signature is ECDSA over SHA-256, DER-encoded, so OpenSSL verifies it
// too: openssl dgst -sha256 -verify sig.pub.pem -signature sig FILE
package main

import (
	"crypto/ecdsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"flag"
	"fmt"
	"io"
	"log"
	"os"

	"akms"
)

func main() {
	out := flag.String("out", "", "write the signature to this file and the public key to it plus .pub.pem")
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: sign-file [-out SIGFILE] FILE")
		os.Exit(2)
	}
	log.SetFlags(0)

	// Hash the file here; only the 32-byte digest crosses into akms.
	f, err := os.Open(flag.Arg(0))
	if err != nil {
		log.Fatal(err)
	}
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		log.Fatal(err)
	}
	f.Close()
	digest := h.Sum(nil)

	store, err := akms.NewStore()
	if err != nil {
		log.Fatal(err)
	}
	defer store.Close()
	keyID, versionID, err := store.CreateKey(akms.KeySpecECP256, akms.UsageSignVerify, "file signing")
	if err != nil {
		log.Fatal(err)
	}
	sig, err := store.AsymmetricSign(keyID, versionID, akms.AlgECDSASHA256, akms.MessageDigest, digest)
	if err != nil {
		log.Fatal(err)
	}
	pubPEM, err := store.GetPublicKey(keyID, versionID)
	if err != nil {
		log.Fatal(err)
	}

	// Verify with Go's crypto alone: the private key never left akms.
	block, _ := pem.Decode([]byte(pubPEM))
	if block == nil {
		log.Fatal("no PEM block in the public key")
	}
	pub, err := x509.ParsePKIXPublicKey(block.Bytes)
	if err != nil {
		log.Fatal(err)
	}
	ecPub, ok := pub.(*ecdsa.PublicKey)
	if !ok {
		log.Fatalf("public key is %T, not ECDSA", pub)
	}
	if !ecdsa.VerifyASN1(ecPub, digest, sig) {
		log.Fatal("crypto/ecdsa: signature does NOT verify")
	}

	fmt.Printf("key       %s\nversion   %s\nsha256    %x\nsignature %s\n%s",
		keyID, versionID, digest, base64.StdEncoding.EncodeToString(sig), pubPEM)
	fmt.Println("crypto/ecdsa: signature verified")
	if *out != "" {
		if err := os.WriteFile(*out, sig, 0o644); err != nil {
			log.Fatal(err)
		}
		if err := os.WriteFile(*out+".pub.pem", []byte(pubPEM), 0o644); err != nil {
			log.Fatal(err)
		}
	}
}
