// Command recovered: a deferred recover logs the panic and re-panics with a
// new value, so the runtime prints "panic: ... [recovered]" followed by the
// second panic.
package main

import (
	"fmt"
	"log"

	"example.com/weft-samples/internal/pinnedlog"
)

func pick(shards []string, n int) string {
	return shards[n]
}

func route(key string) (shard string) {
	defer func() {
		if r := recover(); r != nil {
			log.Printf("route %q: recovered %v, giving up", key, r)
			panic(fmt.Sprintf("routing table corrupt while routing %q", key))
		}
	}()
	return pick([]string{"a", "b", "c"}, len(key))
}

func main() {
	pinnedlog.Install("2026/11/29 05:22:00")
	log.Print("routing 2 keys")
	log.Printf("key %q -> shard %s", "id", route("id"))
	log.Printf("key %q -> shard %s", "order-1042", route("order-1042"))
}
