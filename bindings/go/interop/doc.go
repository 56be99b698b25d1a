// Package interop holds the tests of package akms's crypto.Signer and
// crypto.Decrypter against libraries outside the standard library:
// golang.org/x/crypto/ssh and github.com/emmansun/gmsm (SM2). It is a module
// of its own so that the akms module requires nothing.
package interop
