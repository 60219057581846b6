module github.com/acme/tools

go 1.22
