// Command httppanic: an in-process net/http server on 127.0.0.1 whose handler
// panics. net/http recovers the panic and logs "http: panic serving ADDR: msg"
// plus the goroutine's stack through the std logger. Then a recovered error is
// logged together with runtime/debug.Stack().
package main

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net"
	"net/http"
	"runtime/debug"
	"strings"
	"time"

	"example.com/weft-samples/internal/pinnedlog"
)

type orderStore map[string]*struct{ total int }

func (s orderStore) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	id := strings.TrimPrefix(r.URL.Path, "/orders/")
	fmt.Fprintf(w, "order %s total %d\n", id, s[id].total)
}

func reconcile(ledger map[string]int, id string) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("reconcile %s: %v", id, r)
			log.Printf("failed: %v\n%s", err, debug.Stack())
		}
	}()
	ledger[id] /= len(id) - len(id)
	return nil
}

func main() {
	pinnedlog.Install("2026/11/29 05:25:00")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	srv := &http.Server{Handler: orderStore{"1041": {total: 80}}}
	go srv.Serve(ln)
	log.Print("order API listening")

	client := &http.Client{Timeout: 5 * time.Second}
	for _, id := range []string{"1041", "1042"} {
		resp, err := client.Get("http://" + ln.Addr().String() + "/orders/" + id)
		if err != nil {
			log.Printf("client: GET /orders/%s failed: %v", id, errors.Unwrap(err))
			continue
		}
		resp.Body.Close()
		log.Printf("client: GET /orders/%s: %s", id, resp.Status)
	}

	log.Print("reconciling order 1042")
	if err := reconcile(map[string]int{"1042": 50}, "1042"); err == nil {
		log.Print("reconciled")
	}

	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	srv.Shutdown(ctx)
	log.Print("order API stopped")
}
