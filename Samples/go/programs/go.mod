module example.com/weft-samples

go 1.19
