//go:build !akms_pkgconfig

package akms

// Where the C library is found inside the akms repository (the default):
// include/akms.h and target/release/libakms.so, with an rpath, after
// `cargo build --release`. Build with -tags akms_pkgconfig to use an
// installed library instead (cgo_pkgconfig.go).

/*
#cgo CFLAGS: -I${SRCDIR}/../../include
#cgo LDFLAGS: -L${SRCDIR}/../../target/release -lakms -Wl,-rpath,${SRCDIR}/../../target/release
*/
import "C"
