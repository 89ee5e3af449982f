// Command stacks: goroutine dumps that are not panics. debug.PrintStack() writes
// the calling goroutine's stack to stderr with no message of its own, right
// after an unrelated log line of the program; later the process is sent
// SIGQUIT, and the runtime prints every goroutine and exits with status 2.
package main

import (
	"log"
	"runtime/debug"
	"sync"
	"syscall"
	"time"

	"example.com/weft-samples/internal/pinnedlog"
)

func drain(jobs <-chan int, wg *sync.WaitGroup) {
	defer wg.Done()
	for range jobs {
	}
}

func audit(batch int) {
	if batch%2 == 0 {
		debug.PrintStack()
	}
}

func main() {
	pinnedlog.Install("2026/11/29 05:27:00")
	log.Print("worker 6: starting")
	log.Print("worker 6: processed 95 jobs in 6.404s")
	audit(2)
	log.Print("worker 6: processed 12 jobs in 0.917s")

	jobs := make(chan int)
	var wg sync.WaitGroup
	wg.Add(1)
	go drain(jobs, &wg)
	log.Print("worker 6: waiting for the queue")
	time.Sleep(100 * time.Millisecond)
	syscall.Kill(syscall.Getpid(), syscall.SIGQUIT)
	time.Sleep(5 * time.Second)
}
