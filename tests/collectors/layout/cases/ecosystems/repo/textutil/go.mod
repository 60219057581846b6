module example.dev/textutil

go 1.22
