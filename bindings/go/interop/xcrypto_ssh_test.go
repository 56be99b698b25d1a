package interop

// The Signer with golang.org/x/crypto/ssh: SSH signatures (user and host
// keys, git commit signing) made by akms keys and checked by ssh.PublicKey.

import (
	"crypto/rand"
	"errors"
	"net"
	"strings"
	"testing"

	"akms"
	"golang.org/x/crypto/ssh"
)

func TestSSHSignerFromSigner(t *testing.T) {
	s := store(t)
	data := []byte("ssh session data signed by akms")

	// ECDSA P-256: ecdsa-sha2-nistp256 hashes with SHA-256.
	p256, err := ssh.NewSignerFromSigner(signer(t, s, key(t, akms.KeySpecECP256, akms.UsageSignVerify)))
	mustNoErr(t, err, "ssh.NewSignerFromSigner (P-256)")
	if p256.PublicKey().Type() != ssh.KeyAlgoECDSA256 {
		t.Errorf("key type %q", p256.PublicKey().Type())
	}
	sig, err := p256.Sign(rand.Reader, data)
	mustNoErr(t, err, "Sign (P-256)")
	mustNoErr(t, p256.PublicKey().Verify(data, sig), "Verify (P-256)")
	bad := append([]byte(nil), data...)
	bad[0] ^= 1
	if p256.PublicKey().Verify(bad, sig) == nil {
		t.Error("a signature verifies over other data")
	}

	// RSA: rsa-sha2-256 works; the legacy ssh-rsa (SHA-1) and rsa-sha2-512
	// are refused with akms's error.
	for _, spec := range []akms.KeySpec{akms.KeySpecRSA2048, akms.KeySpecRSA3072} {
		rsaSigner, err := ssh.NewSignerFromSigner(signer(t, s, key(t, spec, akms.UsageSignVerify)))
		mustNoErr(t, err, "ssh.NewSignerFromSigner (RSA)")
		algSigner, ok := rsaSigner.(ssh.AlgorithmSigner)
		if !ok {
			t.Fatalf("%T is not an ssh.AlgorithmSigner", rsaSigner)
		}
		sig, err = algSigner.SignWithAlgorithm(rand.Reader, data, ssh.KeyAlgoRSASHA256)
		mustNoErr(t, err, "SignWithAlgorithm rsa-sha2-256")
		if sig.Format != ssh.KeyAlgoRSASHA256 {
			t.Errorf("signature format %q", sig.Format)
		}
		mustNoErr(t, rsaSigner.PublicKey().Verify(data, sig), "Verify rsa-sha2-256")

		// A signer limited to rsa-sha2-256, for handshakes (see below).
		only256, err := ssh.NewSignerWithAlgorithms(algSigner, []string{ssh.KeyAlgoRSASHA256})
		mustNoErr(t, err, "ssh.NewSignerWithAlgorithms")
		sig, err = only256.SignWithAlgorithm(rand.Reader, data, ssh.KeyAlgoRSASHA256)
		mustNoErr(t, err, "SignWithAlgorithm with rsa-sha2-256 only")
		mustNoErr(t, only256.PublicKey().Verify(data, sig), "Verify")

		_, err = rsaSigner.Sign(rand.Reader, data) // ssh-rsa: SHA-1
		wantErr(t, err, akms.ErrInvalidArgument, "ssh-rsa (SHA-1) signature")
		_, err = algSigner.SignWithAlgorithm(rand.Reader, data, ssh.KeyAlgoRSASHA512)
		wantErr(t, err, akms.ErrInvalidArgument, "rsa-sha2-512 signature")
	}
}

// An SSH handshake over TCP on 127.0.0.1 (both sides write first, which
// net.Pipe cannot take): the server's host key is an akms RSA key
// limited to rsa-sha2-256 (else a client that prefers rsa-sha2-512, as
// OpenSSH does, gets it, and akms refuses), and the client logs in with an
// akms P-256 key.
func TestSSHHandshake(t *testing.T) {
	s := store(t)
	rsaSigner, err := ssh.NewSignerFromSigner(signer(t, s, key(t, akms.KeySpecRSA2048, akms.UsageSignVerify)))
	mustNoErr(t, err, "ssh.NewSignerFromSigner (RSA)")
	hostKey, err := ssh.NewSignerWithAlgorithms(rsaSigner.(ssh.AlgorithmSigner), []string{ssh.KeyAlgoRSASHA256})
	mustNoErr(t, err, "ssh.NewSignerWithAlgorithms")
	userKey, err := ssh.NewSignerFromSigner(signer(t, s, key(t, akms.KeySpecECP256, akms.UsageSignVerify)))
	mustNoErr(t, err, "ssh.NewSignerFromSigner (P-256)")

	for _, restricted := range []bool{true, false} {
		host := ssh.Signer(hostKey)
		if !restricted {
			host = rsaSigner
		}
		server := &ssh.ServerConfig{
			PublicKeyCallback: func(_ ssh.ConnMetadata, k ssh.PublicKey) (*ssh.Permissions, error) {
				if string(k.Marshal()) != string(userKey.PublicKey().Marshal()) {
					return nil, errors.New("unknown key")
				}
				return nil, nil
			},
		}
		server.AddHostKey(host)
		client := &ssh.ClientConfig{
			User:            "git",
			Auth:            []ssh.AuthMethod{ssh.PublicKeys(userKey)},
			HostKeyCallback: ssh.FixedHostKey(hostKey.PublicKey()),
			// OpenSSH's order of preference.
			HostKeyAlgorithms: []string{ssh.KeyAlgoRSASHA512, ssh.KeyAlgoRSASHA256},
		}
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		mustNoErr(t, err, "Listen")
		served := make(chan error, 1)
		go func() {
			c1, err := ln.Accept()
			ln.Close()
			if err != nil {
				served <- err
				return
			}
			conn, chans, reqs, err := ssh.NewServerConn(c1, server)
			if err == nil {
				go ssh.DiscardRequests(reqs)
				go func() {
					for ch := range chans {
						_ = ch.Reject(ssh.Prohibited, "no channels")
					}
				}()
				conn.Close()
			}
			c1.Close()
			served <- err
		}()
		c2, err := net.Dial("tcp", ln.Addr().String())
		mustNoErr(t, err, "Dial")
		conn, _, _, err := ssh.NewClientConn(c2, ln.Addr().String(), client)
		if conn != nil {
			conn.Close()
		}
		c2.Close()
		serverErr := <-served
		if restricted {
			mustNoErr(t, err, "client handshake")
			mustNoErr(t, serverErr, "server handshake")
		} else if err == nil || serverErr == nil || !strings.Contains(serverErr.Error(), "AKMS_ERR_INVALID_ARGUMENT") {
			t.Errorf("handshake with an unrestricted RSA host key: client %v, server %v; want akms refusing SHA-512", err, serverErr)
		}
	}
}
