module akms-example-sign-file

go 1.24

require akms v0.0.0

replace akms => ../../bindings/go
