// Package pinnedlog makes the standard logger's timestamps deterministic.
//
// The std logger keeps its usual "2006/01/02 15:04:05 message" layout, but the
// date and time come from a pinned clock (a fixed start, one second per entry)
// instead of time.Now, so the captured samples are the same on every run.
// Everything else (what is logged, by whom, and when) is unchanged.
package pinnedlog

import (
	"log"
	"os"
	"sync"
	"time"
)

type stampWriter struct {
	mu   sync.Mutex
	next time.Time
}

// Write receives exactly one formatted log entry per call (the std logger
// guarantees a single Write per Output) and prefixes it with the pinned time.
func (w *stampWriter) Write(entry []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	line := append([]byte(w.next.Format("2006/01/02 15:04:05 ")), entry...)
	w.next = w.next.Add(time.Second)
	if _, err := os.Stderr.Write(line); err != nil {
		return 0, err
	}
	return len(entry), nil
}

// Install points the std logger at the pinned clock, starting at start
// ("2006/01/02 15:04:05", UTC).
func Install(start string) {
	t, err := time.Parse("2006/01/02 15:04:05", start)
	if err != nil {
		panic(err)
	}
	log.SetFlags(0)
	log.SetOutput(&stampWriter{next: t})
}
