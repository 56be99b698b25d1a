package akms

/*
#include "akmsgo.h"
*/
import "C"

import (
	"errors"
	"strconv"
	"unsafe"
)

// Status is an akms status code (akms_status in C).
type Status uint32

// The status codes, with the values of the C ABI.
const (
	StatusOK               Status = C.AKMS_OK
	StatusInvalidArgument  Status = C.AKMS_ERR_INVALID_ARGUMENT
	StatusNotFound         Status = C.AKMS_ERR_NOT_FOUND
	StatusAlreadyExists    Status = C.AKMS_ERR_ALREADY_EXISTS
	StatusIncompatible     Status = C.AKMS_ERR_INCOMPATIBLE
	StatusInvalidState     Status = C.AKMS_ERR_INVALID_STATE
	StatusDecryptionFailed Status = C.AKMS_ERR_DECRYPTION_FAILED
	StatusAccessDenied     Status = C.AKMS_ERR_ACCESS_DENIED
	StatusIO               Status = C.AKMS_ERR_IO
	StatusCorrupt          Status = C.AKMS_ERR_CORRUPT
	StatusInternal         Status = C.AKMS_ERR_INTERNAL
)

var statusNames = [...]string{
	StatusOK:               "AKMS_OK",
	StatusInvalidArgument:  "AKMS_ERR_INVALID_ARGUMENT",
	StatusNotFound:         "AKMS_ERR_NOT_FOUND",
	StatusAlreadyExists:    "AKMS_ERR_ALREADY_EXISTS",
	StatusIncompatible:     "AKMS_ERR_INCOMPATIBLE",
	StatusInvalidState:     "AKMS_ERR_INVALID_STATE",
	StatusDecryptionFailed: "AKMS_ERR_DECRYPTION_FAILED",
	StatusAccessDenied:     "AKMS_ERR_ACCESS_DENIED",
	StatusIO:               "AKMS_ERR_IO",
	StatusCorrupt:          "AKMS_ERR_CORRUPT",
	StatusInternal:         "AKMS_ERR_INTERNAL",
}

// String returns the C name of the status, e.g. "AKMS_ERR_NOT_FOUND".
func (s Status) String() string {
	if int(s) < len(statusNames) {
		return statusNames[s]
	}
	return "Status(" + strconv.FormatUint(uint64(s), 10) + ")"
}

// Error is the error every failing akms call returns: the status code and
// the library's detail message for that call.
//
// Compare with the sentinels using errors.Is: errors.Is(err, ErrNotFound)
// is true for any *Error whose Status is StatusNotFound.
type Error struct {
	Status  Status
	Message string

	wrapped error // a Go-side cause, such as ErrClosed; may be nil
}

// Error formats the error as "akms: AKMS_ERR_NOT_FOUND: <message>".
func (e *Error) Error() string {
	if e.Message == "" {
		return "akms: " + e.Status.String()
	}
	return "akms: " + e.Status.String() + ": " + e.Message
}

// Is reports whether target is an *Error of the same Status and either no
// Message (as the sentinels have) or the same Message.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	if !ok {
		return false
	}
	return t.Status == e.Status && (t.Message == "" || t.Message == e.Message)
}

// Unwrap returns the Go-side cause of the error, if any (ErrClosed for a
// call on a closed store).
func (e *Error) Unwrap() error { return e.wrapped }

// Sentinel errors, one per failure status. Match them with errors.Is.
var (
	ErrInvalidArgument  = &Error{Status: StatusInvalidArgument}
	ErrNotFound         = &Error{Status: StatusNotFound}
	ErrAlreadyExists    = &Error{Status: StatusAlreadyExists}
	ErrIncompatible     = &Error{Status: StatusIncompatible} // algorithm or usage does not fit the key
	ErrInvalidState     = &Error{Status: StatusInvalidState} // key Disabled or PendingDeletion
	ErrDecryptionFailed = &Error{Status: StatusDecryptionFailed}
	ErrAccessDenied     = &Error{Status: StatusAccessDenied}
	ErrIO               = &Error{Status: StatusIO}
	ErrCorrupt          = &Error{Status: StatusCorrupt} // tampered store file or wrong passphrase
	ErrInternal         = &Error{Status: StatusInternal}
)

// ErrClosed is the cause of the error returned by every method of a Store
// after Close. That error is an *Error with StatusInvalidArgument, so both
// errors.Is(err, ErrClosed) and errors.Is(err, ErrInvalidArgument) hold.
var ErrClosed = errors.New("akms: store is closed")

func closedError() error {
	return &Error{Status: StatusInvalidArgument, Message: "store is closed", wrapped: ErrClosed}
}

func invalidArgument(msg string) error {
	return &Error{Status: StatusInvalidArgument, Message: msg}
}

// check turns the result of an AKMSGO_WRAP wrapper into an error, freeing the
// copied message, and delivers the audit events of the call.
func check(r C.akmsgo_result) error {
	if r.events != nil {
		deliverAuditEvents(r.events)
	}
	if r.status == C.AKMS_OK {
		return nil
	}
	msg := ""
	if r.message != nil {
		msg = C.GoString(r.message)
		C.free(unsafe.Pointer(r.message))
	}
	return &Error{Status: Status(r.status), Message: msg}
}

// cStatusName returns the library's own name for a status (akms_status_name);
// the tests check Status.String against it.
func cStatusName(s Status) string {
	return C.GoString(C.akms_status_name(C.akms_status(s)))
}
