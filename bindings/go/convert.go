package akms

/*
#include "akmsgo.h"
*/
import "C"

import (
	"strings"
	"unsafe"
)

// Conversions between Go values and C arguments and results.
//
// Inputs are passed without C allocations: strings are copied once into a
// NUL-terminated Go byte buffer, and byte slices are passed as they are (a
// pointer to Go memory that holds no Go pointers, which the cgo rules allow;
// the library never keeps it after the call returns). Outputs are copied into
// Go memory and the library's buffer is freed at once.

// cstrs returns NUL-terminated copies of ss, all in one Go allocation. A
// string with an embedded NUL byte is refused: C would silently cut it short.
func cstrs(ss ...string) ([]*C.char, error) {
	n := 0
	for _, s := range ss {
		if strings.IndexByte(s, 0) >= 0 {
			return nil, invalidArgument("string argument contains a NUL byte")
		}
		n += len(s) + 1
	}
	buf := make([]byte, n)
	ptrs := make([]*C.char, len(ss))
	off := 0
	for i, s := range ss {
		copy(buf[off:], s)
		ptrs[i] = (*C.char)(unsafe.Pointer(&buf[off]))
		off += len(s) + 1
	}
	return ptrs, nil
}

// cstr1 and cstr2 are cstrs for the common argument counts.
func cstr1(a string) (*C.char, error) {
	p, err := cstrs(a)
	if err != nil {
		return nil, err
	}
	return p[0], nil
}

func cstr2(a, b string) (*C.char, *C.char, error) {
	p, err := cstrs(a, b)
	if err != nil {
		return nil, nil, err
	}
	return p[0], p[1], nil
}

// cbytes returns b as a C byte input: (NULL, 0) when empty.
func cbytes(b []byte) (*C.uint8_t, C.size_t) {
	if len(b) == 0 {
		return nil, 0
	}
	return (*C.uint8_t)(unsafe.Pointer(&b[0])), C.size_t(len(b))
}

// takeString copies a string the library returned and frees it.
func takeString(p *C.char) string {
	s := C.GoString(p)
	C.akms_string_free(p)
	return s
}

// takeBytes copies a buffer the library returned and frees (zeroizes) it.
func takeBytes(b *C.akms_bytes) []byte {
	out := C.GoBytes(unsafe.Pointer(b.data), C.int(b.len))
	C.akms_bytes_free(b)
	return out
}
