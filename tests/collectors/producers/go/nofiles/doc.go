// Package nofiles has no tests: `go test` reports it as "[no test files]", which is not a test.
package nofiles
