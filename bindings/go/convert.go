package akms

/*
#include "akmsgo.h"

#cgo noescape akms_bytes_free
#cgo nocallback akms_bytes_free
#cgo noescape akms_string_free
#cgo nocallback akms_string_free
*/
import "C"

import (
	"strings"
	"unsafe"
)

// Conversions between Go values and C arguments and results.
//
// No C allocation is made for an input. String arguments are copied once
// into a cstrings, a local variable that stays on the goroutine's stack (the
// C wrappers are marked #cgo noescape, as the library keeps no pointer after a
// call returns), and byte slices are passed as they are: pointers to Go memory
// that holds no Go pointers, which the cgo rules allow.
//
// Results are copied into Go memory, and the library's buffer is freed at
// once: by the wrapper itself when the result fits in an akmsgo_scratch (also
// on the stack), else by takeString and takeBytes.
//
// Methods take their results before they call check on the wrapper's
// status: check delivers the call's audit events, and a callback that panics
// must not leak the library's buffers. On failure the out-parameters are
// untouched (NULL), and taking them yields "" or an empty slice.

// cstrings holds NUL-terminated copies of the string arguments of one call.
type cstrings struct {
	err error
	n   int
	buf [256]byte
}

// str returns s as a C string. A string with an embedded NUL byte, which C
// would silently cut short, sets c.err instead.
func (c *cstrings) str(s string) *C.char {
	if strings.IndexByte(s, 0) >= 0 {
		c.err = invalidArgument("string argument contains a NUL byte")
		return nil
	}
	var b []byte
	if c.n+len(s)+1 <= len(c.buf) {
		b = c.buf[c.n : c.n+len(s)+1]
		c.n += len(s) + 1
	} else {
		b = make([]byte, len(s)+1)
	}
	copy(b, s)
	b[len(s)] = 0
	return (*C.char)(unsafe.Pointer(&b[0]))
}

// optional is str, with "" as NULL.
func (c *cstrings) optional(s string) *C.char {
	if s == "" {
		return nil
	}
	return c.str(s)
}

// cbytes returns b as a C byte input: (NULL, 0) when empty.
func cbytes(b []byte) (*C.uint8_t, C.size_t) {
	if len(b) == 0 {
		return nil, 0
	}
	return (*C.uint8_t)(unsafe.Pointer(&b[0])), C.size_t(len(b))
}

// scratchString returns the string result of an AKMSGO_WRAP_STRING wrapper:
// from the scratch buffer, or copied from out and freed.
func scratchString(out *C.char, sc *C.akmsgo_scratch) string {
	if out == nil {
		return string(unsafe.Slice((*byte)(unsafe.Pointer(&sc.data[0])), sc.len))
	}
	return takeString(out)
}

// scratchBytes returns the byte result of an AKMSGO_WRAP_BYTES wrapper.
func scratchBytes(out *C.akms_bytes, sc *C.akmsgo_scratch) []byte {
	if out.data == nil {
		b := make([]byte, sc.len)
		copy(b, unsafe.Slice((*byte)(unsafe.Pointer(&sc.data[0])), sc.len))
		return b
	}
	return takeBytes(out)
}

// takeString copies a string the library returned and frees it.
func takeString(p *C.char) string {
	if p == nil {
		return ""
	}
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
