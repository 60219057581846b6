module example.com/anops/gocalc

go 1.19
