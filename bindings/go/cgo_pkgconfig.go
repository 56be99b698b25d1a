//go:build akms_pkgconfig

package akms

// Where the C library is found with -tags akms_pkgconfig: through pkg-config,
// from an installed akms (`make install PREFIX=...` writes lib/pkgconfig/akms.pc).
// Set PKG_CONFIG_PATH=<prefix>/lib/pkgconfig for a prefix pkg-config does not
// search, and CGO_LDFLAGS=-Wl,-rpath,<prefix>/lib (or LD_LIBRARY_PATH) for a
// libdir the dynamic loader does not search.

/*
#cgo pkg-config: akms
*/
import "C"
