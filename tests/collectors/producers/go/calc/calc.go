// Package calc is a tiny library whose tests give the result readers real `go test` output.
package calc

// Add returns a + b.
func Add(a, b int) int { return a + b }

// Half returns n / 2, rounded towards zero.
func Half(n int) int { return n / 2 }
