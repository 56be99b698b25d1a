// serve_load: a SigV4-signing AWS KMS load generator. N keep-alive clients send one operation
// for a fixed time against one endpoint; it prints requests/s, p50 and p99 latency, and (with
// -pid) the server process's CPU time per request read from /proc.
//
//	serve_load -url http://127.0.0.1:8080 -label akms -pid 1234 [-clients 16] [-duration 10s]
package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

var (
	url      = flag.String("url", "http://127.0.0.1:8080", "endpoint")
	label    = flag.String("label", "akms", "name printed in the table")
	pid      = flag.Int("pid", 0, "server process id (CPU time from /proc)")
	clients  = flag.Int("clients", 16, "concurrent keep-alive clients")
	duration = flag.Duration("duration", 10*time.Second, "time per row")
	ak       = flag.String("access-key", "bench", "access key id")
	sk       = flag.String("secret", "bench-secret", "secret access key")
	rows     = flag.String("rows", "sign-p256,sign-rsa2048,getpublickey", "rows to run, comma-separated")
)

var signer = v4.NewSigner()

// call sends one signed TrentService request and returns the decoded JSON response.
func call(c *http.Client, op string, body any) (map[string]any, error) {
	payload, _ := json.Marshal(body)
	req, _ := http.NewRequest("POST", *url+"/", bytes.NewReader(payload))
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("X-Amz-Target", "TrentService."+op)
	h := sha256.Sum256(payload)
	creds := aws.Credentials{AccessKeyID: *ak, SecretAccessKey: *sk}
	if err := signer.SignHTTP(context.Background(), creds, req, hex.EncodeToString(h[:]), "kms", "us-east-1", time.Now()); err != nil {
		return nil, err
	}
	resp, err := c.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		return nil, fmt.Errorf("%s: HTTP %d: %s", op, resp.StatusCode, data)
	}
	out := map[string]any{}
	return out, json.Unmarshal(data, &out)
}

func cpuTicks() int64 {
	if *pid == 0 {
		return 0
	}
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", *pid))
	if err != nil {
		return 0
	}
	f := strings.Fields(string(data[strings.LastIndexByte(string(data), ')')+2:]))
	u, _ := strconv.ParseInt(f[11], 10, 64)
	s, _ := strconv.ParseInt(f[12], 10, 64)
	return u + s
}

func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	return sorted[int(float64(len(sorted)-1)*p)]
}

func row(name, op string, body any) {
	var wg sync.WaitGroup
	var mu sync.Mutex
	var all []time.Duration
	errs := 0
	// Warm up every connection first.
	httpClients := make([]*http.Client, *clients)
	for i := range httpClients {
		httpClients[i] = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1, DisableCompression: true}}
		if _, err := call(httpClients[i], op, body); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}
	t0 := cpuTicks()
	start := time.Now()
	deadline := start.Add(*duration)
	for i := 0; i < *clients; i++ {
		wg.Add(1)
		go func(c *http.Client) {
			defer wg.Done()
			lat := make([]time.Duration, 0, 1<<16)
			e := 0
			for time.Now().Before(deadline) {
				t := time.Now()
				if _, err := call(c, op, body); err != nil {
					e++
					continue
				}
				lat = append(lat, time.Since(t))
			}
			mu.Lock()
			all = append(all, lat...)
			errs += e
			mu.Unlock()
		}(httpClients[i])
	}
	wg.Wait()
	elapsed := time.Since(start)
	ticks := cpuTicks() - t0
	sort.Slice(all, func(i, j int) bool { return all[i] < all[j] })
	rps := float64(len(all)) / elapsed.Seconds()
	cpu := "-"
	if *pid != 0 && len(all) > 0 {
		cpu = fmt.Sprintf("%.1f", float64(ticks)*10000/float64(len(all))) // 100 ticks/s → µs
	}
	fmt.Printf("| %-14s | %-6s | %9.0f | %7.2f | %7.2f | %8s | %d |\n", name, *label, rps,
		float64(percentile(all, 0.50).Microseconds())/1000, float64(percentile(all, 0.99).Microseconds())/1000, cpu, errs)
}

func main() {
	flag.Parse()
	c := &http.Client{}
	keys := map[string]string{}
	for _, spec := range []string{"ECC_NIST_P256", "RSA_2048"} {
		out, err := call(c, "CreateKey", map[string]any{"KeySpec": spec, "KeyUsage": "SIGN_VERIFY"})
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		keys[spec] = out["KeyMetadata"].(map[string]any)["KeyId"].(string)
	}
	digest := sha256.Sum256([]byte("serve_load"))
	want := func(r string) bool { return strings.Contains(","+*rows+",", ","+r+",") }
	if want("sign-p256") {
		row("Sign P-256", "Sign", map[string]any{"KeyId": keys["ECC_NIST_P256"], "Message": digest[:], "MessageType": "DIGEST", "SigningAlgorithm": "ECDSA_SHA_256"})
	}
	if want("sign-rsa2048") {
		row("Sign RSA-2048", "Sign", map[string]any{"KeyId": keys["RSA_2048"], "Message": digest[:], "MessageType": "DIGEST", "SigningAlgorithm": "RSASSA_PKCS1_V1_5_SHA_256"})
	}
	if want("getpublickey") {
		row("GetPublicKey", "GetPublicKey", map[string]any{"KeyId": keys["ECC_NIST_P256"]})
	}
}
