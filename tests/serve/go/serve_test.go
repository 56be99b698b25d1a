// Package serve tests `akms serve` through the official Go SDKs: Alibaba Cloud KMS
// (github.com/alibabacloud-go/kms-20160120/v3) with each of its signatures, and AWS KMS
// (github.com/aws/aws-sdk-go-v2/service/kms). Signatures are checked with Go's crypto.
package serve

import (
	"bufio"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	openapi "github.com/alibabacloud-go/darabonba-openapi/v2/client"
	alikms "github.com/alibabacloud-go/kms-20160120/v3/client"
	"github.com/alibabacloud-go/tea/tea"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awskms "github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"
)

const (
	accessKey = "go-admin"
	secret    = "go-admin-secret-0123456789"
)

var msg = []byte("akms serve, Go SDKs")

type server struct {
	cmd      *exec.Cmd
	url      string
	hostport string
}

func startServer(t *testing.T) *server {
	t.Helper()
	bin := os.Getenv("AKMS_BIN")
	if bin == "" {
		bin = "../../../target/release/akms"
	}
	dir := t.TempDir()
	creds, _ := json.Marshal(map[string]any{"AccessKeys": []map[string]any{{"AccessKeyId": accessKey, "AccessKeySecret": secret}}})
	credFile := filepath.Join(dir, "credentials.json")
	if err := os.WriteFile(credFile, creds, 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "serve", "--memory", "--listen", "127.0.0.1:0", "--credentials", credFile,
		"--audit-log", filepath.Join(dir, "audit.jsonl"))
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "akms serve: listening on http://") {
		t.Fatalf("no listening line: %q %v", line, err)
	}
	url := strings.TrimSpace(strings.TrimPrefix(line, "akms serve: listening on "))
	s := &server{cmd: cmd, url: url, hostport: strings.TrimPrefix(url, "http://")}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		if err := cmd.Wait(); err != nil {
			t.Errorf("akms serve did not exit cleanly: %v", err)
		}
	})
	return s
}

func aliClient(t *testing.T, s *server, sigAlg string) *alikms.Client {
	t.Helper()
	cfg := &openapi.Config{
		AccessKeyId:     tea.String(accessKey),
		AccessKeySecret: tea.String(secret),
		Endpoint:        tea.String(s.hostport),
		Protocol:        tea.String("HTTP"),
	}
	if sigAlg != "" {
		cfg.SignatureAlgorithm = tea.String(sigAlg)
	}
	c, err := alikms.NewClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func awsClient(s *server, secretKey string) *awskms.Client {
	return awskms.New(awskms.Options{
		Region:           "ap-southeast-1",
		BaseEndpoint:     aws.String(s.url),
		Credentials:      credentials.NewStaticCredentialsProvider(accessKey, secretKey, ""),
		RetryMaxAttempts: 1,
	})
}

func parsePEM(t *testing.T, p string) crypto.PublicKey {
	t.Helper()
	block, _ := pem.Decode([]byte(p))
	if block == nil || block.Type != "PUBLIC KEY" {
		t.Fatalf("not a PEM public key: %q", p)
	}
	pub, err := x509.ParsePKIXPublicKey(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return pub
}

func verifyGo(t *testing.T, pub crypto.PublicKey, alg string, digest, sig []byte) {
	t.Helper()
	var err error
	switch alg {
	case "RSA_PSS_SHA_256", "RSASSA_PSS_SHA_256":
		err = rsa.VerifyPSS(pub.(*rsa.PublicKey), crypto.SHA256, digest, sig, &rsa.PSSOptions{SaltLength: 32})
	case "RSA_PKCS1_SHA_256", "RSASSA_PKCS1_V1_5_SHA_256":
		err = rsa.VerifyPKCS1v15(pub.(*rsa.PublicKey), crypto.SHA256, digest, sig)
	case "ECDSA_SHA_256":
		if !ecdsa.VerifyASN1(pub.(*ecdsa.PublicKey), digest, sig) {
			err = errors.New("ECDSA signature does not verify")
		}
	}
	if err != nil {
		t.Fatalf("%s: %v", alg, err)
	}
}

// Signs through the Alibaba Go SDK with each signature scheme; Go's crypto verifies.
func TestAlibabaSignVerifyEverySignature(t *testing.T) {
	s := startServer(t)
	cases := []struct{ spec, alg string }{
		{"RSA_2048", "RSA_PSS_SHA_256"}, {"RSA_2048", "RSA_PKCS1_SHA_256"}, {"EC_P256", "ECDSA_SHA_256"},
		{"EC_P256K", "ECDSA_SHA_256"}, {"EC_SM2", "SM2DSA"},
	}
	admin := aliClient(t, s, "")
	for _, c := range cases {
		created, err := admin.CreateKey(&alikms.CreateKeyRequest{KeySpec: tea.String(c.spec), KeyUsage: tea.String("SIGN/VERIFY")})
		if err != nil {
			t.Fatal(err)
		}
		md := created.Body.KeyMetadata
		keyID, version := tea.StringValue(md.KeyId), tea.StringValue(md.PrimaryKeyVersion)
		pk, err := admin.GetPublicKey(&alikms.GetPublicKeyRequest{KeyId: md.KeyId, KeyVersionId: md.PrimaryKeyVersion})
		if err != nil {
			t.Fatal(err)
		}
		for _, sigAlg := range []string{"", "v2", "ACS3-HMAC-SM3"} {
			cl := aliClient(t, s, sigAlg)
			digest := sha256.Sum256(msg)
			d64 := base64.StdEncoding.EncodeToString(digest[:])
			r, err := cl.AsymmetricSign(&alikms.AsymmetricSignRequest{KeyId: tea.String(keyID), KeyVersionId: tea.String(version),
				Algorithm: tea.String(c.alg), Digest: tea.String(d64)})
			if err != nil {
				t.Fatalf("%s %s [%s]: %v", c.spec, c.alg, sigAlg, err)
			}
			sig, _ := base64.StdEncoding.DecodeString(tea.StringValue(r.Body.Value))
			if c.spec != "EC_P256K" && c.spec != "EC_SM2" { // Go's crypto has neither curve
				verifyGo(t, parsePEM(t, tea.StringValue(pk.Body.PublicKey)), c.alg, digest[:], sig)
			}
			v, err := cl.AsymmetricVerify(&alikms.AsymmetricVerifyRequest{KeyId: tea.String(keyID), KeyVersionId: tea.String(version),
				Algorithm: tea.String(c.alg), Digest: tea.String(d64), Value: r.Body.Value})
			if err != nil || !tea.BoolValue(v.Body.Value) {
				t.Fatalf("verify %s [%s]: %v %v", c.alg, sigAlg, err, v)
			}
			sig[len(sig)/2] ^= 1
			v, err = cl.AsymmetricVerify(&alikms.AsymmetricVerifyRequest{KeyId: tea.String(keyID), KeyVersionId: tea.String(version),
				Algorithm: tea.String(c.alg), Digest: tea.String(d64), Value: tea.String(base64.StdEncoding.EncodeToString(sig))})
			if err != nil || tea.BoolValue(v.Body.Value) {
				t.Fatalf("tampered signature verified %s [%s]: %v", c.alg, sigAlg, err)
			}
		}
	}
}

func TestAlibabaDecryptAndErrors(t *testing.T) {
	s := startServer(t)
	cl := aliClient(t, s, "v2")
	created, err := cl.CreateKey(&alikms.CreateKeyRequest{KeySpec: tea.String("RSA_2048"), KeyUsage: tea.String("ENCRYPT/DECRYPT")})
	if err != nil {
		t.Fatal(err)
	}
	md := created.Body.KeyMetadata
	pk, err := cl.GetPublicKey(&alikms.GetPublicKeyRequest{KeyId: md.KeyId, KeyVersionId: md.PrimaryKeyVersion})
	if err != nil {
		t.Fatal(err)
	}
	pub := parsePEM(t, tea.StringValue(pk.Body.PublicKey)).(*rsa.PublicKey)
	for _, alg := range []string{"RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256"} {
		var ct []byte
		if alg == "RSAES_OAEP_SHA_1" {
			ct, err = rsa.EncryptOAEP(sha1.New(), rand.Reader, pub, msg, nil)
		} else {
			ct, err = rsa.EncryptOAEP(sha256.New(), rand.Reader, pub, msg, nil)
		}
		if err != nil {
			t.Fatal(err)
		}
		r, err := cl.AsymmetricDecrypt(&alikms.AsymmetricDecryptRequest{KeyId: md.KeyId, KeyVersionId: md.PrimaryKeyVersion,
			Algorithm: tea.String(alg), CiphertextBlob: tea.String(base64.StdEncoding.EncodeToString(ct))})
		if err != nil {
			t.Fatal(err)
		}
		if pt, _ := base64.StdEncoding.DecodeString(tea.StringValue(r.Body.Plaintext)); string(pt) != string(msg) {
			t.Fatalf("%s: got %q", alg, pt)
		}
	}
	_, err = cl.DescribeKey(&alikms.DescribeKeyRequest{KeyId: tea.String("00000000-0000-4000-8000-000000000000")})
	if err == nil || !strings.Contains(err.Error(), "Forbidden.KeyNotFound") {
		t.Fatalf("unknown key: %v", err)
	}
	if _, err = cl.DisableKey(&alikms.DisableKeyRequest{KeyId: md.KeyId}); err != nil {
		t.Fatal(err)
	}
	_, err = cl.AsymmetricEncrypt(&alikms.AsymmetricEncryptRequest{KeyId: md.KeyId, KeyVersionId: md.PrimaryKeyVersion,
		Algorithm: tea.String("RSAES_OAEP_SHA_256"), Plaintext: tea.String("aGk=")})
	if err == nil || !strings.Contains(err.Error(), "Rejected.Disabled") {
		t.Fatalf("disabled key: %v", err)
	}
	bad, _ := alikms.NewClient(&openapi.Config{AccessKeyId: tea.String(accessKey), AccessKeySecret: tea.String("wrong"),
		Endpoint: tea.String(s.hostport), Protocol: tea.String("HTTP")})
	if _, err = bad.ListKeys(&alikms.ListKeysRequest{}); err == nil || !strings.Contains(err.Error(), "SignatureDoesNotMatch") {
		t.Fatalf("wrong secret: %v", err)
	}
}

func TestAWSSignVerifyDecrypt(t *testing.T) {
	s := startServer(t)
	ctx := context.Background()
	kms := awsClient(s, secret)
	for _, c := range []struct {
		spec types.KeySpec
		alg  types.SigningAlgorithmSpec
	}{
		{types.KeySpecEccNistP256, types.SigningAlgorithmSpecEcdsaSha256},
		{types.KeySpecRsa2048, types.SigningAlgorithmSpecRsassaPssSha256},
		{types.KeySpecRsa2048, types.SigningAlgorithmSpecRsassaPkcs1V15Sha256},
	} {
		k, err := kms.CreateKey(ctx, &awskms.CreateKeyInput{KeySpec: c.spec, KeyUsage: types.KeyUsageTypeSignVerify})
		if err != nil {
			t.Fatal(err)
		}
		pk, err := kms.GetPublicKey(ctx, &awskms.GetPublicKeyInput{KeyId: k.KeyMetadata.KeyId})
		if err != nil {
			t.Fatal(err)
		}
		pub, err := x509.ParsePKIXPublicKey(pk.PublicKey)
		if err != nil {
			t.Fatal(err)
		}
		sig, err := kms.Sign(ctx, &awskms.SignInput{KeyId: k.KeyMetadata.Arn, Message: msg, SigningAlgorithm: c.alg})
		if err != nil {
			t.Fatal(err)
		}
		digest := sha256.Sum256(msg)
		verifyGo(t, pub, string(c.alg), digest[:], sig.Signature)
		v, err := kms.Verify(ctx, &awskms.VerifyInput{KeyId: k.KeyMetadata.KeyId, Message: digest[:], MessageType: types.MessageTypeDigest,
			Signature: sig.Signature, SigningAlgorithm: c.alg})
		if err != nil || !v.SignatureValid {
			t.Fatalf("verify: %v", err)
		}
		sig.Signature[4] ^= 1
		_, err = kms.Verify(ctx, &awskms.VerifyInput{KeyId: k.KeyMetadata.KeyId, Message: msg, Signature: sig.Signature, SigningAlgorithm: c.alg})
		var invalid *types.KMSInvalidSignatureException
		if !errors.As(err, &invalid) {
			t.Fatalf("tampered signature: %v", err)
		}
	}
	k, err := kms.CreateKey(ctx, &awskms.CreateKeyInput{KeySpec: types.KeySpecRsa3072, KeyUsage: types.KeyUsageTypeEncryptDecrypt})
	if err != nil {
		t.Fatal(err)
	}
	pk, err := kms.GetPublicKey(ctx, &awskms.GetPublicKeyInput{KeyId: k.KeyMetadata.KeyId})
	if err != nil {
		t.Fatal(err)
	}
	pub, _ := x509.ParsePKIXPublicKey(pk.PublicKey)
	ct, _ := rsa.EncryptOAEP(sha256.New(), rand.Reader, pub.(*rsa.PublicKey), msg, nil)
	d, err := kms.Decrypt(ctx, &awskms.DecryptInput{KeyId: k.KeyMetadata.KeyId, CiphertextBlob: ct, EncryptionAlgorithm: types.EncryptionAlgorithmSpecRsaesOaepSha256})
	if err != nil || string(d.Plaintext) != string(msg) {
		t.Fatalf("decrypt: %v", err)
	}
	if _, err := kms.DisableKey(ctx, &awskms.DisableKeyInput{KeyId: k.KeyMetadata.KeyId}); err != nil {
		t.Fatal(err)
	}
	_, err = kms.Decrypt(ctx, &awskms.DecryptInput{KeyId: k.KeyMetadata.KeyId, CiphertextBlob: ct, EncryptionAlgorithm: types.EncryptionAlgorithmSpecRsaesOaepSha256})
	var disabled *types.DisabledException
	if !errors.As(err, &disabled) {
		t.Fatalf("disabled key: %v", err)
	}
	_, err = kms.DescribeKey(ctx, &awskms.DescribeKeyInput{KeyId: aws.String("alias/none")})
	var notFound *types.NotFoundException
	if !errors.As(err, &notFound) {
		t.Fatalf("unknown alias: %v", err)
	}
	// Paging with the SDK's paginator.
	for i := 0; i < 3; i++ {
		if _, err := kms.CreateKey(ctx, &awskms.CreateKeyInput{KeySpec: types.KeySpecEccSecgP256k1, KeyUsage: types.KeyUsageTypeSignVerify}); err != nil {
			t.Fatal(err)
		}
	}
	n := 0
	p := awskms.NewListKeysPaginator(kms, &awskms.ListKeysInput{Limit: aws.Int32(2)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		n += len(page.Keys)
	}
	if n != 7 {
		t.Fatalf("listed %d keys, want 7", n)
	}
	_, err = awsClient(s, "wrong").ListKeys(ctx, &awskms.ListKeysInput{})
	if err == nil || !strings.Contains(err.Error(), "InvalidSignatureException") {
		t.Fatalf("wrong secret: %v", err)
	}
}
