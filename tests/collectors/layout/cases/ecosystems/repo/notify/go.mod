module example.dev/notify

go 1.22
