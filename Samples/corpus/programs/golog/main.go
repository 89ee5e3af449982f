// Ordinary lines from Go's standard logger (three flag sets) and from klog, the Kubernetes logger (real packages).
package main

import (
	"flag"
	"fmt"
	"log"
	"os"

	"k8s.io/klog"
)

var messages = []string{
	"listening on :8080",
	"worker 6: processed 95 jobs in 6.404s",
	"reconciling deployment shop/api (generation 14)",
	"goroutine pool resized to 32 workers",
	"recovered from panic in handler is disabled by config",
	"GET /healthz 200 312µs",
	"lease renewed for node-7 until 10:42:31",
	"shutting down: draining 3 connections",
}

func main() {
	shape := os.Args[1]
	switch shape {
	case "go_log":
		l := log.New(os.Stdout, "", log.LstdFlags)
		for _, m := range messages {
			l.Println(m)
		}
	case "go_log_micro":
		l := log.New(os.Stdout, "", log.LstdFlags|log.Lmicroseconds|log.Lshortfile)
		for _, m := range messages {
			l.Println(m)
		}
	case "go_log_prefix":
		l := log.New(os.Stdout, "[api] ", log.LstdFlags|log.LUTC|log.Lmsgprefix)
		for _, m := range messages {
			l.Println(m)
		}
	case "klog":
		fs := flag.NewFlagSet("klog", flag.ExitOnError)
		klog.InitFlags(fs)
		fs.Set("logtostderr", "true")
		klog.SetOutput(os.Stdout)
		klog.Info("Starting controller", " ", "name=", "deployment")
		klog.Infof("Caches are synced for %s", "deployment")
		klog.Warningf("Unable to fetch pod metrics for pod %s: no metrics known for pod", "shop/api-7d9c5b6f4-x2x4q")
		klog.Errorf("Error syncing deployment %s: Operation cannot be fulfilled on replicasets.apps: the object has been modified", "shop/api")
		klog.InfoS("Successfully synced", "key", "shop/api", "duration", "12.3ms")
		klog.ErrorS(fmt.Errorf("connection refused"), "Failed to watch", "resource", "*v1.Pod")
		klog.V(0).Infof("Event occurred: object=%s reason=%s", "shop/api", "ScalingReplicaSet")
		klog.Flush()
	}
}
