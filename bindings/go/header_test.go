package akms

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// Every function include/akms.h declares is bound by this package: a
// function added to the C ABI without a Go method fails here.
func TestEveryHeaderFunctionIsBound(t *testing.T) {
	header, err := os.ReadFile("../../include/akms.h")
	if err != nil {
		t.Skipf("no header next to the binding: %v", err)
	}
	decl := regexp.MustCompile(`(?m)^(?:const )?\w+\s+\**(akms_\w+)\(`)
	var sources strings.Builder
	files, _ := filepath.Glob("*.go")
	files = append(files, "akmsgo.h", "akmsgo.c")
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		mustNoErr(t, err, "read "+f)
		sources.Write(b)
	}
	src := sources.String()
	found := 0
	for _, m := range decl.FindAllStringSubmatch(string(header), -1) {
		name := m[1]
		found++
		short := strings.TrimPrefix(name, "akms_")
		if !strings.Contains(src, name+"(") && !regexp.MustCompile(`AKMSGO_WRAP\w*\(`+short+`,`).MatchString(src) {
			t.Errorf("%s is declared in akms.h but not bound in Go", name)
		}
	}
	if found < 20 {
		t.Errorf("found only %d functions in akms.h; is the pattern right?", found)
	}
}
