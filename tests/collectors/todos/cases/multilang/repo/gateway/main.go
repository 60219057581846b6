// Package main runs the relay gateway.
package main

import (
	"fmt"
	"net/http"
)

// usage is printed by -h. TODO: generate it from the flag set.
const usage = `gateway [flags]
  // TODO: inside a raw string literal
  -listen ADDR`

func handler(w http.ResponseWriter, r *http.Request) {
	quote := '"' // FIXME: the rune '"' does not open a string
	path := "/* TODO not a comment */"
	/* XXX: a block comment
	   HACK: spanning lines */
	fmt.Fprintf(w, "%c %s %s", quote, path, r.URL.Path)
}

func main() {
	http.HandleFunc("/", handler)
	_ = http.ListenAndServe(":8080", nil) // TODO(dee): read the address from the environment
	fmt.Println(usage)
}
