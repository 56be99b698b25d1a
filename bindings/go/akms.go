// Package akms is the Go binding of akms, an embeddable asymmetric key
// management service: the asymmetric half of a cloud KMS running in-process.
// Private keys never leave the library; callers hold key ids and version ids.
//
// The package is a thin cgo layer over libakms.so (the C ABI in
// include/akms.h). It turns status codes into *Error values, copies the
// buffers and strings the library returns into Go memory and frees them at
// once, and guards each native store handle so that a *Store is safe for
// concurrent use and harmless to use after Close.
//
// Building: inside the akms repository, run `cargo build --release` first;
// the #cgo directives below find include/akms.h and target/release/libakms.so
// relative to this directory (with an rpath, so nothing else is needed). For
// a library installed elsewhere, set CGO_CFLAGS=-I<dir of akms.h> and
// CGO_LDFLAGS="-L<libdir> -Wl,-rpath,<libdir>".
package akms

/*
#include "akmsgo.h"
*/
import "C"

import (
	"fmt"
	"sync"
)

// SupportedABIVersion is the C ABI version (akms_abi_version) this binding
// was written for. NewStore and OpenStore refuse a library with another one.
const SupportedABIVersion = 1

// Version returns the version of the loaded C library, e.g. "0.1.0".
func Version() string {
	return C.GoString(C.akms_version())
}

// ABIVersion returns the ABI version of the loaded C library.
func ABIVersion() uint32 {
	return uint32(C.akms_abi_version())
}

// checkABI is run once, before the first store is made.
var checkABI = sync.OnceValue(func() error {
	if v := ABIVersion(); v != SupportedABIVersion {
		return &Error{
			Status:  StatusInternal,
			Message: fmt.Sprintf("libakms ABI version %d, this Go binding needs %d", v, SupportedABIVersion),
		}
	}
	return nil
})
