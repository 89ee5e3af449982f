// Command deadlock: a fan-in whose results channel is never drained; every
// goroutine ends up blocked and the runtime aborts with
// "fatal error: all goroutines are asleep - deadlock!".
package main

import (
	"fmt"
	"log"
	"sync"

	"example.com/weft-samples/internal/pinnedlog"
)

func resize(id int, results chan<- string, wg *sync.WaitGroup) {
	defer wg.Done()
	results <- fmt.Sprintf("thumb-%d.png", id)
}

func main() {
	pinnedlog.Install("2026/11/29 05:24:00")
	log.Print("resizing 2 images")
	results := make(chan string)
	var wg sync.WaitGroup
	for id := 1; id <= 2; id++ {
		wg.Add(1)
		go resize(id, results, &wg)
	}
	wg.Wait()
	close(results)
	log.Print("all images resized")
}
