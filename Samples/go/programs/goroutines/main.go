// Command goroutines: a worker goroutine panics while other goroutines are
// blocked; run with GOTRACEBACK=all so every user goroutine is dumped, each
// with its "created by" line.
package main

import (
	"fmt"
	"log"
	"sync"
	"time"

	"example.com/weft-samples/internal/pinnedlog"
)

type batch struct {
	id    int
	lines []string
}

func flushMetrics(every time.Duration) {
	for {
		time.Sleep(every)
	}
}

func consume(queue <-chan batch, wg *sync.WaitGroup) {
	defer wg.Done()
	for b := range queue {
		log.Printf("batch %d: %d lines", b.id, len(b.lines))
	}
}

func parseBatch(b batch, wg *sync.WaitGroup) {
	defer wg.Done()
	if len(b.lines) == 0 {
		panic(fmt.Sprintf("batch %d: empty batch from source %q", b.id, "kafka/orders"))
	}
}

func main() {
	pinnedlog.Install("2026/11/29 05:21:00")
	log.Print("starting 3 workers")

	go flushMetrics(time.Hour)

	queue := make(chan batch)
	var wg sync.WaitGroup
	wg.Add(2)
	go consume(queue, &wg)

	time.Sleep(50 * time.Millisecond)
	log.Print("parsing batch 41")
	go parseBatch(batch{id: 41}, &wg)
	wg.Wait()
}
