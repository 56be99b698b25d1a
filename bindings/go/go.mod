module akms

go 1.24
