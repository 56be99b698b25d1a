module akms/interop

go 1.24.0

require (
	akms v0.0.0
	github.com/emmansun/gmsm v0.15.5
	golang.org/x/crypto v0.47.0
)

require golang.org/x/sys v0.40.0 // indirect

replace akms => ../
