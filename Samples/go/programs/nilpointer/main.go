// Command nilpointer: a method call on a nil pointer; the runtime reports the
// SIGSEGV and the goroutine dump.
package main

import (
	"log"

	"example.com/weft-samples/internal/pinnedlog"
)

type customer struct {
	name     string
	discount float64
}

type order struct {
	id       int
	total    float64
	customer *customer
}

func (c *customer) apply(amount float64) float64 {
	return amount * (1 - c.discount)
}

func price(o *order) float64 {
	return o.customer.apply(o.total)
}

func main() {
	pinnedlog.Install("2026/11/29 05:23:00")
	log.Print("pricing 2 orders")
	log.Printf("order 1041: %.2f", price(&order{id: 1041, total: 80, customer: &customer{name: "ada", discount: 0.1}}))
	log.Printf("order 1042: %.2f", price(&order{id: 1042, total: 50}))
}
