package main

// TODO: OPS-12 is a ticket under this repository's pattern
// TODO: ABC-12 is not one here
func main() {}
