module example.dev/gateway

go 1.22
