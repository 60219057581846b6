package main

import "log"

// A queue consumer: it serves nothing (http.ListenAndServe is not called).
func main() {
	log.Println("consuming the notifications queue")
}
