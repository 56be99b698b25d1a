module akms

go 1.24.0

require (
	github.com/emmansun/gmsm v0.15.5
	golang.org/x/crypto v0.47.0
)

require golang.org/x/sys v0.40.0 // indirect
