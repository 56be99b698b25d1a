package akms

import "testing"

func TestEnumNames(t *testing.T) {
	for _, tc := range []struct {
		v    interface{ String() string }
		want string
	}{
		{KeySpecRSA2048, "RSA_2048"}, {KeySpecRSA3072, "RSA_3072"}, {KeySpecECP256, "EC_P256"},
		{KeySpecECP256K, "EC_P256K"}, {KeySpecECSM2, "EC_SM2"},
		{UsageSignVerify, "SIGN/VERIFY"}, {UsageEncryptDecrypt, "ENCRYPT/DECRYPT"},
		{AlgRSAPSSSHA256, "RSA_PSS_SHA_256"}, {AlgRSAPKCS1SHA256, "RSA_PKCS1_SHA_256"},
		{AlgECDSASHA256, "ECDSA_SHA_256"}, {AlgSM2DSA, "SM2DSA"}, {AlgRSAESOAEPSHA1, "RSAES_OAEP_SHA_1"},
		{AlgRSAESOAEPSHA256, "RSAES_OAEP_SHA_256"}, {AlgSM2PKE, "SM2PKE"},
		{MessageDigest, "DIGEST"}, {MessageRaw, "RAW"},
		{KeySpec(0), "KeySpec(0)"}, {Algorithm(99), "Algorithm(99)"},
	} {
		if got := tc.v.String(); got != tc.want {
			t.Errorf("%#v.String() = %q, want %q", tc.v, got, tc.want)
		}
	}
	// The numbers are the C ABI's (SPEC).
	if KeySpecRSA2048 != 1 || KeySpecECSM2 != 5 || UsageEncryptDecrypt != 2 || AlgRSAPSSSHA256 != 1 ||
		AlgSM2PKE != 7 || MessageDigest != 0 || MessageRaw != 1 {
		t.Error("constants differ from the C ABI values")
	}
	for _, name := range []string{"RSA_2048", "EC_P256K", "EC_SM2"} {
		if k, err := ParseKeySpec(name); err != nil || k.String() != name {
			t.Errorf("ParseKeySpec(%q) = %v, %v", name, k, err)
		}
	}
	if _, err := ParseAlgorithm("ECDSA_SHA_384"); err == nil {
		t.Error("ParseAlgorithm accepts an unknown name")
	}
	if u, err := ParseKeyUsage("ENCRYPT/DECRYPT"); err != nil || u != UsageEncryptDecrypt {
		t.Errorf("ParseKeyUsage = %v, %v", u, err)
	}
	if m, err := ParseMessageType("RAW"); err != nil || m != MessageRaw {
		t.Errorf("ParseMessageType = %v, %v", m, err)
	}
}

func TestVersion(t *testing.T) {
	if ABIVersion() != SupportedABIVersion {
		t.Errorf("ABIVersion() = %d", ABIVersion())
	}
	if Version() == "" {
		t.Error("Version() is empty")
	}
}
